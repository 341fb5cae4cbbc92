import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoPromotions } from '../../src/promotion/adapters/dynamodb-promotions.ts';
import { PromotionConflictError } from '../../src/promotion/errors.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { createSentinelTable } from '../support/table.ts';
import { aPromotion } from './promotion-fixtures.ts';

/** The promotion records on a table shaped like the deployed one, in the sandbox's DynamoDB (moto). */

const client = new DynamoDBClient(awsClientConfig());
const doc = DynamoDBDocumentClient.from(client);
const tableName = uniqueName('promotions');
const store = dynamoPromotions(doc, tableName);

beforeAll(async () => {
  await createSentinelTable(client, tableName);
});

afterAll(() => {
  doc.destroy();
});

describe('the promotion store', () => {
  it('returns the open promotion of a request instead of making a second one, even when asked at once', async () => {
    // Prepare
    const first = aPromotion({ app: uniqueName('app') });
    const rivals = Array.from({ length: 4 }, () => aPromotion({ app: first.app, digest: first.digest }));

    // Act
    const outcomes = await Promise.all([first, ...rivals].map((p) => store.create(p)));

    // Assert
    const winners = outcomes.filter((o) => o.created);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.promotion.id;
    expect(outcomes.map((o) => o.promotion.id)).toEqual(Array(5).fill(winner));
    expect(await store.list({ app: first.app })).toHaveLength(1);
  });

  it('lets one of two concurrent status changes win; the other is told what happened', async () => {
    // Prepare
    const pending = aPromotion({
      app: uniqueName('app'),
      status: 'PENDING_APPROVAL',
      requiresApproval: true,
    });
    await store.create(pending);
    const byBob = { ...pending, status: 'APPROVED' as const, approvedBy: 'bob' };
    const byCarol = { ...pending, status: 'APPROVED' as const, approvedBy: 'carol' };

    // Act
    const outcomes = await Promise.allSettled([
      store.transition(byBob, 'PENDING_APPROVAL'),
      store.transition(byCarol, 'PENDING_APPROVAL'),
    ]);

    // Assert
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(PromotionConflictError);
    const stored = await store.get(pending.id);
    expect((lost.reason as Error).message).toBe(
      `promotion ${pending.id} is APPROVED (by ${stored?.approvedBy}), no longer PENDING_APPROVAL: it can't become APPROVED`,
    );
    expect(['bob', 'carol']).toContain(stored?.approvedBy);
  });

  it('frees the request when a promotion fails, so the next request makes a new one', async () => {
    // Prepare
    const copying = aPromotion({ app: uniqueName('app') });
    await store.create(copying);
    await store.transition({ ...copying, status: 'FAILED', error: 'ThrottlingException' }, 'COPYING');

    // Act
    const again = await store.create(aPromotion({ app: copying.app, digest: copying.digest }));

    // Assert
    expect(again.created).toBe(true);
    expect(again.promotion.id).not.toBe(copying.id);
    expect((await store.get(copying.id))?.status).toBe('FAILED');
  });

  it('keeps a completed promotion as the answer to the same request, and records what runs where', async () => {
    // Prepare
    const app = uniqueName('app');
    const copying = aPromotion({ app });
    await store.create(copying);
    const completedAt = new Date().toISOString();

    // Act
    await store.transition(
      { ...copying, status: 'COMPLETED', completedAt, updatedAt: completedAt },
      'COPYING',
    );
    const again = await store.create(aPromotion({ app, digest: copying.digest }));

    // Assert
    expect(again).toMatchObject({ created: false, promotion: { id: copying.id, status: 'COMPLETED' } });
    expect(await store.releases(app)).toEqual([
      {
        app,
        environment: 'staging',
        digest: copying.digest,
        version: copying.version,
        promotionId: copying.id,
        promotedAt: completedAt,
        promotedBy: 'alice',
        gateStatus: 'PASS',
        repositoryName: copying.to.repositoryName,
      },
    ]);
  });

  it('lists promotions newest first: of an app, of a digest, and all of them', async () => {
    // Prepare
    const app = uniqueName('app');
    const times = ['2026-11-01T10:00:00.000Z', '2026-11-03T10:00:00.000Z', '2026-11-02T10:00:00.000Z'];
    const made = times.map((requestedAt) => aPromotion({ app, requestedAt }));
    for (const p of made) await store.create(p);
    const refused = aPromotion({
      app,
      requestedAt: '2026-11-04T10:00:00.000Z',
      digest: made[0]?.digest,
      status: 'FAILED',
    });
    await store.create(refused);

    // Act
    const ofApp = await store.list({ app });
    const ofDigest = await store.list({ digest: made[0]?.digest as string });
    const all = await store.list({ limit: 1000 });

    // Assert
    expect(ofApp.map((p) => p.requestedAt)).toEqual([
      '2026-11-04T10:00:00.000Z',
      '2026-11-03T10:00:00.000Z',
      '2026-11-02T10:00:00.000Z',
      '2026-11-01T10:00:00.000Z',
    ]);
    expect(ofDigest.map((p) => p.id)).toEqual([refused.id, made[0]?.id]);
    expect(all.filter((p) => p.app === app)).toHaveLength(4);
  });
});
