import { describe, expect, it } from 'vitest';
import {
  cleanupKeys,
  cleanupNoticeKeys,
  expiresAfter,
  imageKey,
  promotionKeys,
  releaseKeys,
  TABLE_ENTITIES,
  type TableEntity,
  verdictKeys,
} from '../../src/shared/table.ts';

const entities: Array<[string, TableEntity]> = Object.entries(TABLE_ENTITIES);

/** Pairs of distinct values where one starts with the other: such keys collide in a begins_with query. */
function overlapping(values: readonly string[]): string[] {
  return values.flatMap((a, i) =>
    values.filter((b, j) => i !== j && b.startsWith(a)).map((b) => `${a} / ${b}`),
  );
}

describe('single-table key registry', () => {
  it('lists the entities in use and the ones reserved for the next capabilities', () => {
    expect(Object.keys(TABLE_ENTITIES)).toEqual([
      'image',
      'verdict',
      'promotion',
      'release',
      'cleanup',
      'cleanupNotice',
      'compliance',
    ]);
  });

  it('gives no two entities partition prefixes that overlap', () => {
    expect(overlapping(entities.map(([, entity]) => entity.pkPrefix))).toEqual([]);
  });

  it('ends every partition prefix with # (no name contains #, so no key reads as another entity)', () => {
    expect(entities.filter(([, entity]) => !entity.pkPrefix.endsWith('#'))).toEqual([]);
  });

  it.each(entities)('gives %s sort keys that do not overlap one another', (_name, entity) => {
    expect(overlapping(Object.values(entity.sk))).toEqual([]);
  });

  it('builds the keys stored today, byte for byte', () => {
    const repository = 'team/orders-api-dev';
    const digest = 'sha256:36c7b282abd0186e01419f2e58743e1bf0e2d6a2c8b2e2d5f4c1e1a8d2c3b4a5';

    expect(imageKey(repository, digest)).toEqual({ pk: `REPO#${repository}`, sk: `IMAGE#${digest}` });
    expect(verdictKeys.latest(repository, digest)).toEqual({
      pk: `VERDICT#${repository}#${digest}`,
      sk: 'LATEST',
    });
    expect(verdictKeys.history(repository, digest, '2026-11-26T10:00:00.000Z', 'e1d2')).toEqual({
      pk: `VERDICT#${repository}#${digest}`,
      sk: 'EVAL#2026-11-26T10:00:00.000Z#e1d2',
    });
    expect(verdictKeys.historyPrefix).toBe('EVAL#');
    expect(verdictKeys.alertClaim(repository, digest, 'e1d2')).toEqual({
      pk: `VERDICT#${repository}#${digest}`,
      sk: 'ALERT#e1d2',
    });
    expect(verdictKeys.alertClaim(repository, digest, 'e1d2', 'ENFORCEMENT').sk).toBe(
      'ALERT#e1d2#ENFORCEMENT',
    );
  });

  it('builds the promotion keys, byte for byte', () => {
    const id = '01JDX3Q4RZ8W8V5K2M7N9P0QRS';
    const digest = 'sha256:36c7b282abd0186e01419f2e58743e1bf0e2d6a2c8b2e2d5f4c1e1a8d2c3b4a5';
    expect(promotionKeys.record(id)).toEqual({ pk: `PROMOTION#${id}`, sk: 'RECORD' });
    expect(promotionKeys.byApp(id).sk).toBe('BY_APP');
    expect(promotionKeys.byDigest(id).sk).toBe('BY_DIGEST');
    expect(promotionKeys.request('team/orders-api', 'prod', digest)).toEqual({
      pk: `PROMOTION#REQUEST#team/orders-api#prod#${digest}`,
      sk: 'REQUEST',
    });
    expect(promotionKeys.listing.app('orders-api')).toBe('PROMOTIONS#APP#orders-api');
    expect(promotionKeys.listingSort('2026-11-27T10:00:00.000Z', id)).toBe(`2026-11-27T10:00:00.000Z#${id}`);
    expect(releaseKeys.environment('orders-api', 'prod')).toEqual({
      pk: 'RELEASE#orders-api',
      sk: 'ENV#prod',
    });
  });

  it('builds the cleanup keys and the TTL attribute, byte for byte', () => {
    const runId = '01JDX3Q4RZ8W8V5K2M7N9P0QRS';
    const digest = 'sha256:36c7b282abd0186e01419f2e58743e1bf0e2d6a2c8b2e2d5f4c1e1a8d2c3b4a5';
    expect(cleanupKeys.run(runId)).toEqual({ pk: `CLEANUP#${runId}`, sk: 'RUN' });
    expect(cleanupKeys.outcome(runId, 'team/orders-api')).toEqual({
      pk: `CLEANUP#${runId}`,
      sk: 'REPO#team/orders-api',
    });
    expect(cleanupKeys.removed(runId, 'team/orders-api', digest)).toEqual({
      pk: `CLEANUP#${runId}`,
      sk: `IMAGE#team/orders-api#${digest}`,
    });
    expect(cleanupKeys.removedPrefix('team/orders-api')).toBe('IMAGE#team/orders-api#');
    expect(cleanupNoticeKeys.header('team/orders-api')).toEqual({
      pk: 'CLEANUPNOTICE#team/orders-api',
      sk: 'NOTICE',
    });
    expect(cleanupNoticeKeys.digests('team/orders-api', 3)).toEqual({
      pk: 'CLEANUPNOTICE#team/orders-api',
      sk: 'DIGESTS#0003',
    });
    expect(cleanupKeys.listing).toBe('CLEANUPS#ALL');
    expect(cleanupKeys.listingSort('2026-11-27T03:00:00.000Z', runId)).toBe(
      `2026-11-27T03:00:00.000Z#${runId}`,
    );
    expect(expiresAfter(new Date('2026-11-27T00:00:00.500Z'), 90)).toEqual({
      ttlEpochSeconds: Date.parse('2027-02-25T00:00:00.000Z') / 1000,
    });
  });

  it('finds an overlap when there is one (the check can fail)', () => {
    expect(overlapping(['REPO#', 'REPO#TAG#', 'VERDICT#'])).toEqual(['REPO# / REPO#TAG#']);
  });
});
