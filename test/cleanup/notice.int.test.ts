import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoCleanupNotices } from '../../src/cleanup/adapters/dynamodb-cleanup-notices.ts';
import { dynamoCleanupRecords } from '../../src/cleanup/adapters/dynamodb-cleanup-records.ts';
import { ecrRepositoryImages } from '../../src/cleanup/adapters/ecr-images.ts';
import { ecrImageRemover } from '../../src/cleanup/adapters/ecr-remover.ts';
import { ecrRepositoryCatalog } from '../../src/cleanup/adapters/ecr-repositories.ts';
import { cleanupConfigShape } from '../../src/cleanup/config-schema.ts';
import type { CleanupMessage } from '../../src/cleanup/events.ts';
import { cleanRepository } from '../../src/cleanup/fan-out.ts';
import type { AlertPublisher, CompleteAlert } from '../../src/notifications/index.ts';
import { ulid } from '../../src/shared/ulid.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { createSentinelTable } from '../support/table.ts';

/**
 * Advance notice (cleanup.noticeDays) through the fan-out's use case with the real adapters: the first run
 * announces and deletes nothing, a run before the day waits, the run on the day deletes only what was announced
 * and is still eligible; the notice survives between runs in the table, in chunks when it is large.
 */

const dynamo = new DynamoDBClient({ ...awsClientConfig(), maxAttempts: 3 });
const doc = DynamoDBDocumentClient.from(dynamo);
const ecr = new ECRClient(awsClientConfig());
const tableName = uniqueName('notice');

beforeAll(() => createSentinelTable(dynamo, tableName), 60_000);
afterAll(() => {
  doc.destroy();
  ecr.destroy();
});

const settings = cleanupConfigShape.cleanup.parse({
  dryRun: false,
  noticeDays: 7,
  maxDeletions: { images: 100, percent: 100 },
  defaults: {
    policy: {
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    },
    protect: { minAgeDays: 0 },
  },
});

describe('dynamoCleanupNotices', () => {
  it('keeps a notice of 7,000 digests whole, replaces it with a shorter one, and clears it', async () => {
    const notices = dynamoCleanupNotices(doc, tableName);
    const digests = Array.from({ length: 7_000 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    const notice = {
      repositoryName: 'big-repo',
      runId: ulid(new Date(), randomBytes(10)),
      noticedAt: '2026-11-27T03:00:00.000Z',
      deleteOn: '2026-12-04',
      digests,
      bytes: 123,
    };
    await notices.put(notice);
    expect(await notices.get('big-repo')).toEqual(notice);
    await notices.put({ ...notice, digests: digests.slice(0, 10) });
    expect((await notices.get('big-repo'))?.digests).toEqual(digests.slice(0, 10));
    await notices.clear('big-repo');
    expect(await notices.get('big-repo')).toBeUndefined();
  }, 60_000);
});

describe('cleanRepository with noticeDays', () => {
  it('announces first, waits, then deletes on the day only what was announced', async () => {
    // Prepare: v1 and v2 expire (only the newest is kept).
    const repositoryName = uniqueName('notice');
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const pushed: string[] = [];
    for (const tag of ['v1', 'v2', 'v3'])
      pushed.push(
        (await pushImage(ecr, repositoryName, sampleImage(`${repositoryName}-${tag}`), tag)).imageDigest,
      );
    const records = dynamoCleanupRecords(doc, tableName);
    const notices = dynamoCleanupNotices(doc, tableName);
    const published: CompleteAlert[] = [];
    const alerts: AlertPublisher = {
      publish: async (alert) => {
        published.push(alert);
        return { messageId: String(published.length) };
      },
    };
    const deps = {
      plan: {
        settings,
        repositoryGroups: [],
        catalog: ecrRepositoryCatalog(ecr),
        images: ecrRepositoryImages(ecr),
        signals: [],
      },
      remover: ecrImageRemover(ecr),
      records,
      notices,
      alerts,
      where: { accountId: '123456789012', region: 'us-east-1' },
      now: () => new Date(),
    };
    const run = async (now: string): Promise<CleanupMessage> => {
      const runId = ulid(new Date(), randomBytes(10));
      await records.startRun({
        runId,
        startedAt: now,
        trigger: 'schedule',
        dryRun: false,
        repositoryCount: 1,
      });
      return { version: 1, runId, repositoryName, dryRun: false, now, signals: [] };
    };
    const left = async () =>
      ((await ecr.send(new DescribeImagesCommand({ repositoryName }))).imageDetails ?? [])
        .map((i) => i.imageDigest)
        .sort();

    // Act 1: the first run announces v1 and v2 for a week later.
    const first = await cleanRepository(deps, await run('2026-11-27T03:00:00.000Z'));

    // Assert 1
    expect(first.outcome).toMatchObject({
      status: 'noticed',
      deleteOn: '2026-12-04',
      expiringCount: 2,
      deletedCount: 0,
    });
    expect(await left()).toEqual([...pushed].sort());
    expect([...((await notices.get(repositoryName))?.digests ?? [])].sort()).toEqual(
      [pushed[0], pushed[1]].sort(),
    );
    expect(published.map((a) => `${a.type}:${'kind' in a ? a.kind : ''}`)).toEqual([
      'ecr-sentinel.cleanup:notice',
      'ecr-sentinel.cleanup:summary',
    ]);

    // Act 2: a run before the day, after a v4 push (v3 becomes eligible, unannounced): nothing is deleted.
    pushed.push(
      (await pushImage(ecr, repositoryName, sampleImage(`${repositoryName}-v4`), 'v4')).imageDigest,
    );
    const waiting = await cleanRepository(deps, await run('2026-12-01T03:00:00.000Z'));
    expect(waiting.outcome).toMatchObject({ status: 'noticed', deleteOn: '2026-12-04', deletedCount: 0 });
    expect(await left()).toHaveLength(4);

    // Act 3: on the day: v1 and v2 go (announced), v3 stays (eligible, but never announced).
    const due = await cleanRepository(deps, await run('2026-12-04T03:00:00.000Z'));
    expect(due.outcome).toMatchObject({ status: 'cleaned', deletedCount: 2 });
    expect(await left()).toEqual([pushed[2], pushed[3]].sort());
    expect(await notices.get(repositoryName)).toBeUndefined();
  }, 90_000);
});
