import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunks } from './concurrency.ts';

/** SendMessageBatch takes at most 10 entries. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html */
const BATCH = 10;
/** Rounds of resending the entries a batch reported failed. */
const ROUNDS = 4;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends every message as JSON, 10 per SendMessageBatch (authorised as `sqs:SendMessage`). Entries a batch
 * reports failed (`Failed[]`: not thrown) are resent a few rounds with a growing pause; those still unsent then
 * go to `unsent`, and the error it makes is thrown (the caller names what was lost).
 */
export async function sendInBatches<T>(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly T[],
  unsent: (messages: T[]) => Error,
  sleep: (ms: number) => Promise<void> = pause,
): Promise<void> {
  for (const batch of chunks(messages, BATCH)) {
    let pending = batch.map((message, index) => ({ Id: String(index), message }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === ROUNDS) throw unsent(pending.map((p) => p.message));
      if (round > 0) await sleep(100 * 2 ** round);
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: pending.map((p) => ({ Id: p.Id, MessageBody: JSON.stringify(p.message) })),
        }),
      );
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((p) => failed.has(p.Id));
    }
  }
}
