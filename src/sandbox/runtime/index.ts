/**
 * The sandbox's local Lambda runtime. It reads serverless.yml, provisions the declared resources in moto, creates
 * each function's EventBridge rules and SNS subscriptions with an SQS queue standing in for the function, long-polls
 * those queues (and the functions' SQS event sources) and invokes the handlers in-process with the events AWS
 * delivers. Asynchronous sources (EventBridge, SNS, schedules, `invoke(..., 'Event')`) are retried like async
 * Lambda and then sent to the function's onFailure destination.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type EventModel, type FunctionModel, loadServerless } from './config.ts';
import { type InvocationError, Invoker } from './invoker.ts';
import { type Clients, ensureQueue, provisionResources } from './provision.ts';
import { nextFiring } from './schedule.ts';
import { eventBridgeEvent, scheduledEvent, snsEvent, sqsRecord } from './shapes.ts';

import { ServerlessConfigError } from './template.ts';

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
  /** Where handler paths are resolved. */
  projectRoot: string;
  stage?: string;
  region?: string;
  accountId?: string;
  /** The sandbox clock (schedules). */
  now?: () => Date;
  /** Default stderr; each invocation's lines are prefixed with the function name. */
  log?: (line: string) => void;
  /** Debug lines (skipped resources…); default: dropped. */
  debug?: (line: string) => void;
  /** Long-poll wait (default 1). */
  pollWaitSeconds?: number;
  /** Delays before async retries (AWS: ~1 min then ~2 min; default locally [200, 400]). */
  retryDelaysMs?: number[];
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

export interface FunctionStats {
  invocations: number;
  errors: number;
  retries: number;
  failuresSentToDestination: number;
}

/** One finished invocation, kept in {@link LambdaRuntime.history} (newest last). */
export interface InvocationRecord {
  function: string;
  requestId?: string;
  /** What triggered it: `source detail-type` for EventBridge, `aws:sns` / `aws:sqs`, or `direct`. */
  trigger: string;
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  at: string;
}

/** How many invocations {@link LambdaRuntime.history} keeps. */
const HISTORY_LIMIT = 1000;

