import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { backoffDelayMs, type RetryPolicy } from '../../shared/backoff.ts';
import { SentinelError } from '../../shared/errors.ts';

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_SIZE = 25;

/** Attempts at writing what BatchWriteItem left unprocessed before giving up (Lambda retries the rest). */
const UNPROCESSED_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 0,
};

/** DynamoDB kept leaving items unprocessed (throttled): retryable, the invocation's retry writes the rest. */
export class UnprocessedItemsError extends SentinelError {
  override readonly name = 'UnprocessedItemsError';

  constructor(
    message: string,
    readonly unprocessed: number,
  ) {
    super(message, { retryable: true });
  }
}

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/**
 * Every request in BatchWriteItem calls of at most 25, each call's unprocessed items written again after a
 * jittered backoff until none is left or the attempts end ({@link UnprocessedItemsError}, naming `what`).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 */
export async function batchWriteAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: { what: string; sleep: (ms: number) => Promise<void> },
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_SIZE) {
    let pending: BatchWriteCommandInput['RequestItems'] = {
      [tableName]: requests.slice(i, i + BATCH_WRITE_SIZE),
    };
    for (let attempt = 1; ; attempt++) {
      const out: BatchWriteCommandOutput = await doc.send(new BatchWriteCommand({ RequestItems: pending }));
      const left = out.UnprocessedItems?.[tableName]?.length ?? 0;
      if (left === 0) break;
      if (attempt >= UNPROCESSED_RETRY.maxAttempts) {
        throw new UnprocessedItemsError(
          `DynamoDB left ${left} ${options.what} unprocessed after ${attempt} attempts`,
          left,
        );
      }
      pending = out.UnprocessedItems;
      await options.sleep(backoffDelayMs(attempt, Math.random(), UNPROCESSED_RETRY));
    }
  }
}
