import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotedImages } from '../../src/cleanup/adapters/promoted-images.ts';
import { dynamoPromotions, type Promotion } from '../../src/promotion/index.ts';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/server.ts';
import { aPromotion } from '../promotion/promotion-fixtures.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { createSentinelTable } from '../support/table.ts';

/** The promotions signal against the real promotion store, on a table shaped like the deployed one (moto). */

const REGION = 'us-east-1';
const registry = { accountId: SANDBOX_ACCOUNT_ID, region: REGION };
const OTHER_ACCOUNT = '210987654321';

const client = new DynamoDBClient(awsClientConfig());
const doc = DynamoDBDocumentClient.from(client);
const tableName = uniqueName('promotions');
const store = dynamoPromotions(doc, tableName);

const app = uniqueName('web-frontend');
const repository = `${app}-prod`;
const t0 = Date.parse('2026-11-01T10:00:00Z');
const done: Record<string, Promotion> = {};

/** A promotion of `app` into `environment`, `minutes` after t0, taken to `status`. */
async function promote(
  key: string,
  environment: string,
  minutes: number,
  status: 'COMPLETED' | 'FAILED',
  to: Partial<Promotion['to']> = {},
): Promise<void> {
  const at = new Date(t0 + minutes * 60_000).toISOString();
  const promotion = aPromotion({
    app,
    requestedAt: at,
    updatedAt: at,
    to: {
      environment,
      accountId: SANDBOX_ACCOUNT_ID,
      region: REGION,
      repositoryName: `${app}-${environment}`,
      ...to,
    },
  });
  await store.create(promotion);
  const finished =
    status === 'COMPLETED'
      ? { ...promotion, status, completedAt: at, updatedAt: at }
      : { ...promotion, status, error: 'copy failed', updatedAt: at };
  await store.transition(finished, 'COPYING');
  done[key] = finished;
}

beforeAll(async () => {
  await createSentinelTable(client, tableName);
  // prod: four completed promotions, then a failed one (not a release, not a rollback target).
  for (const n of [1, 2, 3, 4]) await promote(`prod${n}`, 'prod', n, 'COMPLETED');
  await promote('prodFailed', 'prod', 5, 'FAILED');
  await promote('staging', 'staging', 6, 'COMPLETED');
  // Another account's registry in this Region (kept, with its registryId); another Region (protects nothing here).
  await promote('shared', 'shared', 7, 'COMPLETED', { accountId: OTHER_ACCOUNT });
  await promote('dr', 'dr', 8, 'COMPLETED', { region: 'eu-west-1' });
});

afterAll(() => {
  doc.destroy();
});

describe('the promotions protection signal', () => {
  it("protects each environment's current image and its previous completed promotions, newest first", async () => {
    // Prepare
    const signal = promotedImages(store, { applications: [app], previous: 2, registry });

    // Act
    const report = await signal.read({ repositories: [], now: new Date() });

    // Assess
    expect(report.doubts).toEqual([]);
    const prod = (key: string) => (done[key] as Promotion).digest;
    expect(report.uses.filter((u) => u.repositoryName === repository)).toEqual([
      {
        repositoryName: repository,
        digest: prod('prod4'),
        reason: `promoted: ${app} prod current (promotion ${done.prod4?.id})`,
      },
      {
        repositoryName: repository,
        digest: prod('prod3'),
        reason: `promoted: ${app} prod previous 1 (promotion ${done.prod3?.id})`,
      },
      {
        repositoryName: repository,
        digest: prod('prod2'),
        reason: `promoted: ${app} prod previous 2 (promotion ${done.prod2?.id})`,
      },
    ]);
    expect(report.uses).toContainEqual({
      repositoryName: `${app}-staging`,
      digest: done.staging?.digest,
      reason: `promoted: ${app} staging current (promotion ${done.staging?.id})`,
    });
    expect(report.uses).toContainEqual(
      expect.objectContaining({ repositoryName: `${app}-shared`, registryId: OTHER_ACCOUNT }),
    );
    expect(report.uses.some((u) => u.repositoryName === `${app}-dr`)).toBe(false);
    expect(report.uses).toHaveLength(5);
  });

  it('keeps only the repositories asked about', async () => {
    const signal = promotedImages(store, { applications: [app], previous: 2, registry });
    const report = await signal.read({ repositories: [`${app}-staging`], now: new Date() });
    expect(report.uses.map((u) => u.digest)).toEqual([done.staging?.digest]);
  });

  it('reports a doubt, not a throw, when the store cannot be read', async () => {
    // Prepare: a table that does not exist answers ResourceNotFoundException to every read.
    const missing = dynamoPromotions(doc, uniqueName('missing'));
    const signal = promotedImages(missing, { applications: [app], previous: 2, registry });

    // Act
    const report = await signal.read({ repositories: [repository], now: new Date() });

    // Assess
    expect(report.uses).toEqual([]);
    expect(report.doubts).toEqual([
      {
        signal: 'promotions',
        reason: expect.stringContaining(`the promotions of ${app} (ResourceNotFoundException`),
      },
    ]);
  });
});
