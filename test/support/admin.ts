/**
 * The sandbox admin API over HTTP, for tests and benches alike (no vitest import, so benches can use it).
 * Every admin POST must say it is JSON, even without a body: the sandbox refuses it otherwise.
 */

/** One admin call: the status and the parsed JSON body (or null). */
export async function adminRequest(
  baseUrl: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/_sandbox/${path.replace(/^\//, '')}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Admin calls on the sandbox at `baseUrl` that throw on any non-2xx answer and return the JSON body. */
export function sandboxAdmin(baseUrl: string) {
  return async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> => {
    const { status, body: answer } = await adminRequest(baseUrl, method, path, body);
    if (status < 200 || status > 299)
      throw new Error(`${method} ${path}: ${status} ${JSON.stringify(answer)}`);
    return answer;
  };
}
