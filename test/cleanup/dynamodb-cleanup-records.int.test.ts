import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnprocessedItemsError } from '../../src/cleanup/adapters/dynamodb-batch.ts';
import {
  CleanupRunStateError,
  dynamoCleanupRecords,
} from '../../src/cleanup/adapters/dynamodb-cleanup-records.ts';
import type { CleanupRun, RemovedImageRecord, RepositoryOutcome } from '../../src/cleanup/ports.ts';
import { loadServerless } from '../../src/sandbox/runtime/config.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';
import { cleanupKeys, TABLE_INDEX, TABLE_TTL } from '../../src/shared/table.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { createSentinelTable } from '../support/table.ts';

/** Cleanup run records on a table shaped like the deployed one, in the sandbox's DynamoDB (moto). */

const client = new DynamoDBClient(awsClientConfig());
const doc = DynamoDBDocumentClient.from(client);
const tableName = uniqueName('cleanup-records');
const NOW = new Date('2026-11-27T22:00:00.000Z');
const TTL_DAYS = 30;
const fast = { now: () => NOW, ttlDays: TTL_DAYS, sleep: async () => {} };
const records = dynamoCleanupRecords(doc, tableName, fast);

beforeAll(async () => {
  await createSentinelTable(client, tableName);
});

afterAll(() => {
  doc.destroy();
});

let runCounter = 0;
function aRun(overrides: Partial<CleanupRun> = {}): CleanupRun {
  runCounter += 1;
  return {
    runId: `01JDX3Q4RZ8W8V5K2M7N9P${String(runCounter).padStart(4, '0')}`,
    startedAt: `2026-11-27T20:${String(runCounter % 60).padStart(2, '0')}:00.000Z`,
    trigger: 'schedule',
    dryRun: false,
    repositoryCount: 3,
    ...overrides,
  };
}

function anOutcome(run: CleanupRun, repositoryName: string, overrides: Partial<RepositoryOutcome> = {}) {
  return {
    runId: run.runId,
    repositoryName,
    status: 'cleaned',
    imageCount: 12,
    expiringCount: 4,
    transitioningCount: 1,
    protectedCount: 2,
    deletedCount: 4,
    bytesReclaimed: 4_000_000,
    monthlySavingsUsd: 0.25,
    failures: [],
    finishedAt: '2026-11-27T22:05:00.000Z',
    ...overrides,
  } satisfies RepositoryOutcome;
}

function aRemoved(run: CleanupRun, repositoryName: string, i: number): RemovedImageRecord {
  return {
    runId: run.runId,
    repositoryName,
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    tags: i % 2 === 0 ? [] : [`v${i}`, `build-${i}`],
    sizeBytes: 1_000 * i,
    action: i % 5 === 0 ? 'TRANSITION' : 'EXPIRE',
    rulePriority: 1 + (i % 3),
    removedAt: '2026-11-27T22:04:00.000Z',
  };
}

