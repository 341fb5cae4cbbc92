import type { SQSClient } from '@aws-sdk/client-sqs';
import { SentinelError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import { sendInBatches } from '../../shared/sqs-batches.ts';
import type { ComplianceQueue } from '../check-ports.ts';
import type { ComplianceMessage } from '../events.ts';

/** What {@link sqsComplianceQueue} calls (`sqs:SendMessageBatch` is authorised as `sqs:SendMessage`). */
export const sqsComplianceQueuePermissions: IamPermissions = [
  { actions: ['sqs:SendMessage'], resource: 'compliance-queue' },
];

/** Some batches could not be queued: the invocation fails and is retried (messages already sent are idempotent). */
export class ComplianceQueueError extends SentinelError {
  override readonly name = 'ComplianceQueueError';
}

/**
 * {@link ComplianceQueue} on SQS: batches of 10, entries that fail inside a batch resent a few rounds with a
 * growing pause (src/shared/sqs-batches.ts), then a named error.
 */
export function sqsComplianceQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): ComplianceQueue {
  return {
    send: (messages: readonly ComplianceMessage[]) =>
      sendInBatches(
        sqs,
        queueUrl,
        messages,
        (unsent) =>
          new ComplianceQueueError(`could not queue ${unsent.length} compliance batch(es)`, {
            retryable: true,
          }),
        options.sleep,
      ),
  };
}
