/**
 * The sandbox's local Lambda runtime. It reads serverless.yml, provisions the declared resources in moto, creates
 * each function's EventBridge rules and SNS subscriptions with an SQS queue standing in for the function, long-polls
 * those queues (and the functions' SQS event sources) and invokes the handlers in-process with the events AWS
 * delivers. Asynchronous sources (EventBridge, SNS, schedules, `invoke(..., 'Event')`) are retried like async
 * Lambda and then sent to the function's onFailure destination.
 *
 * This module composes the parts: event-sources.ts (rules, subscriptions, stand-in queues), polling.ts (SQS long
 * polls and deletes), invocations.ts (counting, history, async retries, onFailure), scheduler.ts (schedules),
 * idle.ts (what idle() waits on), timers.ts (every timer, cleared at stop) and invoker.ts (one handler run).
 */
import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type EventModel, type FunctionModel, loadServerless } from './config.ts';
import { connectEventSources } from './event-sources.ts';
import { FunctionPrincipals } from './iam.ts';
import { WorkTracker } from './idle.ts';
import { type FunctionStats, type InvocationRecord, Invocations } from './invocations.ts';
import { Invoker } from './invoker.ts';
import { formatFunctionLine, type LogFormat } from './log-format.ts';
import { QueuePoller } from './polling.ts';
import { type Clients, provisionResources } from './provision.ts';
import { Scheduler } from './scheduler.ts';
import { ServerlessConfigError } from './template.ts';
import { Timers } from './timers.ts';

export type { FunctionStats, InvocationRecord };
export { ServerlessConfigError };

export interface LambdaRuntimeOptions {
  /** AWS endpoint the runtime uses to talk to moto, and that handlers get as AWS_ENDPOINT_URL. */
  endpoint: string;
  /**
   * What handlers get as AWS_ENDPOINT_URL (and queue URLs are built on), when it differs from `endpoint`:
   * the sandbox points its own plumbing at moto directly so polling is not counted as the handlers' calls.
   */
  handlerEndpoint?: string;
  serverlessFile: string;
  /** Where serverless.yml's `${file(…)}` paths are resolved (default: its own directory). */
  serviceDir?: string;
  /** Where handler paths are resolved. */
  projectRoot: string;
  stage?: string;
  region?: string;
  accountId?: string;
  /**
   * The sandbox clock: schedules fire by it, and the handlers read it through `systemClock`
   * (src/shared/clock.ts) inside their invocations. Default: the wall clock.
   */
  now?: () => Date;
  /** Default stderr; each invocation's lines are prefixed with the function name. */
  log?: (line: string) => void;
  /**
   * How the lines a function prints are logged: `json` (default) as printed, after `[functionName] `; `pretty`
   * as time, function, level, message and the line's own keys (log-format.ts).
   */
  logFormat?: LogFormat;
  /** ANSI colours in `pretty` logs (default false). */
  logColor?: boolean;
  /** Debug lines (skipped resources…); default: dropped. */
  debug?: (line: string) => void;
  /** Long-poll wait (default 1). */
  pollWaitSeconds?: number;
  /** Delays before async retries (AWS: ~1 min then ~2 min; default locally [200, 400]). */
  retryDelaysMs?: number[];
  /**
   * Seconds a failed SQS record of an event source mapping stays invisible before its next delivery (default:
   * the queue's visibility timeout, as in Lambda). Tests shorten it to see redrive to a dead-letter queue.
   */
  sqsRetryVisibilitySeconds?: number;
  /** How often schedules compare `now()` with their next firing (default 1000 ms). */
  scheduleTickMs?: number;
  /** Concurrent invocations per function (default 10). */
  concurrency?: number;
  /**
   * Environment variables serverless.yml is resolved with, on top of process.env (what `${env:…}` reads and
   * `${file(x.js)}` functions see), as when deploying from a shell that sets them.
   */
  variables?: Record<string, string>;
  /** Variables added to every function's environment (its own `environment` wins). */
  functionEnvironment?: Record<string, string>;
  /** Run only these functions (keys under `functions:`); default all. Resources are provisioned either way. */
  functions?: readonly string[];
  /**
   * Hold each function's calls to its execution role (default true): the functions get credentials of their
   * own and the sandbox edge at `handlerEndpoint` answers a call the role does not allow with AccessDenied.
   * Needs the sandbox edge; false runs every function with the process's credentials, unchecked.
   */
  iam?: boolean;
}

