import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { loadConfig } from '../config/load.ts';
import { createAdminHandler } from './admin.ts';
import { SandboxClock } from './clock.ts';
import type { EcrEmulator, EcrEmulatorOptions, EventEntry } from './contracts.ts';
import { identifyRequest, isEcrTarget, RequestCounters } from './counters.ts';
import { createEcrEmulator } from './ecr/index.ts';
import { EventForwarder } from './events.ts';
import { FaultRegistry, faultResponse } from './faults.ts';
import { type MotoServer, startMoto } from './moto.ts';
import { assignMessageIds, type EmailDelivery, Outbox, parseSnsPublish, type SlackPost } from './outbox.ts';
import { downstreamHeaders, MotoProxy, readBody } from './proxy.ts';
import { type LambdaRuntime, startLambdaRuntime } from './runtime/index.ts';
import { SnsEmailTap } from './sns-email.ts';

export { MotoUnavailableError } from './moto.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4566;
export const SANDBOX_ACCOUNT_ID = '123456789012';
export const SANDBOX_REGION = 'us-east-1';

export interface SandboxOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on (default 4566; 0 = a free port). */
  port?: number;
  /** ECR state is loaded from and saved to this directory (moto state is never persisted). */
  stateDir?: string;
  /** Real milliseconds between a scan starting and completing (default 1000). */
  scanDelayMs?: number;
  /** No diagnostics on stderr at all. */
  quiet?: boolean;
  /** Log every request (`service action status ms`) to stderr. */
  verbose?: boolean;
  /** Where diagnostics go (default stderr). */
  log?: (line: string) => void;
  /** Python interpreter for moto (default ECR_SENTINEL_PYTHON or python3). */
  python?: string;
  /**
   * Run the functions of a serverless.yml on the sandbox (the local Lambda runtime): rules, stand-in queues
   * and resources are created in moto, and handlers are invoked in-process. Off when absent.
   */
  runtime?: {
    serverlessFile: string;
    projectRoot: string;
    stage?: string;
    retryDelaysMs?: number[];
    /**
     * The sentinel.config.yml the functions are deployed with: serverless.yml is resolved with
     * SENTINEL_CONFIG set to it (email subscriptions, the Slack parameter), the functions get it as
     * SENTINEL_CONFIG, and its `alerts.slack.webhookParameter` is seeded with the stand-in webhook URL.
     */
    configFile?: string;
  };
  /** Build the ECR emulator (default: the real one from ./ecr/index.ts); tests may pass a stand-in. */
  createEmulator?: (options: EcrEmulatorOptions) => Promise<EcrEmulator>;
}

export interface Sandbox {
  /** Base URL, e.g. http://127.0.0.1:4566 — use as AWS_ENDPOINT_URL. */
  url: string;
  port: number;
  host: string;
  /** moto's own URL (bypasses the edge: no counters, no faults). */
  motoUrl: string;
  motoPid: number;
  clock: SandboxClock;
  /** The local Lambda runtime, when started with `runtime` (replaced by a fresh one on reset). */
  runtime(): LambdaRuntime | undefined;
  /** Flush pending events, stop serving, stop moto. Idempotent. */
  stop(): Promise<void>;
}

/** The edge could not listen on the requested address. */
export class SandboxListenError extends Error {
  override readonly name = 'SandboxListenError';
}

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function readRequest(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    req.on('end', () =>
      resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, length)),
    );
    req.on('error', reject);
  });
}

/** SNS actions that leave subscriptions as they are (everything else invalidates the email tap's cache). */
const SNS_READ_ONLY = /^(Publish|PublishBatch|List|Get|CheckIfPhoneNumberIsOptedOut)/;

