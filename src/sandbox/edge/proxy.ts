import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
} from 'node:http';

/** Headers that describe one hop of the connection, not the message. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'content-length',
]);

/** Request headers for the upstream hop: everything but hop-by-hop headers, with the buffered body's length. */
export function upstreamHeaders(headers: IncomingHttpHeaders, bodyLength: number): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) result[name] = value;
  }
  if (bodyLength > 0 || headers['content-length'] !== undefined) result['content-length'] = bodyLength;
  return result;
}

/** Response headers to pass back to the client (hop-by-hop removed; length kept). */
export function downstreamHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && (name === 'content-length' || !HOP_BY_HOP.has(name))) result[name] = value;
  }
  return result;
}

/** Forwards requests to moto over a keep-alive connection pool. */
export class MotoProxy {
  private readonly agent = new Agent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    scheduling: 'lifo',
  });

  constructor(
    private readonly hostname: string,
    private readonly port: number,
  ) {}

  /**
   * Send one request with its body already buffered; resolves with moto's response (not yet read).
   * A request on a pooled socket that moto closed meanwhile is retried once on a fresh one.
   */
  send(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<IncomingMessage> {
    const outgoing = upstreamHeaders(headers, body.length);
    const attempt = (retry: boolean): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        const upstream = request(
          { hostname: this.hostname, port: this.port, method, path, headers: outgoing, agent: this.agent },
          resolve,
        );
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          if (retry && upstream.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
            attempt(false).then(resolve, reject);
          } else {
            reject(error);
          }
        });
        upstream.end(body.length > 0 ? body : undefined);
      });
    return attempt(true);
  }

  close(): void {
    this.agent.destroy();
  }
}
