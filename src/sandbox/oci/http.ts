import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryApiRequest, WireResponse } from '../contracts.ts';

/** Every answer of the registry API says which API it is (Docker clients check it on `GET /v2/`). */
export const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' } as const;

/** An answer: `content-length` is the body's unless given (a HEAD answers the length of what GET would send). */
export function reply(
  status: number,
  headers: Record<string, string>,
  body: string | Buffer = '',
): WireResponse {
  return {
    status,
    headers: { ...API_VERSION_HEADER, 'content-length': String(Buffer.byteLength(body)), ...headers },
    body,
  };
}

/** A JSON answer. */
export function replyJson(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): WireResponse {
  return reply(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(value));
}

/**
 * Serve a `/v2/…` request at the edge through `api` (the emulator's registryApi): the request as received in,
 * the answer out with its own `content-length` (a HEAD's is the length GET would send; its body is not sent).
 */
export async function serveRegistryApi(
  api: (request: RegistryApiRequest) => Promise<WireResponse>,
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
  body: Buffer,
  authorize?: RegistryApiRequest['authorize'],
): Promise<void> {
  const queryAt = url.indexOf('?');
  const response = await api({
    method: req.method ?? 'GET',
    path: queryAt === -1 ? url : url.slice(0, queryAt),
    query: queryAt === -1 ? '' : url.slice(queryAt + 1),
    headers: req.headers,
    body,
    ...(authorize ? { authorize } : {}),
  });
  res.writeHead(response.status, response.headers);
  res.end(req.method === 'HEAD' ? undefined : response.body);
}