/**
 * Start the local sandbox: moto as a child process, the ECR emulator in-process, and one HTTP endpoint that
 * serves ECR, proxies every other AWS request to moto, and answers the admin API under `/_sandbox/`.
 * @throws MotoUnavailableError when Python or moto is missing; SandboxListenError when the port is taken
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? DEFAULT_HOST;
  const requestedPort = options.port ?? DEFAULT_PORT;
  const write = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = options.quiet ? () => {} : write;
  const verbose = options.verbose === true && !options.quiet;
  const startedAt = Date.now();

  // Bind first: a taken port fails fast, before moto starts. Until everything is up, requests get a 503.
  let serve = (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
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
    const code = (error as NodeJS.ErrnoException).code;
    throw new SandboxListenError(
      code === 'EADDRINUSE'
        ? `port ${requestedPort} on ${host} is already in use (choose another with --port)`
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `cannot listen on ${host}: no such local address (use an address of this machine, e.g. 127.0.0.1)`
          : code === 'EACCES'
            ? `not allowed to listen on ${host}:${requestedPort} (ports below 1024 need privileges)`
            : `cannot listen on ${host}:${requestedPort}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : requestedPort;
  const publicUrl = `http://${urlHost(host)}:${port}`;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  let moto: MotoServer;
  try {
    moto = await startMoto(options.python ? { python: options.python } : {});
  } catch (error) {
    await closeServer();
    throw error;
  }
  const clock = new SandboxClock();
  const counters = new RequestCounters();
  const faults = new FaultRegistry();
  const emailOutbox = new Outbox<EmailDelivery>();
  const slackOutbox = new Outbox<SlackPost>();
  const findings = new Outbox<unknown>();
  const proxy = new MotoProxy('127.0.0.1', moto.port);
  const direct = { endpoint: moto.url, region: SANDBOX_REGION, credentials: CREDENTIALS, maxAttempts: 3 };
  const eventBridge = new EventBridgeClient(direct);
  const sns = new SNSClient(direct);
  const ssm = new SSMClient(direct);
  const events = new EventForwarder(eventBridge, log);
  const emailTap = new SnsEmailTap(sns, emailOutbox, clock, () => publicUrl);

  let emulator: EcrEmulator;
  try {
    const create = options.createEmulator ?? createEcrEmulator;
    emulator = await create({
      clock,
      accountId: SANDBOX_ACCOUNT_ID,
      region: SANDBOX_REGION,
      publicUrl: () => publicUrl,
      emit: (entries: EventEntry[]) => events.emit(entries),
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      scanDelayMs: options.scanDelayMs ?? 1000,
    });
  } catch (error) {
    await moto.stop();
    await closeServer();
    throw error;
  }

  // The runtime talks to moto directly: its polling is plumbing, not calls the handlers make.
  let runtime: LambdaRuntime | undefined;
  const configFile = options.runtime?.configFile ? resolvePath(options.runtime.configFile) : undefined;
  const startRuntime = async () => {
    if (!options.runtime) return undefined;
    return startLambdaRuntime({
      endpoint: moto.url,
      handlerEndpoint: publicUrl,
      serverlessFile: options.runtime.serverlessFile,
      projectRoot: options.runtime.projectRoot,
      stage: options.runtime.stage ?? 'dev',
      region: SANDBOX_REGION,
      accountId: SANDBOX_ACCOUNT_ID,
      now: () => clock.now(),
      log,
      ...(options.runtime.retryDelaysMs ? { retryDelaysMs: options.runtime.retryDelaysMs } : {}),
      ...(configFile
        ? { variables: { SENTINEL_CONFIG: configFile }, functionEnvironment: { SENTINEL_CONFIG: configFile } }
        : {}),
    });
  };
  /** The Slack webhook parameter of the config holds the stand-in webhook's URL (after start and reset). */
  const seedSlackWebhook = async () => {
    if (!configFile) return;
    const parameter = (await loadConfig(configFile)).alerts.slack?.webhookParameter;
    if (!parameter) return;
    await ssm.send(
      new PutParameterCommand({
        Name: parameter,
        Type: 'SecureString',
        Value: `${publicUrl}/_sandbox/webhooks/slack`,
        Overwrite: true,
      }),
    );
  };

  const resetAll = async (): Promise<void> => {
    // moto's reset removes the runtime's rules, queues and tables: stop it first, provision afresh after.
    await runtime?.stop();
    runtime = undefined;
    await events.discard();
    emulator.reset();
    const response = await fetch(`${moto.url}/moto-api/reset`, { method: 'POST' });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
    emailTap.invalidate();
    emailOutbox.clear();
    slackOutbox.clear();
    findings.clear();
    faults.clear();
    counters.clear();
    clock.reset();
    runtime = await startRuntime();
    await seedSlackWebhook();
  };

  const admin = createAdminHandler({
    clock,
    counters,
    faults,
    emailOutbox,
    slackOutbox,
    findings,
    emulator,
    runtime: () => runtime,
    reset: resetAll,
    health: () => {
      const motoRunning = moto.running();
      return {
        healthy: motoRunning,
        body: {
          status: motoRunning ? 'ok' : 'degraded',
          services: { ecr: 'running', moto: motoRunning ? 'running' : 'stopped' },
          url: publicUrl,
          accountId: SANDBOX_ACCOUNT_ID,
          region: SANDBOX_REGION,
          motoPid: moto.pid,
          motoUrl: moto.url,
          pid: process.pid,
          stateDir: options.stateDir ?? null,
          clock: { now: clock.now().toISOString(), shifted: clock.shifted },
          events: { sent: events.sent, failed: events.failed, pending: events.pending },
          runtime: runtime ? { functions: runtime.functions.map((f) => f.name) } : null,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        },
      };
    },
  });

  const sendSimple = (
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: string | Buffer,
  ) => {
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = verbose ? performance.now() : 0;
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const body = await readRequest(req);
    if (path.startsWith('/_sandbox/')) {
      await admin(req, res, path, queryAt === -1 ? '' : url.slice(queryAt + 1), body);
      if (verbose)
        log(`admin ${req.method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
      return;
    }
    const method = req.method ?? 'GET';
    const identity = identifyRequest(method, url, req.headers, body);
    counters.record(identity.service, identity.action);
    const done = () => {
      if (verbose) {
        log(
          `${identity.service} ${identity.action} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`,
        );
      }
    };

    const fault = faults.pick(identity.service, identity.action);
    if (fault) {
      const response = faultResponse(
        fault,
        identity,
        req.headers['content-type'],
        req.headers['x-amzn-query-mode'] === 'true',
      );
      sendSimple(res, response.status, response.headers, response.body);
      done();
      return;
    }

    if (isEcrTarget(identity.target)) {
      const response = await emulator.serve(identity.action, body.toString('utf8'));
      sendSimple(res, response.status, response.headers, response.body);
      done();
      return;
    }

    const isSns = identity.service === 'sns';
    const tapPublish = isSns && (identity.action === 'Publish' || identity.action === 'PublishBatch');
    if (isSns && !SNS_READ_ONLY.test(identity.action)) emailTap.invalidate();

    const upstream = await proxy.send(method, url, req.headers, body);
    const status = upstream.statusCode ?? 502;
    if (tapPublish && status === 200) {
      const responseBody = await readBody(upstream);
      try {
        const messages = parseSnsPublish(body.toString('utf8'));
        if (messages.length > 0) {
          assignMessageIds(messages, responseBody.toString('utf8'));
          await emailTap.record(messages);
        }
      } catch (error) {
        log(
          `outbox: could not record email for ${identity.action}: ${error instanceof Error ? error.message : error}`,
        );
      }
      res.writeHead(status, downstreamHeaders(upstream.headers));
      res.end(responseBody);
      done();
      return;
    }
    res.writeHead(status, downstreamHeaders(upstream.headers));
    if (verbose) res.once('finish', done);
    upstream.once('error', () => res.destroy());
    res.once('close', () => {
      if (!upstream.complete) upstream.destroy();
    });
    upstream.pipe(res);
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await runtime?.stop();
      } catch (error) {
        log(`runtime: stop failed: ${error instanceof Error ? error.message : error}`);
      }
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Let requests in flight finish briefly, then cut what's left.
      const timer = setTimeout(() => server.closeAllConnections(), 1000);
      await closed;
      clearTimeout(timer);
      try {
        await emulator.close();
      } catch (error) {
        log(`ecr: close failed: ${error instanceof Error ? error.message : error}`);
      }
      await events.flush();
      proxy.close();
      eventBridge.destroy();
      sns.destroy();
      ssm.destroy();
      await moto.stop();
    })();
    return stopping;
  };

  try {
    runtime = await startRuntime();
    await seedSlackWebhook();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: publicUrl,
    port,
    host,
    motoUrl: moto.url,
    motoPid: moto.pid,
    clock,
    runtime: () => runtime,
    stop,
  };
}