/** Every item of a run's partition, as stored. */
async function partition(runId: string): Promise<Record<string, unknown>[]> {
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': cleanupKeys.partition(runId) },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/**
 * The real client with one kind of command intercepted: `intercept` sees the command and may send it on (or a
 * changed one) through the real client. DynamoDB's partial answers (UnprocessedItems, transaction conflicts)
 * can't be made to happen in moto, so these tests make them happen on the way there.
 */
function intercepting(
  intercept: (command: unknown, send: (command: unknown) => Promise<unknown>) => Promise<unknown>,
): DynamoDBDocumentClient {
  const send = (command: unknown) => doc.send(command as never) as Promise<unknown>;
  return { send: (command: unknown) => intercept(command, send) } as unknown as DynamoDBDocumentClient;
}

describe('cleanup run records', () => {
  it('records each repository of a run once; a repeated delivery changes nothing and says so', async () => {
    // Prepare
    const run = aRun();
    await records.startRun(run);
    const orders = anOutcome(run, 'team/orders', {
      failures: [
        { digest: 'sha256:aa', code: 'ImageReferencedByManifestList', message: 'in use by an index' },
      ],
      deletedCount: 3,
    });
    const billing = anOutcome(run, 'team/billing', {
      status: 'noticed',
      deleteOn: '2026-12-04',
      deletedCount: 0,
    });
    const web = anOutcome(run, 'web', { status: 'skipped', reason: 'ecs: AccessDenied', deletedCount: 0 });

    // Act
    const first = await records.recordOutcome(orders);
    const again = await records.recordOutcome({ ...orders, status: 'failed', reason: 'redelivered' });
    const second = await records.recordOutcome(billing);
    const third = await records.recordOutcome(web);

    // Assess
    expect([first, again, second, third]).toEqual([
      { first: true, remaining: 2 },
      { first: false, remaining: 2 },
      { first: true, remaining: 1 },
      { first: true, remaining: 0 },
    ]);
    expect(await records.report(run.runId)).toEqual({ run, outcomes: [billing, orders, web] });
    const runItem = (await partition(run.runId)).find((item) => item.sk === 'RUN');
    expect(runItem).toMatchObject({
      remaining: 0,
      deletedCount: 3,
      bytesReclaimed: 12_000_000,
      monthlySavingsUsd: 0.75,
      failureCount: 1,
    });
  });

  it('counts 20 repositories finishing at once down to 0, and gives the summary to exactly one of 20 claims', async () => {
    // Prepare
    const run = aRun({ repositoryCount: 20 });
    await records.startRun(run);
    const outcomes = Array.from({ length: 20 }, (_, i) =>
      anOutcome(run, `svc-${String(i).padStart(2, '0')}`),
    );

    // Act
    const recorded = await Promise.all(outcomes.map((outcome) => records.recordOutcome(outcome)));
    const claims = await Promise.all(Array.from({ length: 20 }, () => records.claimSummary(run.runId)));

    // Assess
    expect(recorded.every((r) => r.first)).toBe(true);
    // Read after the write: each sees at most what remained right after its own, and someone sees 0.
    expect(Math.min(...recorded.map((r) => r.remaining))).toBe(0);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await records.report(run.runId))?.outcomes).toEqual(outcomes);
    expect(await records.claimSummary(run.runId)).toBe(false);
  });

  it('refuses the summary while repositories remain', async () => {
    // Prepare
    const run = aRun({ repositoryCount: 2 });
    await records.startRun(run);
    const before = await records.claimSummary(run.runId);
    await records.recordOutcome(anOutcome(run, 'a'));

    // Act
    const withOneLeft = await records.claimSummary(run.runId);
    await records.recordOutcome(anOutcome(run, 'b'));
    const whenDone = await records.claimSummary(run.runId);

    // Assess
    expect([before, withOneLeft, whenDone]).toEqual([false, false, true]);
  });

  it('refuses an outcome for an unknown run, or beyond the repositories a run counts', async () => {
    // Prepare
    const run = aRun({ repositoryCount: 1 });
    await records.startRun(run);
    await records.recordOutcome(anOutcome(run, 'only'));

    // Act: both settled before any assertion, so neither rejection goes unhandled while the other is awaited.
    const [extra, unknown] = await Promise.allSettled([
      records.recordOutcome(anOutcome(run, 'extra')),
      records.recordOutcome(anOutcome(aRun(), 'any')),
    ]);

    // Assess
    expect(extra.status === 'rejected' && extra.reason).toBeInstanceOf(CleanupRunStateError);
    expect(extra.status === 'rejected' && String(extra.reason)).toMatch(/has every outcome already: extra/);
    expect(unknown.status === 'rejected' && String(unknown.reason)).toMatch(/is unknown: can't record any/);
    expect((await records.report(run.runId))?.outcomes.map((o) => o.repositoryName)).toEqual(['only']);
  });

  it('keeps the count when a run is started again, and refuses the same id with other settings', async () => {
    // Prepare
    const run = aRun({ repositoryCount: 2 });
    await records.startRun(run);
    await records.recordOutcome(anOutcome(run, 'a'));

    // Act
    await records.startRun(run);
    const other = records.startRun({ ...run, repositoryCount: 5 });

    // Assess
    await expect(other).rejects.toThrow(CleanupRunStateError);
    expect(await records.recordOutcome(anOutcome(run, 'b'))).toEqual({ first: true, remaining: 0 });
  });

  it('records 60 removed images in three batches, readable by run and by repository', async () => {
    // Prepare
    const run = aRun({ repositoryCount: 2 });
    const images = [
      ...Array.from({ length: 35 }, (_, i) => aRemoved(run, 'team/orders', i)),
      ...Array.from({ length: 25 }, (_, i) => aRemoved(run, 'team/web', 100 + i)),
    ];
    let batches = 0;
    const counted = dynamoCleanupRecords(
      intercepting((command, send) => {
        if (command instanceof BatchWriteCommand) batches += 1;
        return send(command);
      }),
      tableName,
      fast,
    );
    await counted.startRun(run);

    // Act
    await counted.recordRemoved(images);
    await counted.recordRemoved(images.slice(0, 2)); // a retried call: the same items again

    // Assess
    expect(batches).toBe(3 + 1);
    const byDigest = (a: RemovedImageRecord, b: RemovedImageRecord) => a.digest.localeCompare(b.digest);
    expect(await counted.removed(run.runId)).toEqual(images);
    expect((await counted.removed(run.runId, 'team/web')).sort(byDigest)).toEqual(images.slice(35));
    // The report reads outcomes only, however many images the run removed.
    expect(await counted.report(run.runId)).toEqual({ run, outcomes: [] });
  });

  it('sets the table TTL attribute on every item it writes, ttlDays from now', async () => {
    // Prepare
    const run = aRun({ repositoryCount: 1 });
    const template = loadServerless({
      serverlessFile: `${PROJECT_ROOT}serverless.yml`,
      stage: 'test',
      region: 'us-east-1',
      accountId: '123456789012',
      endpoint: 'http://127.0.0.1:4566',
    }).registry.resolvedProperties('SentinelTable');

    // Act
    await records.startRun(run);
    await records.recordRemoved([aRemoved(run, 'web', 1), aRemoved(run, 'web', 2)]);
    await records.recordOutcome(anOutcome(run, 'web'));
    await records.claimSummary(run.runId);

    // Assess
    expect(template.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_TTL.attribute, Enabled: true });
    const items = await partition(run.runId);
    const expected = NOW.getTime() / 1000 + TTL_DAYS * 86_400;
    expect(items.map((item) => [item.sk, item[TABLE_TTL.attribute]])).toEqual(
      items.map((item) => [item.sk, expected]),
    );
    expect(items).toHaveLength(4);
  });

  it('lists runs newest first in the index', async () => {
    // Prepare
    const older = aRun({ startedAt: '2026-11-20T03:00:00.000Z' });
    const newer = aRun({ startedAt: '2026-11-27T03:00:00.000Z' });

    // Act
    await records.startRun(older);
    await records.startRun(newer);

    // Assess
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: TABLE_INDEX.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_INDEX.pk },
        ExpressionAttributeValues: { ':pk': cleanupKeys.listing },
        ScanIndexForward: false,
      }),
    );
    const ids = (out.Items ?? []).map((item) => item.runId);
    expect(ids.indexOf(newer.runId)).toBeLessThan(ids.indexOf(older.runId));
    expect(ids.indexOf(older.runId)).toBeGreaterThanOrEqual(0);
  });

  it('answers undefined for the report of an unknown run', async () => {
    expect(await records.report(aRun().runId)).toBeUndefined();
  });
});

