import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { backoffDelayMs, type RetryPolicy } from '../../shared/backoff.ts';
import { SentinelError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import { cleanupKeys, expiresAfter, TABLE_INDEX, type TableKey } from '../../shared/table.ts';
import type {
  CleanupRecords,
  CleanupRun,
  CleanupTrigger,
  RemovedImageRecord,
  RepositoryOutcome,
  RepositoryOutcomeStatus,
} from '../ports.ts';
import { batchWriteAll } from './dynamodb-batch.ts';

/** How long a run's records are kept by default (days), then DynamoDB's TTL deletes them. */
export const CLEANUP_RECORD_TTL_DAYS = 90;

/**
 * What {@link dynamoCleanupRecords} calls. TransactWriteItems (`recordOutcome`) is authorised per item: PutItem
 * for the outcome, UpdateItem for the run
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html). GetItem reads the
 * run (`report`, `recordOutcome`'s remaining count, a repeated `startRun`), Query reads a run's outcomes and
 * removed images, BatchWriteItem writes removed images.
 */
export const dynamoCleanupRecordsPermissions: IamPermissions = [
  {
    actions: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:Query',
    ],
    resource: 'sentinel-table',
  },
];

/**
 * The run's record is not in a state that takes this outcome: the run is unknown (never started, or expired), or
 * every repository it counts has an outcome already, so this one is a repository it does not count. Final:
 * retrying changes nothing.
 */
export class CleanupRunStateError extends SentinelError {
  override readonly name = 'CleanupRunStateError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, ...options });
  }
}

// Schemas of what is read back. Each output type is checked against the port type (`satisfies`), and the status
// list both ways (below), so a port change that the stored shape can't satisfy fails to compile here.
const TRIGGERS = ['schedule', 'cli'] as const satisfies readonly CleanupTrigger[];
const STATUSES = [
  'cleaned',
  'dry-run',
  'noticed',
  'skipped',
  'refused',
  'failed',
] as const satisfies readonly RepositoryOutcomeStatus[];
/** Compile-time: every status and trigger of the port is listed (an unlisted one makes this `never`). */
const _allListed: [RepositoryOutcomeStatus, CleanupTrigger] extends [
  (typeof STATUSES)[number],
  (typeof TRIGGERS)[number],
]
  ? true
  : never = true;
void _allListed;

const runSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  trigger: z.enum(TRIGGERS),
  dryRun: z.boolean(),
  repositoryCount: z.number().int().min(0),
}) satisfies z.ZodType<CleanupRun>;

const outcomeSchema = z.object({
  runId: z.string(),
  repositoryName: z.string(),
  status: z.enum(STATUSES),
  reason: z.string().optional(),
  imageCount: z.number(),
  expiringCount: z.number(),
  transitioningCount: z.number(),
  protectedCount: z.number(),
  deletedCount: z.number(),
  bytesReclaimed: z.number(),
  monthlySavingsUsd: z.number(),
  failures: z.array(z.object({ digest: z.string(), code: z.string(), message: z.string() })),
  deleteOn: z.string().optional(),
  finishedAt: z.string(),
}) satisfies z.ZodType<RepositoryOutcome>;

const removedSchema = z.object({
  runId: z.string(),
  repositoryName: z.string(),
  digest: z.string(),
  tags: z.array(z.string()),
  sizeBytes: z.number(),
  action: z.enum(['EXPIRE', 'TRANSITION']),
  rulePriority: z.number(),
  removedAt: z.string(),
}) satisfies z.ZodType<RemovedImageRecord>;

/** The run's counters besides the {@link CleanupRun} itself, as stored on the run item. */
const runStateSchema = z.object({ remaining: z.number() });

/** What {@link dynamoCleanupRecords} takes besides the client and the table. */
export interface DynamoCleanupRecordsOptions {
  /** Days every record is kept (the table's TTL); default {@link CLEANUP_RECORD_TTL_DAYS}. */
  readonly ttlDays?: number;
  readonly now?: () => Date;
  /** Waits between retries (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** {@link CleanupRecords} plus the audit read of removed images (for the CLI and tests). */
export interface DynamoCleanupRecords extends CleanupRecords {
  /** The images a run removed, ordered by repository then digest; of one repository when it is given. */
  removed(runId: string, repositoryName?: string): Promise<RemovedImageRecord[]>;
}

/** Attempts at a write cancelled by a conflict with a transaction in flight on the run item. */
const CONFLICT_RETRY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 25,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 0,
};

