import type { SQSClient } from '@aws-sdk/client-sqs';
import { SentinelError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import { sendInBatches } from '../../shared/sqs-batches.ts';
import type { CleanupMessage } from '../events.ts';
import type { CleanupQueue } from '../fan-out.ts';

/** What {@link sqsCleanupQueue} calls. */
export const sqsCleanupQueuePermissions: IamPermissions = [
  { actions: ['sqs:SendMessage'], resource: 'cleanup-queue' },
];

/** Some messages of a run could not be queued: the invocation fails, and its retry starts a new run. */
export class CleanupQueueError extends SentinelError {
  override readonly name = 'CleanupQueueError';
}

/**
 * {@link CleanupQueue} on SQS: batches of 10, entries that fail inside a batch resent a few rounds with a
 * growing pause (src/shared/sqs-batches.ts), then an error naming the repositories not queued.
 */
export function sqsCleanupQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): CleanupQueue {
  return {
    send: (messages: readonly CleanupMessage[]) =>
      sendInBatches(
        sqs,
        queueUrl,
        messages,
        (unsent) =>
          new CleanupQueueError(
            `could not queue ${unsent.length} repositories: ${unsent.map((m) => m.repositoryName).join(', ')}`,
            { retryable: true },
          ),
        options.sleep,
      ),
  };
}