export interface RuntimeFunction {
  /** The key under `functions:` (what `invoke`, `stats` and log prefixes use). */
  name: string;
  /** The deployed name, `${service}-${stage}-${key}`. */
  deployedName: string;
  handler: string;
  events: string[];
}

export interface InvokeOutcome {
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

export interface LambdaRuntime {
  /** The most recent invocations (at most 1000), oldest first: what ran, on what, and how it ended. */
  history(): InvocationRecord[];
  functions: RuntimeFunction[];
  /** Logical id → physical. */
  resources: Record<string, { ref: string; arn?: string; url?: string }>;
  /** Declared resources with no local meaning (IAM roles, queue policies…). */
  skipped: string[];
  /** RequestResponse (default) answers the invocation; Event queues it with async retries and answers at once. */
  invoke(functionName: string, event?: unknown, mode?: 'RequestResponse' | 'Event'): Promise<InvokeOutcome>;
  /** Fire a function's schedule now (the scheduled event, or its `input`), asynchronously like EventBridge. */
  triggerSchedule(functionName: string): Promise<void>;
  /** Resolves when every queue is empty and no invocation is running (tests and the demo wait on it). */
  idle(timeoutMs?: number): Promise<void>;
  stats(): Record<string, FunctionStats>;
  stop(): Promise<void>;
}

function describeEvent(event: EventModel): string {
  switch (event.kind) {
    case 'eventBridge':
      return `eventBridge ${event.ruleName}${event.eventBus ? ` on ${event.eventBus}` : ''} ${JSON.stringify(event.pattern)}`;
    case 'schedule':
      return `schedule ${event.expression}${event.enabled ? '' : ' (disabled)'}`;
    case 'sns':
      return `sns ${event.topicName}${event.filterPolicy ? ` filter ${JSON.stringify(event.filterPolicy)}` : ''}`;
    case 'sqs':
      return `sqs ${event.queueArn.split(':').pop()} batch ${event.batchSize}${event.reportBatchItemFailures ? ' ReportBatchItemFailures' : ''}`;
  }
}

/**
 * Starts the runtime: provisions serverless.yml's resources in moto, connects every function to its events and
 * starts polling and the schedules.
 * @throws ServerlessConfigError when serverless.yml is invalid or `options.functions` names an unknown function
 */
export async function startLambdaRuntime(options: LambdaRuntimeOptions): Promise<LambdaRuntime> {
  const stage = options.stage ?? 'local';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const debug = options.debug ?? (() => {});
  const pollWaitSeconds = options.pollWaitSeconds ?? 1;
  const retryDelaysMs = options.retryDelaysMs ?? [200, 400];
  const endpoint = options.endpoint.replace(/\/$/, '');
  const handlerEndpoint = (options.handlerEndpoint ?? options.endpoint).replace(/\/$/, '');

  const model = loadServerless({
    serverlessFile: options.serverlessFile,
    stage,
    region,
    accountId,
    endpoint: handlerEndpoint,
    ...(options.serviceDir ? { serviceDir: options.serviceDir } : {}),
    ...(options.variables ? { env: { ...process.env, ...options.variables } } : {}),
  });
  const { service, registry } = model;
  if (options.functions) {
    const unknown = options.functions.filter((name) => !model.functions.some((fn) => fn.key === name));
    if (unknown.length > 0) {
      throw new ServerlessConfigError(
        `no function ${unknown.join(', ')} in ${options.serverlessFile} (known: ${model.functions.map((f) => f.key).join(', ')})`,
      );
    }
    model.functions = model.functions.filter((fn) => options.functions?.includes(fn.key));
  }
  if (options.functionEnvironment) {
    for (const fn of model.functions) fn.environment = { ...options.functionEnvironment, ...fn.environment };
  }

  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const clientConfig = {
    endpoint,
    region,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'sandbox',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'sandbox',
    },
    requestHandler: { httpAgent: agent, requestTimeout: (pollWaitSeconds + 30) * 1000 },
  };
  const clients: Clients & { events: EventBridgeClient } = {
    sqs: new SQSClient(clientConfig),
    sns: new SNSClient(clientConfig),
    dynamodb: new DynamoDBClient(clientConfig),
    ssm: new SSMClient(clientConfig),
    events: new EventBridgeClient(clientConfig),
  };
  const destroyClients = () => {
    for (const client of Object.values(clients)) client.destroy();
    agent.destroy();
  };

  let skipped: string[];
  try {
    skipped = await provisionResources(registry, clients, debug);
  } catch (error) {
    destroyClients();
    throw error;
  }

