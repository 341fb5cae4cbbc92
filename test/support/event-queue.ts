import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

/** What a test's SDK clients are made with (awsClientConfig, accountCredentials). */
export interface ClientSettings {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  readonly maxAttempts?: number;
}

/** An event as EventBridge delivers it (`source`, `detail-type`, `account`, `region`, `detail`…). */
// biome-ignore lint/suspicious/noExplicitAny: tests check an event field by field
export type DeliveredEvent = Record<string, any>;

/** How long {@link EventQueue.read} reads. */
export interface ReadUntil {
  /** Stop once this holds for what was read so far (default: at once, then `quietMs`). */
  readonly until?: (events: readonly DeliveredEvent[]) => boolean;
  /** Give up on `until` after this long (default 20 s); what was read is returned either way. */
  readonly timeoutMs?: number;
  /** Then keep reading until this long passes without a new event, to see that no more come (default 0). */
  readonly quietMs?: number;
}

/** A queue receiving, whole, the events an EventBridge rule on a default bus matches. */
export interface EventQueue {
  /** Events in the order they arrived; each is deleted from the queue once read. */
  read(options?: ReadUntil): Promise<DeliveredEvent[]>;
  close(): void;
}

/**
 * A rule named `name` for `pattern` on the default bus of the account and Region `config` signs for (moto's
 * EventBridge), and an SQS queue of the same name as its target, receiving each event whole: how the tests see
 * what the sandbox puts on a bus.
 */
export async function eventQueue(config: ClientSettings, name: string, pattern: object): Promise<EventQueue> {
  const sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
    await events.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [
          {
            Id: 'q',
            Arn: Attributes?.QueueArn,
            // The event itself, not the envelope moto would otherwise wrap it in.
            InputTransformer: { InputPathsMap: { id: '$.id' }, InputTemplate: '<aws.events.event.json>' },
          },
        ],
      }),
    );
    const poll = async (): Promise<DeliveredEvent[]> => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      return Messages.map((m) => JSON.parse(m.Body ?? '{}') as DeliveredEvent);
    };
    return {
      async read({ until = () => true, timeoutMs = 20_000, quietMs = 0 } = {}) {
        const received: DeliveredEvent[] = [];
        const deadline = Date.now() + timeoutMs;
        while (!until(received) && Date.now() < deadline) received.push(...(await poll()));
        for (let quietUntil = Date.now() + quietMs; Date.now() < quietUntil; ) {
          const more = await poll();
          received.push(...more);
          if (more.length > 0) quietUntil = Date.now() + quietMs;
        }
        return received;
      },
      close: () => sqs.destroy(),
    };
  } finally {
    events.destroy();
  }
}
