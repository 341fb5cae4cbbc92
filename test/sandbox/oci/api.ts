import type { IncomingHttpHeaders } from 'node:http';
import type { RegistryApiRequest } from '../../../src/sandbox/contracts.ts';
import { makeEmulator } from '../ecr/fixtures.ts';

/**
 * An in-process emulator with its registry API, and a client that speaks the API's HTTP shape to it directly:
 * method, path, headers, body in; status, headers, body out. Logged in with a token from GetAuthorizationToken.
 */
export async function makeRegistry() {
  const t = await makeEmulator();
  const api = t.emulator.registryApi;
  if (!api) throw new Error('the emulator has no registry API');
  const { authorizationData } = await t.ok('GetAuthorizationToken');
  const password = Buffer.from(authorizationData[0].authorizationToken, 'base64').toString('utf8').slice(4);
  const basic = (user: string, secret: string) =>
    `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

  /** Send a request; `auth: false` sends none, a string sends that Authorization header. */
  async function send(
    method: string,
    url: string,
    options: {
      body?: Buffer | string;
      headers?: IncomingHttpHeaders;
      auth?: string | false;
      authorize?: RegistryApiRequest['authorize'];
    } = {},
  ) {
    const queryAt = url.indexOf('?');
    const headers: IncomingHttpHeaders = { host: '127.0.0.1:4566', ...options.headers };
    if (options.auth !== false) headers.authorization = options.auth ?? basic('AWS', password);
    const response = await (api as NonNullable<typeof api>)({
      method,
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      query: queryAt === -1 ? '' : url.slice(queryAt + 1),
      headers,
      body: options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body),
      ...(options.authorize ? { authorize: options.authorize } : {}),
    });
    // A blob download answers a stream (its chunks, or its file): read it whole here.
    const body =
      typeof response.body === 'string' || Buffer.isBuffer(response.body)
        ? response.body
        : Buffer.concat(await response.body.toArray());
    const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, body, json };
  }

  /** The code of an error answer. */
  const errorCode = (response: { json: unknown }) =>
    (response.json as { errors?: Array<{ code: string }> } | undefined)?.errors?.[0]?.code;

  return { ...t, send, errorCode, password, basic };
}