  const functionsByName = new Map<string, FunctionModel>();
  for (const fn of model.functions) {
    functionsByName.set(fn.key, fn);
    functionsByName.set(fn.name, fn);
  }
  const principals = new FunctionPrincipals({ endpoint: handlerEndpoint, accountId, log });
  if (options.iam ?? true) {
    try {
      await principals.register(model.functions);
    } catch (error) {
      destroyClients();
      throw error;
    }
  }
  const invoker = new Invoker({
    projectRoot: options.projectRoot,
    endpoint: handlerEndpoint,
    region,
    accountId,
    log,
    credentialsOf: (fn) => principals.of(fn),
    ...(options.now ? { now: options.now } : {}),
    formatLine: (name, line) =>
      formatFunctionLine(name, line, {
        format: options.logFormat ?? 'json',
        color: options.logColor === true,
      }),
  });

  let stopped = false;
  const isStopped = () => stopped;
  const timers = new Timers();
  const work = new WorkTracker();
  const poller = new QueuePoller({
    sqs: clients.sqs,
    waitSeconds: pollWaitSeconds,
    work,
    timers,
    isStopped,
    log,
  });
  const invocations = new Invocations({
    functions: model.functions,
    invoker,
    clients,
    registry,
    retryDelaysMs,
    timers,
    isStopped,
    now,
    log,
  });
  /** Async invocations answer at once; the work (attempts, retries, destination) is counted for idle(). */
  const invokeAsync = (fn: FunctionModel, payload: unknown): void => {
    void work.track(() => invocations.invokeAsync(fn, payload));
  };
  const scheduler = new Scheduler({
    events: clients.events,
    region,
    accountId,
    now,
    tickMs: options.scheduleTickMs ?? 1000,
    timers,
    fire: invokeAsync,
    debug,
  });

  const functions: RuntimeFunction[] = model.functions.map((fn) => ({
    name: fn.key,
    deployedName: fn.name,
    handler: fn.handler,
    events: fn.events.map(describeEvent),
  }));
  try {
    for (const fn of model.functions) {
      await connectEventSources(fn, {
        service,
        stage,
        region,
        accountId,
        clients,
        registry,
        poller,
        invocations,
        work,
        scheduler,
        concurrency: options.concurrency ?? 10,
        retryDelaysMs,
        sqsRetryVisibilitySeconds: options.sqsRetryVisibilitySeconds,
        log,
      });
    }
  } catch (error) {
    stopped = true;
    timers.clear();
    destroyClients();
    await principals.unregister();
    throw error;
  }

  invoker.start();
  scheduler.start();

  const lookup = (functionName: string): FunctionModel => {
    const fn = functionsByName.get(functionName);
    if (!fn) {
      throw new Error(
        `unknown function "${functionName}" (known: ${model.functions.map((f) => f.key).join(', ') || 'none'})`,
      );
    }
    return fn;
  };

  const resources: LambdaRuntime['resources'] = {};
  for (const logicalId of registry.declarations.keys()) {
    const { ref, arn, url } = registry.physical(logicalId);
    resources[logicalId] = { ref, ...(arn ? { arn } : {}), ...(url ? { url } : {}) };
  }

  return {
    functions,
    resources,
    skipped,
    async invoke(functionName, event, mode = 'RequestResponse') {
      const fn = lookup(functionName);
      let payload = event;
      if (payload === undefined) {
        const schedule = fn.events.find((e) => e.kind === 'schedule');
        payload = schedule ? scheduler.scheduledEvent(schedule.ruleName) : {};
      }
      if (mode === 'Event') {
        invokeAsync(fn, payload);
        return { ok: true };
      }
      const outcome = await work.track(() => invocations.invoke(fn, payload));
      return outcome.ok
        ? { ok: true, result: outcome.result }
        : {
            ok: false,
            error: { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage },
          };
    },
    async triggerSchedule(functionName) {
      const fn = lookup(functionName);
      const schedule = fn.events.find((e) => e.kind === 'schedule');
      if (schedule?.kind !== 'schedule') throw new Error(`function "${functionName}" has no schedule`);
      scheduler.fire(fn, schedule);
    },
    idle(timeoutMs = 30_000) {
      return work.idle(timeoutMs, () => poller.allEmpty());
    },
    history() {
      return invocations.history();
    },
    stats() {
      return invocations.stats();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Every timer goes: waiting retries are abandoned, polling back-offs end, the schedule ticker stops.
      timers.clear();
      await poller.drain();
      invoker.stop();
      destroyClients();
      await principals.unregister();
    },
  };
}
