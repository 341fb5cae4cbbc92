import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** The edge could not listen on the requested address. */
export class SandboxListenError extends Error {
  override readonly name = 'SandboxListenError';
}

/** Serves one request; a rejection becomes a 502 (or a cut connection once headers are sent). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The sandbox's one HTTP endpoint, bound but serving only once `serve` is given a handler. */
export interface EdgeListener {
  /** The port bound (the requested one, or the one chosen for port 0). */
  port: number;
  /** Base URL, e.g. http://127.0.0.1:4566. */
  url: string;
  /** Answer requests with `handler` from now on. */
  serve(handler: RequestHandler): void;
  /** Stop at once, cutting every connection (startup failed). */
  abort(): Promise<void>;
  /** Stop accepting; requests in flight get a second to finish, then their connections are cut. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listenError(error: unknown, host: string, port: number): SandboxListenError {
  const code = (error as NodeJS.ErrnoException).code;
  return new SandboxListenError(
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (choose another with --port)`
      : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `cannot listen on ${host}: no such local address (use an address of this machine, e.g. 127.0.0.1)`
        : code === 'EACCES'
          ? `not allowed to listen on ${host}:${port} (ports below 1024 need privileges)`
          : `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : error}`,
    { cause: error },
  );
}

/**
 * Bind the edge's HTTP server. Binding comes first so that a taken port fails fast, before moto starts; until
 * `serve` is called every request gets a 503 "sandbox is starting".
 * @throws SandboxListenError when the address can't be bound
 */
export async function listenEdge(
  host: string,
  requestedPort: number,
  log: (line: string) => void,
): Promise<EdgeListener> {
  let serve: RequestHandler = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ __type: 'ServiceUnavailable', message: 'sandbox is starting' }));
    return Promise.resolve();
  };
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    serve(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      log(`edge: ${req.method} ${req.url} failed: ${message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const text = JSON.stringify({ __type: 'ServiceUnavailable', message: `sandbox edge: ${message}` });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.headersTimeout = 66_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(requestedPort, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw listenError(error, host, requestedPort);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requestedPort;
  return {
    port,
    url: `http://${urlHost(host)}:${port}`,
    serve(handler) {
      serve = handler;
    },
    abort: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), 1000);
      await closed;
      clearTimeout(timer);
    },
  };
}