describe('cleanup run records when DynamoDB answers in part', () => {
  it('writes again what a batch left unprocessed', async () => {
    // Prepare: every batch gets only its first 10 items processed.
    const run = aRun();
    let calls = 0;
    const partial = dynamoCleanupRecords(
      intercepting(async (command, send) => {
        if (!(command instanceof BatchWriteCommand)) return send(command);
        calls += 1;
        const requests = command.input.RequestItems?.[tableName] ?? [];
        await send(new BatchWriteCommand({ RequestItems: { [tableName]: requests.slice(0, 10) } }));
        const rest = requests.slice(10);
        return { UnprocessedItems: rest.length ? { [tableName]: rest } : {} };
      }),
      tableName,
      fast,
    );
    const images = Array.from({ length: 25 }, (_, i) => aRemoved(run, 'web', i));

    // Act
    await partial.recordRemoved(images);

    // Assess
    expect(calls).toBe(3);
    expect(await records.removed(run.runId)).toHaveLength(25);
  });

  it('gives up with a named, retryable error when items stay unprocessed', async () => {
    // Prepare
    const run = aRun();
    const throttled = dynamoCleanupRecords(
      intercepting(async (command, send) =>
        command instanceof BatchWriteCommand
          ? { UnprocessedItems: command.input.RequestItems as BatchWriteCommandInput['RequestItems'] }
          : send(command),
      ),
      tableName,
      fast,
    );

    // Act
    const attempt = throttled.recordRemoved([aRemoved(run, 'web', 1)]);

    // Assess
    await expect(attempt).rejects.toThrow(UnprocessedItemsError);
    await expect(attempt).rejects.toMatchObject({ retryable: true, unprocessed: 1 });
  });

  it('tries a transaction again when it conflicted with another one on the run', async () => {
    // Prepare: the first transaction is cancelled for a conflict on the run item, as DynamoDB does.
    const run = aRun({ repositoryCount: 2 });
    await records.startRun(run);
    let conflicts = 0;
    const contended = dynamoCleanupRecords(
      intercepting(async (command, send) => {
        if (command instanceof TransactWriteCommand && conflicts === 0) {
          conflicts += 1;
          throw new TransactionCanceledException({
            message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
            $metadata: {},
            CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
          });
        }
        return send(command);
      }),
      tableName,
      fast,
    );

    // Act
    const recorded = await contended.recordOutcome(anOutcome(run, 'web'));

    // Assess
    expect(conflicts).toBe(1);
    expect(recorded).toEqual({ first: true, remaining: 1 });
  });
});
