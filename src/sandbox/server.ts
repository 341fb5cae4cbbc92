/**
 * The sandbox's public entry (the CLI, the demo, tests and benches import from here): `startSandbox` wires the
 * edge (edge/), moto (moto/), the ECR emulator (ecr/), the SNS email and Slack taps (taps/) and the local
 * Lambda runtime (runtime/) together.
 */
import { resolve as resolvePath } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CloudFormationEcrSync } from './cloudformation-ecr.ts';
import type { EcrEmulator, EcrEmulatorOptions, EventEntry, RegistryRef } from './contracts.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from './defaults.ts';
import { createEcrEmulator } from './ecr/index.ts';
import { AccountDirectory, credentialScope } from './edge/accounts.ts';
import { createAdminHandler } from './edge/admin.ts';
import { SandboxClock } from './edge/clock.ts';
import { RequestCounters } from './edge/counters.ts';
import { FaultRegistry } from './edge/faults.ts';
import { refusal } from './edge/guard.ts';
import { IamEnforcer } from './edge/iam.ts';
import { isEcrTarget, serviceFromAuthorization } from './edge/identify.ts';
import { listenEdge } from './edge/listener.ts';
import { MotoProxy } from './edge/proxy.ts';
import { createEdgeRouter } from './edge/router.ts';
import { AccountEventClients, EventForwarder } from './events.ts';
import { InspectorCoverage } from './inspector/coverage.ts';
import { type MotoServer, startMoto } from './moto/launcher.ts';
import { type LambdaRuntime, startLambdaRuntime } from './runtime/index.ts';
import type { LogFormat } from './runtime/log-format.ts';
import { Outbox } from './taps/outbox.ts';
import { type SlackPost, seedSlackWebhook } from './taps/slack.ts';
import { type EmailDelivery, SnsEmailTap } from './taps/sns-email.ts';

export { isLoopbackAddress } from './edge/guard.ts';
export { SandboxListenError } from './edge/listener.ts';
export { MotoUnavailableError } from './moto/launcher.ts';
export { LOG_FORMATS, type LogFormat } from './runtime/log-format.ts';