/** Plain data without undefined members, whatever the client's marshall options. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Cancelled only because another transaction (or a transaction against a plain write) was in flight on the same
 * item: trying again sees its result. A failed condition is an answer, never a conflict.
 */
function isConflict(error: unknown): boolean {
  if (error instanceof TransactionConflictException) return true;
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
  return codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
}

/**
 * {@link CleanupRecords} on the single table (keys: `cleanupKeys` in src/shared/table.ts). A run is one
 * partition: the run item counts down `remaining` as outcomes arrive, each outcome is written once (a
 * transaction ties the outcome's put to the count, so a redelivered repository neither writes again nor counts
 * twice), and the summary is claimed by a conditional update that only succeeds once, when nothing remains.
 * Every item expires `ttlDays` after it is written.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export function dynamoCleanupRecords(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: DynamoCleanupRecordsOptions = {},
): DynamoCleanupRecords {
  const ttlDays = options.ttlDays ?? CLEANUP_RECORD_TTL_DAYS;
  if (!(ttlDays > 0)) throw new RangeError(`ttlDays must be positive, got ${ttlDays}`);
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const ttl = () => expiresAfter(now(), ttlDays);

  /** `write` again, after a jittered backoff, while it fails only for a conflict. */
  const retryingConflicts = async <T>(write: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isConflict(error) || attempt >= CONFLICT_RETRY.maxAttempts) throw error;
        // Jitter matters here: the writers that conflicted would otherwise meet again.
        await sleep(backoffDelayMs(attempt, Math.random(), CONFLICT_RETRY));
      }
    }
  };

  const get = async (key: TableKey): Promise<Record<string, unknown> | undefined> =>
    (await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  const remainingOf = async (runId: string): Promise<number> => {
    const item = await get(cleanupKeys.run(runId));
    if (!item) throw new CleanupRunStateError(`cleanup run ${runId} is unknown`);
    return runStateSchema.parse(item).remaining;
  };

  /** Every item of the run's partition whose sk begins with `prefix`, all pages. */
  const query = async (runId: string, prefix: string): Promise<Record<string, unknown>[]> => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': cleanupKeys.partition(runId), ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  };

  return {
    /**
     * PutItem of the run item if absent. A repeated start of the same run (a retried plan) leaves the stored one,
     * and its count, alone; a different run under the same id is a bug and throws.
     */
    async startRun(run) {
      const sort = cleanupKeys.listingSort(run.startedAt, run.runId);
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...cleanupKeys.run(run.runId),
              [TABLE_INDEX.pk]: cleanupKeys.listing,
              [TABLE_INDEX.sk]: sort,
              entity: 'cleanup-run',
              ...plain(run),
              remaining: run.repositoryCount,
              // Running totals, so a listing of runs needs no outcome items.
              deletedCount: 0,
              bytesReclaimed: 0,
              monthlySavingsUsd: 0,
              failureCount: 0,
              ...ttl(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const stored = runSchema.parse(await get(cleanupKeys.run(run.runId)));
        if (JSON.stringify(stored) !== JSON.stringify(runSchema.parse(run))) {
          throw new CleanupRunStateError(`cleanup run ${run.runId} was started before with other settings`, {
            cause: error,
          });
        }
      }
    },

    /** BatchWriteItem in 25s; the same image twice is one item (the last record given wins). */
    async recordRemoved(images) {
      const expires = ttl();
      const byKey = new Map<string, Record<string, unknown>>();
      for (const image of images) {
        const key = cleanupKeys.removed(image.runId, image.repositoryName, image.digest);
        // One batch can't hold the same key twice (ValidationException): keep one item per key.
        byKey.set(`${key.pk}\n${key.sk}`, {
          ...key,
          entity: 'cleanup-removed-image',
          ...plain(image),
          ...expires,
        });
      }
      await batchWriteAll(
        doc,
        tableName,
        [...byKey.values()].map((Item) => ({ PutRequest: { Item } })),
        { what: 'removed-image record(s)', sleep },
      );
    },

    /**
     * One TransactWriteItems: the outcome if absent, and the run's count down by one if above zero (plus its
     * totals). DynamoDB returns no values from a transaction, so `remaining` is read after it (consistent read):
     * it may already count other repositories that finished meanwhile, never more than right after this one, and
     * it is 0 exactly when every repository is in. Callers claim the summary on 0 whether or not `first`: a
     * retried call whose first attempt committed reports `first: false`, and may be the last one.
     */
    async recordOutcome(outcome) {
      const { runId, repositoryName } = outcome;
      try {
        await retryingConflicts(() =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: {
                      ...cleanupKeys.outcome(runId, repositoryName),
                      entity: 'cleanup-outcome',
                      ...plain(outcome),
                      ...ttl(),
                    },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                {
                  Update: {
                    TableName: tableName,
                    Key: cleanupKeys.run(runId),
                    UpdateExpression:
                      'SET #remaining = #remaining - :one ' +
                      'ADD #deleted :deleted, #bytes :bytes, #savings :savings, #failures :failures',
                    ConditionExpression: '#remaining > :zero',
                    ExpressionAttributeNames: {
                      '#remaining': 'remaining',
                      '#deleted': 'deletedCount',
                      '#bytes': 'bytesReclaimed',
                      '#savings': 'monthlySavingsUsd',
                      '#failures': 'failureCount',
                    },
                    ExpressionAttributeValues: {
                      ':one': 1,
                      ':zero': 0,
                      ':deleted': outcome.deletedCount,
                      ':bytes': outcome.bytesReclaimed,
                      ':savings': outcome.monthlySavingsUsd,
                      ':failures': outcome.failures.length,
                    },
                  },
                },
              ],
            }),
          ),
        );
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [outcomeReason, runReason] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        // The outcome is there already: a repeated delivery. Nothing was written or counted.
        if (outcomeReason === 'ConditionalCheckFailed') {
          return { first: false, remaining: await remainingOf(runId) };
        }
        if (runReason === 'ConditionalCheckFailed') {
          const stored = await get(cleanupKeys.run(runId));
          throw new CleanupRunStateError(
            stored
              ? `cleanup run ${runId} has every outcome already: ${repositoryName} is not one of its repositories`
              : `cleanup run ${runId} is unknown: can't record ${repositoryName}`,
            { cause: error },
          );
        }
        throw error;
      }
      return { first: true, remaining: await remainingOf(runId) };
    },

    /** UpdateItem whose condition is the decision: nothing remains and nobody claimed it yet. */
    async claimSummary(runId) {
      try {
        await retryingConflicts(() =>
          doc.send(
            new UpdateCommand({
              TableName: tableName,
              Key: cleanupKeys.run(runId),
              UpdateExpression: 'SET #claimed = :true, #claimedAt = :at',
              ConditionExpression:
                'attribute_exists(pk) AND attribute_not_exists(#claimed) AND #remaining = :zero',
              ExpressionAttributeNames: {
                '#claimed': 'summaryClaimed',
                '#claimedAt': 'summaryClaimedAt',
                '#remaining': 'remaining',
              },
              ExpressionAttributeValues: { ':true': true, ':at': now().toISOString(), ':zero': 0 },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    /** GetItem of the run, then its outcomes (Query, every page), ordered by repository name. */
    async report(runId) {
      const item = await get(cleanupKeys.run(runId));
      if (!item) return undefined;
      const outcomes = await query(runId, cleanupKeys.outcomePrefix);
      return {
        run: runSchema.parse(item),
        outcomes: outcomes.map((outcome) => outcomeSchema.parse(outcome)),
      };
    },

    async removed(runId, repositoryName) {
      const items = await query(runId, cleanupKeys.removedPrefix(repositoryName));
      return items.map((item) => removedSchema.parse(item));
    },
  };
}
