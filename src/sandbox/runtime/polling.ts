/**
 * Long-polling the runtime's SQS queues in moto — the stand-in queues of EventBridge rules and SNS subscriptions,
 * and the functions' SQS event sources — with handled messages deleted in batches, and whether every polled queue
 * is empty (half of what idle() waits on).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { WorkTracker } from './idle.ts';
import { settledWithin, type Timers } from './timers.ts';

export interface PolledQueue {
  url: string;
  arn: string;
  /** Stand-in queues are ours alone: in-flight messages there are always being handled by us. */
  standIn: boolean;
}

export interface QueuePollerOptions {
  sqs: SQSClient;
  /** Long-poll wait of each ReceiveMessage. */
  waitSeconds: number;
  work: WorkTracker;
  timers: Timers;
  /** True once the runtime is stopping: loops end after their current long poll. */
  isStopped: () => boolean;
  log: (line: string) => void;
}

/** Back-off after a failed poll. */
const RETRY_POLL_AFTER_MS = 500;

export class QueuePoller {
  private readonly queues: PolledQueue[] = [];
  private readonly loops: Array<Promise<void>> = [];
  private readonly pendingDeletes = new Map<string, string[]>();
  private deleteFlush: Promise<void> | undefined;

  constructor(private readonly options: QueuePollerOptions) {}

  /**
   * Polls `queue` until the runtime stops, asking `maxBatch()` how many messages it can take before each receive;
   * `onMessages` runs with the batch counted as work in progress. Messages are deleted only through
   * {@link deleteMessage}.
   */
  poll(
    queue: PolledQueue,
    maxBatch: () => Promise<number>,
    onMessages: (messages: Message[]) => Promise<void>,
  ): void {
    this.queues.push(queue);
    this.loops.push(this.loop(queue, maxBatch, onMessages));
  }

  private async loop(
    queue: PolledQueue,
    maxBatch: () => Promise<number>,
    onMessages: (messages: Message[]) => Promise<void>,
  ): Promise<void> {
    const { sqs, work, timers, isStopped, log } = this.options;
    while (!isStopped()) {
      try {
        const max = await maxBatch();
        if (isStopped()) break;
        // A message moto has handed out but we have not seen yet counts as in flight (NotVisible) in idle().
        const messages = await this.receive(queue, max);
        if (isStopped() && messages.length > 0) {
          // Received while stopping: hand them back rather than leaving them invisible.
          await sqs.send(
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
        if (messages.length > 0) await work.track(() => onMessages(messages));
      } catch (error) {
        if (isStopped()) break;
        log(`[runtime] polling ${queue.url} failed: ${(error as Error).message}`);
        await timers.wait(RETRY_POLL_AFTER_MS);
      }
    }
  }

  private async receive(queue: PolledQueue, max: number): Promise<Message[]> {
    const received = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        WaitTimeSeconds: this.options.waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return received.Messages ?? [];
  }

  /** Deletes a handled message; deletes made in the same turn go to SQS as one batch per queue. */
  deleteMessage(url: string, receiptHandle: string): void {
    const list = this.pendingDeletes.get(url) ?? [];
    list.push(receiptHandle);
    this.pendingDeletes.set(url, list);
    if (!this.deleteFlush) {
      const release = this.options.work.hold();
      this.deleteFlush = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.flushDeletes())
        .finally(() => {
          this.deleteFlush = undefined;
          release();
        });
    }
  }

  private async flushDeletes(): Promise<void> {
    while (this.pendingDeletes.size > 0) {
      const [url, handles] = this.pendingDeletes.entries().next().value as [string, string[]];
      this.pendingDeletes.delete(url);
      for (let i = 0; i < handles.length; i += 10) {
        const chunk = handles.slice(i, i + 10);
        try {
          await this.options.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: url,
              Entries: chunk.map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle })),
            }),
          );
        } catch (error) {
          this.options.log(`[runtime] could not delete messages from ${url}: ${(error as Error).message}`);
        }
      }
    }
  }

  /** Whether every polled queue is empty: nothing visible or delayed, and nothing in flight on a stand-in. */
  async allEmpty(): Promise<boolean> {
    return (await Promise.all(this.queues.map((queue) => this.isEmpty(queue)))).every(Boolean);
  }

  private async isEmpty(queue: PolledQueue): Promise<boolean> {
    const { Attributes = {} } = await this.options.sqs.send(
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
  }

  /**
   * Once the runtime is stopping: waits for the loops to end, then sends the deletes still pending. Long polls are
   * not aborted (moto would still hand a message to the dead request): they end within the wait, so the loops get
   * that long plus a margin.
   */
  async drain(): Promise<void> {
    await settledWithin(Promise.allSettled(this.loops), (this.options.waitSeconds + 3) * 1000);
    await this.flushDeletes().catch(() => {});
  }
}
