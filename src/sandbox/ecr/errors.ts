/**
 * ECR's error vocabulary. The wire carries only `__type` and `message` (plus a few exception-specific fields,
 * e.g. `lastValidByteReceived` on InvalidLayerPartException), so an error is a code, a message and extras.
 */
export class EcrError extends Error {
  readonly code: string;
  readonly extra: Record<string, unknown>;

  constructor(code: string, message: string, options?: { cause?: unknown; extra?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EcrError';
    this.code = code;
    this.extra = options?.extra ?? {};
  }
}

/** Shorthand for the most common client fault. */
export function invalidParameter(message: string): EcrError {
  return new EcrError('InvalidParameterException', message);
}

/** Parse a JSON request parameter (a manifest, a policy); text that is not JSON is InvalidParameterException. */
export function parseJsonParameter(text: string, message: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EcrError('InvalidParameterException', message, { cause: error });
  }
}
