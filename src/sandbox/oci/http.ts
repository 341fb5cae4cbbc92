import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { RegistryApiRequest, RegistryApiResponse, WireResponse } from '../contracts.ts';

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
 * Read and drop what the client is still sending of a request's body before answering it without using the body
 * (a refusal, an injected fault). Answered mid-body, Go's HTTP client (podman, skopeo) races its unfinished write
 * against the answer and may report the write's failure instead of the answer: podman 4.3.1 under a 429 on a PATCH
 * sometimes failed with "write: broken pipe" (not retried) rather than "toomanyrequests" (retried). A body already
 * read, or a client that hung up, is left as it is.
 */
export async function discardBody(body: RegistryApiRequest['body']): Promise<void> {
  if (Buffer.isBuffer(body) || body.readableEnded) return;
  body.resume();
  await finished(body).catch(() => undefined);
}

/**
 * A body whole, for the routes that need it at once (a manifest): at most `limit` + 1 bytes are kept, so an
 * oversized body is still refused as too large without being held; the rest is read and dropped.
 */
export async function wholeBody(body: Buffer | Readable, limit: number): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const piece of body) {
    const chunk = piece as Buffer;
    if (kept > limit) continue;
    chunks.push(chunk);
    kept += chunk.length;
  }
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, kept);
}

/**
 * Serve a `/v2/…` request at the edge through `api` (the emulator's registryApi): the request in with its body
 * (the request stream itself at the edge: a blob upload streams it, other routes read what they need; faults,
 * auth and IAM answer before any is read), the answer out with its own
 * `content-length` (a HEAD's is the length GET would send; its body is not sent), a blob streamed.
 */
export async function serveRegistryApi(
  api: (request: RegistryApiRequest) => Promise<RegistryApiResponse>,
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
  body: Buffer | Readable,
  authorize?: RegistryApiRequest['authorize'],
  fault?: RegistryApiRequest['fault'],
): Promise<void> {
  const queryAt = url.indexOf('?');
  const response = await api({
    method: req.method ?? 'GET',
    path: queryAt === -1 ? url : url.slice(0, queryAt),
    query: queryAt === -1 ? '' : url.slice(queryAt + 1),
    headers: req.headers,
    body,
    ...(authorize ? { authorize } : {}),
    ...(fault ? { fault } : {}),
  });
  res.writeHead(response.status, response.headers);
  const answer = response.body;
  if (req.method === 'HEAD' || typeof answer === 'string' || Buffer.isBuffer(answer)) {
    if (typeof answer !== 'string' && !Buffer.isBuffer(answer)) answer.destroy();
    res.end(req.method === 'HEAD' ? undefined : answer);
    return;
  }
  // A client that goes away mid-download closes the file (pipeline destroys both ends).
  await pipeline(answer, res).catch(() => undefined);
}
