/** Thrown for an invalid admin request body; the message names the bad field. The admin API answers 400. */
export class AdminInputError extends Error {
  override readonly name = 'AdminInputError';
}

/** The JSON of an admin request body (undefined when empty). @throws AdminInputError when it is not JSON */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new AdminInputError(
      `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
