/**
 * Connecting each function to its events the way AWS delivers them. moto cannot invoke a function, so the
 * function's EventBridge rules and SNS subscriptions target a stand-in SQS queue of its own, each message of which is
 * one asynchronous invocation; its SQS event sources are polled in batches as an event source mapping does; its
 * schedules go to the scheduler.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueUrlCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventModel, FunctionModel } from './config.ts';
import type { WorkTracker } from './idle.ts';
import type { Invocations } from './invocations.ts';
import type { PolledQueue, QueuePoller } from './polling.ts';
import { ensureQueue } from './provision.ts';
import type { ResourceRegistry } from './resources.ts';
import type { Scheduler } from './scheduler.ts';
import { eventBridgeEvent, snsEvent, sqsRecord } from './shapes.ts';
import { Slots } from './slots.ts';

export interface EventSourceContext {
  service: string;
  stage: string;
  region: string;
  accountId: string;
  clients: { sqs: SQSClient; sns: SNSClient; events: EventBridgeClient };
  registry: ResourceRegistry;
  poller: QueuePoller;
  invocations: Invocations;
  work: WorkTracker;
  scheduler: Scheduler;
  /** Concurrent invocations per function. */
  concurrency: number;
  /** Delays before async retries (they count towards how long a stand-in message stays invisible). */
  retryDelaysMs: readonly number[];
  /**
   * Seconds a failed SQS record stays invisible before its next delivery; undefined: the queue's visibility
   * timeout, as in Lambda (tests shorten it so redrive to a dead-letter queue happens in seconds).
   */
  sqsRetryVisibilitySeconds?: number | undefined;
  log: (line: string) => void;
}

type EventOf<K extends EventModel['kind']> = Extract<EventModel, { kind: K }>;

/** Creates what delivers `fn`'s events (stand-in queues, rules, targets, subscriptions) and starts polling. */
export async function connectEventSources(fn: FunctionModel, context: EventSourceContext): Promise<void> {
  // Reserved concurrency caps a function below the runtime's own limit, as in Lambda (0 would throttle all).
  const slots = new Slots(
    Math.max(1, Math.min(context.concurrency, fn.reservedConcurrency ?? context.concurrency)),
  );
  const eventBridge = fn.events.filter(
    (event): event is EventOf<'eventBridge'> => event.kind === 'eventBridge',
  );
  const sns = fn.events.filter((event): event is EventOf<'sns'> => event.kind === 'sns');
  if (eventBridge.length > 0) await connectEventBridge(fn, eventBridge, slots, context);
  if (sns.length > 0) await connectSns(fn, sns, slots, context);
  for (const event of fn.events) {
    if (event.kind === 'schedule') await context.scheduler.add(fn, event);
    if (event.kind === 'sqs') await connectSqsSource(fn, event, slots, context);
  }
}

/** SQS queue names are at most 80 characters. */
function queueName(base: string): string {
  return base.length <= 80 ? base : `${base.slice(0, 71)}-${randomUUID().slice(0, 8)}`;
}

/** A stand-in queue of `fn`, invisible long enough for a message's every attempt and retry delay. */
async function standInQueue(
  fn: FunctionModel,
  suffix: string,
  { service, stage, region, accountId, clients, retryDelaysMs }: EventSourceContext,
): Promise<PolledQueue> {
  const name = queueName(`${service}-${stage}-${fn.key}-${suffix}`);
  const visibility = Math.min(
    43_200,
    Math.ceil(
      fn.timeoutSeconds * (fn.maximumRetryAttempts + 1) + retryDelaysMs.reduce((a, b) => a + b, 0) / 1000,
    ) + 60,
  );
  const url = await ensureQueue(clients.sqs, name, { VisibilityTimeout: String(visibility) });
  return { url, arn: `arn:aws:sqs:${region}:${accountId}:${name}`, standIn: true };
}