export { DEFAULT_HOST, DEFAULT_PORT };
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
    /** Hold each function's calls to its execution role (default true; see LambdaRuntimeOptions.iam). */
    iam?: boolean;
    /** Run only these functions (keys under `functions:`); default all. */
    functions?: readonly string[];
    /** How the functions' log lines are printed (default `json`: as printed; see runtime/log-format.ts). */
    logFormat?: LogFormat;
    /** ANSI colours in `pretty` function logs (default false). */
    logColor?: boolean;
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

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

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

  const edge = await listenEdge(host, requestedPort, log);
  const { port, url: publicUrl } = edge;

  let moto: MotoServer;
  try {
    moto = await startMoto(options.python ? { python: options.python } : {});
  } catch (error) {
    await edge.abort();
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
  // Events of another account's registry go to that account's bus in moto (x-moto-account-id).
  const accountEvents = new AccountEventClients(direct);
  const events = new EventForwarder(eventBridge, log, (origin) => accountEvents.clientFor(origin));
  const emailTap = new SnsEmailTap(sns, emailOutbox, clock, () => publicUrl);

  let emulator: EcrEmulator;
  try {
    const create = options.createEmulator ?? createEcrEmulator;
    emulator = await create({
      clock,
      accountId: SANDBOX_ACCOUNT_ID,
      region: SANDBOX_REGION,
      publicUrl: () => publicUrl,
      emit: (entries: EventEntry[], origin?: RegistryRef) => events.emit(entries, origin),
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      scanDelayMs: options.scanDelayMs ?? 1000,
    });
  } catch (error) {
    await moto.stop();
    await edge.abort();
    throw error;
  }

  const coverage = new InspectorCoverage(emulator, { accountId: SANDBOX_ACCOUNT_ID, region: SANDBOX_REGION });

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
      ...(options.runtime.iam === undefined ? {} : { iam: options.runtime.iam }),
      ...(options.runtime.functions ? { functions: options.runtime.functions } : {}),
      ...(options.runtime.logFormat ? { logFormat: options.runtime.logFormat } : {}),
      ...(options.runtime.logColor ? { logColor: true } : {}),
      ...(configFile
        ? { variables: { SENTINEL_CONFIG: configFile }, functionEnvironment: { SENTINEL_CONFIG: configFile } }
        : {}),
    });
  };
  /** The Slack webhook parameter of the config holds the stand-in webhook's URL (after start and reset). */
  const seedWebhook = async () => {
    if (configFile) await seedSlackWebhook(ssm, configFile, publicUrl);
  };

  const resetAll = async (): Promise<void> => {
    // moto's reset removes the runtime's rules, queues and tables: stop it first, provision afresh after.
    await runtime?.stop();
    runtime = undefined;
    await events.discard();
    emulator.reset();
    cloudFormationSync.clear();
    const response = await fetch(`${moto.url}/moto-api/reset`, { method: 'POST' });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
    emailTap.invalidate();
    emailOutbox.clear();
    slackOutbox.clear();
    findings.clear();
    coverage.reset();
    faults.clear();
    accounts.clear();
    iam.clearDenials();
    counters.clear();
    clock.reset();
    runtime = await startRuntime();
    await seedWebhook();
  };

  const iam = new IamEnforcer({
    ecrScanType: (registry) => emulator.scanType(registry),
    now: () => clock.now(),
    log,
  });
  const accounts = new AccountDirectory({
    accountId: SANDBOX_ACCOUNT_ID,
    region: SANDBOX_REGION,
    registered: (accessKeyId) => iam.ownerOf(accessKeyId),
  });
  const admin = createAdminHandler({
    clock,
    counters,
    faults,
    iam,
    emailOutbox,
    slackOutbox,
    findings,
    emulator,
    coverage,
    home: { accountId: SANDBOX_ACCOUNT_ID, region: SANDBOX_REGION },
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

  const cloudFormationSync = new CloudFormationEcrSync({ motoUrl: () => moto.url, emulator, log });
  const router = createEdgeRouter({
    admin,
    accounts,
    counters,
    faults,
    iam,
    emulator,
    coverage,
    proxy,
    emailTap,
    host,
    log,
    verbose,
  });
  edge.serve(async (req, res) => {
    const allowed = refusal(req.headers, host) === undefined;
    // moto's own reset (`POST /moto-api/reset`, which its users and test suites call) empties the ECR emulator
    // too, before it reaches moto, so no request that follows its answer sees the old ECR state. The admin
    // API's reset stays the one that also re-provisions the local Lambda runtime.
    if (allowed && req.method === 'POST' && (req.url ?? '').split('?')[0] === '/moto-api/reset') {
      emulator.reset();
      cloudFormationSync.clear();
    }
    const target = req.headers['x-amz-target'];
    if (allowed && isEcrTarget(Array.isArray(target) ? target[0] : target)) {
      await cloudFormationSync.before(accounts.callerOf(req.headers));
    }
    await router(req, res);
    // moto has acted on a CloudFormation request once its answer starts: the registry's next ECR request
    // first copies the repositories its stacks now hold (cloudformation-ecr.ts).
    const authorization = req.headers.authorization;
    if (
      allowed &&
      serviceFromAuthorization(Array.isArray(authorization) ? authorization[0] : authorization) ===
        'cloudformation'
    ) {
      cloudFormationSync.stackChanged(
        credentialScope(req.headers)?.accessKeyId ?? 'testing',
        accounts.callerOf(req.headers),
      );
    }
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await runtime?.stop();
      } catch (error) {
        log(`runtime: stop failed: ${error instanceof Error ? error.message : error}`);
      }
      await edge.close();
      try {
        await emulator.close();
      } catch (error) {
        log(`ecr: close failed: ${error instanceof Error ? error.message : error}`);
      }
      await events.flush();
      proxy.close();
      eventBridge.destroy();
      accountEvents.destroy();
      sns.destroy();
      ssm.destroy();
      await moto.stop();
    })();
    return stopping;
  };

  try {
    runtime = await startRuntime();
    await seedWebhook();
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
