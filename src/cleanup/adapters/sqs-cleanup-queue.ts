import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunks } from '../../shared/concurrency.ts';
import { SentinelError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import type { CleanupMessage } from '../events.ts';
import type { CleanupQueue } from '../fan-out.ts';

/** What {@link sqsCleanupQueue} calls. */
export const sqsCleanupQueuePermissions: IamPermissions = [
  { actions: ['sqs:SendMessage'], resource: 'cleanup-queue' },
];

/** SendMessageBatch takes at most 10 entries. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html */
const BATCH = 10;
/** Rounds of resending the entries a batch reported failed. */
const ROUNDS = 4;

/** Some messages of a run could not be queued: the invocation fails, and its retry starts a new run. */
export class CleanupQueueError extends SentinelError {
  override readonly name = 'CleanupQueueError';
}

/**
 * {@link CleanupQueue} on SQS: batches of 10, entries that fail inside a batch (`Failed[]`, not thrown) resent
 * a few rounds with a growing pause, then a named error. `sqs:SendMessageBatch` is authorised as
 * `sqs:SendMessage`.
 */
export function sqsCleanupQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): CleanupQueue {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    async send(messages) {
      for (const batch of chunks(messages, BATCH)) {
        let pending = batch.map((message, index) => ({ Id: String(index), message }));
        for (let round = 0; pending.length > 0; round++) {
          if (round === ROUNDS) {
            throw new CleanupQueueError(
              `could not queue ${pending.length} repositories: ${pending.map((p) => p.message.repositoryName).join(', ')}`,
              { retryable: true },
            );
          }
          if (round > 0) await sleep(100 * 2 ** round);
          const out = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: pending.map((p) => ({
                Id: p.Id,
                MessageBody: JSON.stringify(p.message satisfies CleanupMessage),
              })),
            }),
          );
          const failed = new Set((out.Failed ?? []).map((f) => f.Id));
          pending = pending.filter((p) => failed.has(p.Id));
        }
      }
    },
  };
}