async function connectEventBridge(
  fn: FunctionModel,
  events: Array<EventOf<'eventBridge'>>,
  slots: Slots,
  context: EventSourceContext,
): Promise<void> {
  const { events: eventBridge } = context.clients;
  const queue = await standInQueue(fn, 'events', context);
  for (const event of events) {
    if (event.eventBus) {
      try {
        await eventBridge.send(new CreateEventBusCommand({ Name: event.eventBus }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
      }
    }
    await eventBridge.send(
      new PutRuleCommand({
        Name: event.ruleName,
        EventPattern: JSON.stringify(event.pattern),
        State: 'ENABLED',
        ...(event.eventBus ? { EventBusName: event.eventBus } : {}),
      }),
    );
    await eventBridge.send(
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
  pollAsync(fn, queue, slots, context, (message) => eventBridgeEvent(message.Body ?? '{}'));
}

async function connectSns(
  fn: FunctionModel,
  events: Array<EventOf<'sns'>>,
  slots: Slots,
  context: EventSourceContext,
): Promise<void> {
  const { sns } = context.clients;
  const queue = await standInQueue(fn, 'sns', context);
  const subscriptionByTopic = new Map<string, string>();
  for (const event of events) {
    const attributes: Record<string, string> = {};
    if (event.filterPolicy) attributes.FilterPolicy = JSON.stringify(event.filterPolicy);
    if (event.filterPolicyScope) attributes.FilterPolicyScope = event.filterPolicyScope;
    // CreateTopic is idempotent: topics named only in the event are created as Serverless would.
    await sns.send(new CreateTopicCommand({ Name: event.topicName }));
    const subscribed = await sns.send(
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
  pollAsync(fn, queue, slots, context, (message) => {
    const body = message.Body ?? '{}';
    const topicArn = String((JSON.parse(body) as { TopicArn?: string }).TopicArn ?? '');
    return snsEvent(body, subscriptionByTopic.get(topicArn) ?? `${topicArn}:local`);
  });
}

/** Polls a stand-in queue: each message is one async invocation, up to the function's concurrency at a time. */
function pollAsync(
  fn: FunctionModel,
  queue: PolledQueue,
  slots: Slots,
  { poller, work, invocations, log }: EventSourceContext,
  toEvent: (message: Message) => unknown,
): void {
  poller.poll(
    queue,
    async () => {
      await slots.whenFree();
      return slots.free;
    },
    async (messages) => {
      for (const message of messages) {
        await slots.acquire();
        void work.track(async () => {
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
            await invocations.invokeAsync(fn, event);
          } finally {
            poller.deleteMessage(queue.url, message.ReceiptHandle as string);
            slots.release();
          }
        });
      }
    },
  );
}

/**
 * An SQS event source, as an event source mapping runs it: batches of up to batchSize records, deleted when the
 * invocation succeeds; with ReportBatchItemFailures only the records it did not report as failed.
 */
async function connectSqsSource(
  fn: FunctionModel,
  event: EventOf<'sqs'>,
  slots: Slots,
  { clients, registry, region, poller, invocations, log, sqsRetryVisibilitySeconds }: EventSourceContext,
): Promise<void> {
  /** Failed records come back after `sqsRetryVisibilitySeconds` when set, else after the visibility timeout. */
  const retryLater = async (handles: string[]) => {
    if (sqsRetryVisibilitySeconds === undefined || handles.length === 0) return;
    await clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: handles.map((ReceiptHandle, index) => ({
          Id: String(index),
          ReceiptHandle,
          VisibilityTimeout: sqsRetryVisibilitySeconds,
        })),
      }),
    );
  };
  const url = event.queueLogicalId
    ? (registry.physical(event.queueLogicalId).url as string)
    : ((
        await clients.sqs.send(
          new GetQueueUrlCommand({ QueueName: event.queueArn.split(':').pop() as string }),
        )
      ).QueueUrl as string);
  if (!event.enabled) return;
  poller.poll(
    { url, arn: event.queueArn, standIn: false },
    async () => event.batchSize,
    async (messages) => {
      await slots.acquire();
      try {
        const records = messages.map((message) => sqsRecord(message, event.queueArn, region));
        const outcome = await invocations.invoke(fn, { Records: records });
        if (!outcome.ok) {
          // The whole batch becomes visible again after the visibility timeout.
          await retryLater(records.map((record) => record.receiptHandle));
          return;
        }
        let failed = new Set<string>();
        if (event.reportBatchItemFailures) {
          const response = outcome.result as {
            batchItemFailures?: Array<{ itemIdentifier?: unknown }>;
          } | null;
          const failures = response?.batchItemFailures ?? [];
          const ids = new Set(records.map((record) => record.messageId));
          const valid =
            Array.isArray(failures) &&
            failures.every((f) => typeof f?.itemIdentifier === 'string' && ids.has(f.itemIdentifier));
          failed = valid ? new Set(failures.map((f) => f.itemIdentifier as string)) : ids;
          if (!valid) log(`[${fn.key}] invalid batchItemFailures response: the whole batch is retried`);
        }
        for (const record of records) {
          if (!failed.has(record.messageId)) poller.deleteMessage(url, record.receiptHandle);
        }
        await retryLater(records.filter((r) => failed.has(r.messageId)).map((r) => r.receiptHandle));
      } finally {
        slots.release();
      }
    },
  );
}