function triggerOf(event: unknown): string {
  const e = event as {
    source?: unknown;
    'detail-type'?: unknown;
    Records?: Array<{ EventSource?: unknown; eventSource?: unknown }>;
  };
  if (typeof e?.source === 'string') return `${e.source} ${String(e['detail-type'])}`;
  const record = e?.Records?.[0];
  if (record) return String(record.EventSource ?? record.eventSource);
  return 'direct';
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

interface PolledQueue {
  url: string;
  arn: string;
  /** Stand-in queues are ours alone: in-flight messages there are always being handled by us. */
  standIn: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

/** SQS queue names are at most 80 characters. */
function queueName(base: string): string {
  return base.length <= 80 ? base : `${base.slice(0, 71)}-${randomUUID().slice(0, 8)}`;
}

/** A counting semaphore. */
class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  get free(): number {
    return this.limit - this.used;
  }
  async acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  /** Resolves once at least one slot is free (without taking it). */
  async whenFree(): Promise<void> {
    while (this.used >= this.limit)
      await new Promise<void>((resolve) =>
        this.waiting.push(() => {
          this.used--;
          resolve();
        }),
      );
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}

export async function startLambdaRuntime(options: LambdaRuntimeOptions): Promise<LambdaRuntime> {
  const stage = options.stage ?? 'local';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const debug = options.debug ?? (() => {});
  const pollWaitSeconds = options.pollWaitSeconds ?? 1;
  const retryDelaysMs = options.retryDelaysMs ?? [200, 400];
  const concurrency = options.concurrency ?? 10;
  const endpoint = options.endpoint.replace(/\/$/, '');
  const handlerEndpoint = (options.handlerEndpoint ?? options.endpoint).replace(/\/$/, '');

  const model = loadServerless({
    serverlessFile: options.serverlessFile,
    stage,
    region,
    accountId,
    endpoint: handlerEndpoint,
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
  const stats: Record<string, FunctionStats> = {};
  for (const fn of model.functions) {
    stats[fn.key] = { invocations: 0, errors: 0, retries: 0, failuresSentToDestination: 0 };
  }
  const invoker = new Invoker({
    projectRoot: options.projectRoot,
    endpoint: handlerEndpoint,
    region,
    accountId,
    log,
  });

  // --- Local work tracking (idle) ---------------------------------------------------------------------------
  let busy = 0;
  let generation = 0;
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    busy++;
    generation++;
    try {
      return await work();
    } finally {
      busy--;
      generation++;
    }
  };
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  // --- Batched deletes ----------------------------------------------------------------------------------------
  const pendingDeletes = new Map<string, string[]>();
  let deleteFlush: Promise<void> | undefined;
  const flushDeletes = async () => {
    while (pendingDeletes.size > 0) {
      const [url, handles] = pendingDeletes.entries().next().value as [string, string[]];
      pendingDeletes.delete(url);
      for (let i = 0; i < handles.length; i += 10) {
        const chunk = handles.slice(i, i + 10);
        try {
          await clients.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: url,
              Entries: chunk.map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle })),
            }),
          );
        } catch (error) {
          log(`[runtime] could not delete messages from ${url}: ${(error as Error).message}`);
        }
      }
    }
  };
  const deleteMessage = (url: string, receiptHandle: string): void => {
    const list = pendingDeletes.get(url) ?? [];
    list.push(receiptHandle);
    pendingDeletes.set(url, list);
    if (!deleteFlush) {
      busy++;
      deleteFlush = new Promise<void>((resolve) => setImmediate(resolve)).then(flushDeletes).finally(() => {
        deleteFlush = undefined;
        busy--;
      });
    }
  };

  // --- Invocation -------------------------------------------------------------------------------------------
  const slots = new Map(model.functions.map((fn) => [fn.key, new Slots(concurrency)]));
  const history: InvocationRecord[] = [];
  const invokeCounted = async (fn: FunctionModel, event: unknown, requestId?: string) => {
    const counters = stats[fn.key] as FunctionStats;
    counters.invocations++;
    const outcome = await invoker.invoke(fn, event, requestId);
    if (!outcome.ok) counters.errors++;
    history.push({
      function: fn.key,
      requestId,
      trigger: triggerOf(event),
      ok: outcome.ok,
      ...(outcome.ok ? { result: outcome.result } : { error: outcome.error }),
      at: now().toISOString(),
    });
    if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
    return outcome;
  };

  const sendToDestination = async (
    fn: FunctionModel,
    event: unknown,
    requestId: string,
    error: InvocationError,
    attempts: number,
  ) => {
    const destination = fn.onFailure;
    if (!destination) {
      log(
        `[${fn.key}] async invocation ${requestId} failed after ${attempts} attempts; no onFailure destination`,
      );
      return;
    }
    const record = {
      version: '1.0',
      timestamp: now().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${fn.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: error,
    };
    try {
      if (destination.type === 'sqs') {
        const name = destination.arn.split(':').pop() as string;
        const url =
          [...registry.declarations.keys()]
            .map((id) => registry.physical(id))
            .find((physical) => physical.arn === destination.arn)?.url ??
          (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
        await clients.sqs.send(
          new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(record) }),
        );
      } else {
        await clients.sns.send(
          new PublishCommand({ TopicArn: destination.arn, Message: JSON.stringify(record) }),
        );
      }
      (stats[fn.key] as FunctionStats).failuresSentToDestination++;
      log(`[${fn.key}] async invocation ${requestId} failed ${attempts} times; sent to ${destination.arn}`);
    } catch (sendError) {
      log(
        `[${fn.key}] could not send failure of ${requestId} to ${destination.arn}: ${(sendError as Error).message}`,
      );
    }
  };

  /** Async Lambda semantics: the attempt, up to maximumRetryAttempts retries, then the onFailure destination. */
  const invokeAsync = async (fn: FunctionModel, event: unknown): Promise<void> => {
    const requestId = randomUUID();
    let attempts = 0;
    for (;;) {
      attempts++;
      const outcome = await invokeCounted(fn, event, requestId);
      if (outcome.ok) return;
      if (attempts > fn.maximumRetryAttempts || stopped) {
        await sendToDestination(fn, event, requestId, outcome.error, attempts);
        return;
      }
      (stats[fn.key] as FunctionStats).retries++;
      await pause(retryDelaysMs[attempts - 1] ?? retryDelaysMs[retryDelaysMs.length - 1] ?? 0);
    }
  };

  // --- Wiring events in moto ------------------------------------------------------------------------------
  const polled: PolledQueue[] = [];
  const pollers: Array<Promise<void>> = [];
  const schedules: Array<{
    fn: FunctionModel;
    event: Extract<EventModel, { kind: 'schedule' }>;
    next?: Date;
  }> = [];
  const ruleArn = (name: string, bus?: string) =>
    `arn:aws:events:${region}:${accountId}:rule/${bus ? `${bus}/` : ''}${name}`;
  const standInVisibility = (fn: FunctionModel) =>
    String(
      Math.min(
        43_200,
        Math.ceil(
          fn.timeoutSeconds * (fn.maximumRetryAttempts + 1) + retryDelaysMs.reduce((a, b) => a + b, 0) / 1000,
        ) + 60,
      ),
    );

  const receive = async (queue: PolledQueue, max: number): Promise<Message[]> => {
    const received = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        WaitTimeSeconds: pollWaitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return received.Messages ?? [];
  };

  /** Poll a queue forever; `onMessages` runs with the batch counted as local work. */
  const pollLoop = (
    queue: PolledQueue,
    maxBatch: () => Promise<number>,
    onMessages: (messages: Message[]) => Promise<void>,
  ) =>
    (async () => {
      while (!stopped) {
        try {
          const max = await maxBatch();
          if (stopped) break;
          // A message moto has handed out but we have not seen yet counts as in flight (NotVisible) in idle().
          const messages = await receive(queue, max);
          if (stopped && messages.length > 0) {
            // Received while stopping: hand them back rather than leaving them invisible.
            await clients.sqs.send(
              new ChangeMessageVisibilityBatchCommand({
                QueueUrl: queue.url,
                Entries: messages.map((message, index) => ({
                  Id: String(index),
                  ReceiptHandle: message.ReceiptHandle as string,
                  VisibilityTimeout: 0,
                })),
              }),
            );
            break;
          }
          if (messages.length > 0) await track(() => onMessages(messages));
        } catch (error) {
          if (stopped) break;
          log(`[runtime] polling ${queue.url} failed: ${(error as Error).message}`);
          await pause(500);
        }
      }
    })();

  /** Async stand-in queue: each message is one async invocation, up to `concurrency` at a time per function. */
  const pollAsync = (fn: FunctionModel, queue: PolledQueue, toEvent: (message: Message) => unknown) => {
    const functionSlots = slots.get(fn.key) as Slots;
    return pollLoop(
      queue,
      async () => {
        await functionSlots.whenFree();
        return functionSlots.free;
      },
      async (messages) => {
        for (const message of messages) {
          await functionSlots.acquire();
          void track(async () => {
            try {
              let event: unknown;
              try {
                event = toEvent(message);
              } catch (error) {
                log(
                  `[${fn.key}] dropping unreadable message ${message.MessageId}: ${(error as Error).message}`,
                );
                return;
              }
              await invokeAsync(fn, event);
            } finally {
              deleteMessage(queue.url, message.ReceiptHandle as string);
              functionSlots.release();
            }
          });
        }
      },
    );
  };

  const functions: RuntimeFunction[] = [];
  try {
    for (const fn of model.functions) {
      functions.push({
        name: fn.key,
        deployedName: fn.name,
        handler: fn.handler,
        events: fn.events.map(describeEvent),
      });
      const eventBridge = fn.events.filter((event) => event.kind === 'eventBridge');
      const sns = fn.events.filter((event) => event.kind === 'sns');
      if (eventBridge.length > 0) {
        const name = queueName(`${service}-${stage}-${fn.key}-events`);
        const url = await ensureQueue(clients.sqs, name, { VisibilityTimeout: standInVisibility(fn) });
        const queue: PolledQueue = { url, arn: `arn:aws:sqs:${region}:${accountId}:${name}`, standIn: true };
        for (const event of eventBridge) {
          if (event.eventBus) {
            try {
              await clients.events.send(new CreateEventBusCommand({ Name: event.eventBus }));
            } catch (error) {
              if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
            }
          }
          await clients.events.send(
            new PutRuleCommand({
              Name: event.ruleName,
              EventPattern: JSON.stringify(event.pattern),
              State: 'ENABLED',
              ...(event.eventBus ? { EventBusName: event.eventBus } : {}),
            }),
          );
          await clients.events.send(
            new PutTargetsCommand({
              Rule: event.ruleName,
              ...(event.eventBus ? { EventBusName: event.eventBus } : {}),
              Targets: [
                {
                  Id: 'local-lambda-runtime',
                  Arn: queue.arn,
                  // moto's default delivery is ~6x slower and drops `account`; this delivers the whole event.
                  InputTransformer: {
                    InputPathsMap: { id: '$.id' },
                    InputTemplate: '<aws.events.event.json>',
                  },
                },
              ],
            }),
          );
        }
        polled.push(queue);
        pollers.push(pollAsync(fn, queue, (message) => eventBridgeEvent(message.Body ?? '{}')));
      }
      if (sns.length > 0) {
        const name = queueName(`${service}-${stage}-${fn.key}-sns`);
        const url = await ensureQueue(clients.sqs, name, { VisibilityTimeout: standInVisibility(fn) });
        const queue: PolledQueue = { url, arn: `arn:aws:sqs:${region}:${accountId}:${name}`, standIn: true };
        const subscriptionByTopic = new Map<string, string>();
        for (const event of sns) {
          const attributes: Record<string, string> = {};
          if (event.filterPolicy) attributes.FilterPolicy = JSON.stringify(event.filterPolicy);
          if (event.filterPolicyScope) attributes.FilterPolicyScope = event.filterPolicyScope;
          // CreateTopic is idempotent: topics named only in the event are created as Serverless would.
          await clients.sns.send(new CreateTopicCommand({ Name: event.topicName }));
          const subscribed = await clients.sns.send(
            new SubscribeCommand({
              TopicArn: event.topicArn,
              Protocol: 'sqs',
              Endpoint: queue.arn,
              Attributes: attributes,
              ReturnSubscriptionArn: true,
            }),
          );
          subscriptionByTopic.set(event.topicArn, subscribed.SubscriptionArn ?? `${event.topicArn}:local`);
        }
        polled.push(queue);
        pollers.push(
          pollAsync(fn, queue, (message) => {
            const body = message.Body ?? '{}';
            const topicArn = String((JSON.parse(body) as { TopicArn?: string }).TopicArn ?? '');
            return snsEvent(body, subscriptionByTopic.get(topicArn) ?? `${topicArn}:local`);
          }),
        );
      }
      for (const event of fn.events) {
        if (event.kind === 'schedule') {
          try {
            await clients.events.send(
              new PutRuleCommand({
                Name: event.ruleName,
                ScheduleExpression: event.expression,
                State: event.enabled ? 'ENABLED' : 'DISABLED',
              }),
            );
          } catch (error) {
            debug(`schedule rule ${event.ruleName} not created in moto: ${(error as Error).message}`);
          }
          schedules.push({ fn, event });
        }
        if (event.kind === 'sqs') {
          const url = event.queueLogicalId
            ? (registry.physical(event.queueLogicalId).url as string)
            : ((
                await clients.sqs.send(
                  new GetQueueUrlCommand({ QueueName: event.queueArn.split(':').pop() as string }),
                )
              ).QueueUrl as string);
          if (!event.enabled) continue;
          const queue: PolledQueue = { url, arn: event.queueArn, standIn: false };
          polled.push(queue);
          const functionSlots = slots.get(fn.key) as Slots;
          pollers.push(
            pollLoop(
              queue,
              async () => event.batchSize,
              async (messages) => {
                await functionSlots.acquire();
                try {
                  const records = messages.map((message) => sqsRecord(message, event.queueArn, region));
                  const outcome = await invokeCounted(fn, { Records: records });
                  if (!outcome.ok) return; // the whole batch becomes visible again after the visibility timeout
                  let failed = new Set<string>();
                  if (event.reportBatchItemFailures) {
                    const response = outcome.result as {
                      batchItemFailures?: Array<{ itemIdentifier?: unknown }>;
                    } | null;
                    const failures = response?.batchItemFailures ?? [];
                    const ids = new Set(records.map((record) => record.messageId));
                    const valid =
                      Array.isArray(failures) &&
                      failures.every(
                        (f) => typeof f?.itemIdentifier === 'string' && ids.has(f.itemIdentifier),
                      );
                    failed = valid ? new Set(failures.map((f) => f.itemIdentifier as string)) : ids;
                    if (!valid)
                      log(`[${fn.key}] invalid batchItemFailures response: the whole batch is retried`);
                  }
                  for (const record of records) {
                    if (!failed.has(record.messageId)) deleteMessage(url, record.receiptHandle);
                  }
                } finally {
                  functionSlots.release();
                }
              },
            ),
          );
        }
      }
    }
  } catch (error) {
    stopped = true;
    destroyClients();
    throw error;
  }

  invoker.start();

  // --- Schedules ---------------------------------------------------------------------------------------------
  const fireSchedule = (fn: FunctionModel, event: Extract<EventModel, { kind: 'schedule' }>) => {
    const payload =
      event.input !== undefined
        ? typeof event.input === 'string'
          ? JSON.parse(event.input)
          : event.input
        : scheduledEvent({ ruleArn: ruleArn(event.ruleName), account: accountId, region, time: now() });
    void track(() => invokeAsync(fn, payload));
  };
  const start = now();
  for (const entry of schedules) entry.next = nextFiring(entry.event.schedule, start);
  const ticker =
    schedules.some((entry) => entry.event.enabled) &&
    setInterval(() => {
      const current = now();
      for (const entry of schedules) {
        if (!entry.event.enabled || !entry.next || current < entry.next) continue;
        entry.next = nextFiring(entry.event.schedule, current);
        fireSchedule(entry.fn, entry.event);
      }
    }, options.scheduleTickMs ?? 1000);
  if (ticker) ticker.unref();

  const lookup = (functionName: string): FunctionModel => {
    const fn = functionsByName.get(functionName);
    if (!fn) {
      throw new Error(
        `unknown function "${functionName}" (known: ${model.functions.map((f) => f.key).join(', ') || 'none'})`,
      );
    }
    return fn;
  };

  const queueIsEmpty = async (queue: PolledQueue): Promise<boolean> => {
    const { Attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const count = (key: string) => Number((Attributes as Record<string, string>)[key] ?? 0);
    return (
      count('ApproximateNumberOfMessages') + count('ApproximateNumberOfMessagesDelayed') === 0 &&
      (!queue.standIn || count('ApproximateNumberOfMessagesNotVisible') === 0)
    );
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
        payload = schedule
          ? scheduledEvent({ ruleArn: ruleArn(schedule.ruleName), account: accountId, region, time: now() })
          : {};
      }
      if (mode === 'Event') {
        void track(() => invokeAsync(fn, payload));
        return { ok: true };
      }
      const outcome = await track(() => invokeCounted(fn, payload));
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
      fireSchedule(fn, schedule);
    },
    async idle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let clean = 0;
      let seen = -1;
      while (Date.now() < deadline) {
        if (busy === 0) {
          const before = generation;
          const empty = (await Promise.all(polled.map(queueIsEmpty))).every(Boolean);
          if (empty && busy === 0 && generation === before) {
            clean = seen === generation ? clean + 1 : 1;
            seen = generation;
            if (clean >= 2) return;
          } else clean = 0;
        } else clean = 0;
        await sleep(25);
      }
      throw new Error(`local Lambda runtime not idle after ${timeoutMs} ms (${busy} tasks running)`);
    },
    history() {
      return history.slice();
    },
    stats() {
      return JSON.parse(JSON.stringify(stats)) as Record<string, FunctionStats>;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (ticker) clearInterval(ticker);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Long polls are not aborted (moto would still hand a message to the dead request): they end within the wait.
      await Promise.race([Promise.allSettled(pollers), sleep((pollWaitSeconds + 3) * 1000)]);
      await flushDeletes().catch(() => {});
      invoker.stop();
      destroyClients();
    },
  };
}
