import { describe, expect, it } from 'vitest';
import { cleanupRefusedAlert, cleanupSummaryAlert, repositoryConsoleUrl } from '../../src/cleanup/alert.ts';
import type { RepositoryOutcome } from '../../src/cleanup/ports.ts';
import { cleanupAlertSchema, cleanupEmailText } from '../../src/notifications/index.ts';
import {
  AT,
  CAP_REASON,
  DOUBT_REASON,
  FAILED_DIGEST,
  GIB,
  hugeReport,
  image,
  MIB,
  noticeOf,
  outcome,
  planOf,
  REGISTRY_CONSOLE_URL,
  RUN_ID,
  runOf,
  smallReport,
  WHERE,
} from '../notifications/cleanup-fixtures.ts';

describe('cleanupSummaryAlert', () => {
  it('counts the outcomes of a run by status and sums images, bytes and dollars', () => {
    const alert = cleanupSummaryAlert(smallReport(), WHERE);

    expect(alert).toMatchObject({
      type: 'ecr-sentinel.cleanup',
      version: 1,
      kind: 'summary',
      accountId: '123456789012',
      region: 'eu-west-1',
      stage: 'prod',
      consoleUrl: REGISTRY_CONSOLE_URL,
      occurredAt: '2026-11-27T02:06:00.000Z',
      run: { runId: RUN_ID, trigger: 'schedule', dryRun: false, startedAt: '2026-11-27T02:00:00.000Z' },
    });
    expect(alert.totals).toEqual({
      repositories: 5,
      reported: 5,
      cleaned: 2,
      dryRun: 0,
      noticed: 0,
      skipped: 1,
      refused: 1,
      failed: 1,
      imagesDeleted: 50,
      imagesExpiring: 52,
      imagesTransitioning: 0,
      imageFailures: 2,
      bytesReclaimed: 3 * GIB + 300 * MIB,
      monthlySavingsUsd: 0.33,
      imagesNoticed: 0,
      bytesNoticed: 0,
    });
    expect(cleanupAlertSchema.parse(alert)).toEqual(alert);
  });

  it('names the failures, refusals, skips and errors with their reasons', () => {
    const alert = cleanupSummaryAlert(smallReport(), WHERE);

    expect(alert.failures[0]).toEqual({
      repositoryName: 'orders-api',
      digest: FAILED_DIGEST,
      code: 'ImageReferencedByManifestList',
      message: 'Requested image referenced by manifest list',
    });
    expect(alert.refusals).toEqual([{ repositoryName: 'legacy-batch', reason: CAP_REASON }]);
    expect(alert.skips).toEqual([{ repositoryName: 'ml-models', reason: DOUBT_REASON }]);
    expect(alert.errors).toEqual([
      { repositoryName: 'broken', reason: 'RepositoryNotFoundException: broken' },
    ]);
  });

  it('counts a dry run as what it would reclaim, and noticed repositories apart', () => {
    const report = {
      run: runOf({ dryRun: true, repositoryCount: 2 }),
      outcomes: [
        outcome('a', 'dry-run', { expiringCount: 5, bytesReclaimed: GIB, monthlySavingsUsd: 0.1 }),
        outcome('b', 'noticed', { expiringCount: 7, bytesReclaimed: 2 * GIB, monthlySavingsUsd: 0.2 }),
      ],
    };

    const { totals, topRepositories } = cleanupSummaryAlert(report, WHERE);

    expect(totals).toMatchObject({
      dryRun: 1,
      noticed: 1,
      imagesDeleted: 0,
      imagesExpiring: 5,
      bytesReclaimed: GIB,
      monthlySavingsUsd: 0.1,
      imagesNoticed: 7,
      bytesNoticed: 2 * GIB,
    });
    expect(topRepositories).toEqual([
      { repositoryName: 'b', status: 'noticed', images: 7, bytes: 2 * GIB, monthlySavingsUsd: 0.2 },
      { repositoryName: 'a', status: 'dry-run', images: 5, bytes: GIB, monthlySavingsUsd: 0.1 },
    ]);
  });

  it('rounds the summed dollars to the cent', () => {
    const outcomes = Array.from({ length: 10 }, (_, i) =>
      outcome(`r${i}`, 'cleaned', { deletedCount: 1, bytesReclaimed: 1, monthlySavingsUsd: 0.1 }),
    );
    expect(cleanupSummaryAlert({ run: runOf(), outcomes }, WHERE).totals.monthlySavingsUsd).toBe(1);
  });

  it('keeps the ten largest repositories and at most 50 entries of each list of a 500-repository run, counting all', () => {
    const alert = cleanupSummaryAlert(hugeReport(), WHERE);

    expect(alert.topRepositories.map((r) => r.repositoryName.split('-').at(-1))).toEqual([
      '199',
      '198',
      '197',
      '196',
      '195',
      '194',
      '193',
      '192',
      '191',
      '190',
    ]);
    expect(alert.failures).toHaveLength(50);
    expect(alert.refusals).toHaveLength(50);
    expect(alert.skips).toHaveLength(50);
    expect(alert.errors).toHaveLength(50);
    expect(alert.totals).toMatchObject({
      repositories: 500,
      imageFailures: 600,
      refused: 100,
      skipped: 150,
      failed: 50,
    });
  });

  it('says how many repositories have not reported when the summary goes out early', () => {
    const report = { run: runOf({ repositoryCount: 9 }), outcomes: smallReport().outcomes };

    const alert = cleanupSummaryAlert(report, WHERE);

    expect(alert.totals).toMatchObject({ repositories: 9, reported: 5 });
    expect(cleanupEmailText(alert)).toContain(
      'Repositories: 9 (2 cleaned, 1 skipped, 1 refused, 1 failed); 5 of 9 reported',
    );
  });

  it('uses the start of the run as its time when nothing has reported', () => {
    const alert = cleanupSummaryAlert(
      { run: runOf(), outcomes: [] },
      { accountId: '1', region: 'us-east-1' },
    );

    expect(alert.occurredAt).toBe('2026-11-27T02:00:00.000Z');
    expect(alert).not.toHaveProperty('stage');
    expect(alert.subject).toBe('[CLEANUP] nothing deleted in 5 repositories; 5 not reported');
  });
});

describe('cleanupNoticeAlert', () => {
  it('announces the planned repositories with their images, largest first', () => {
    const alert = noticeOf();

    expect(alert).toMatchObject({
      kind: 'notice',
      deleteOn: '2026-12-04',
      occurredAt: AT.toISOString(),
      totals: { repositories: 2, images: 4, bytes: 2.5 * GIB + 40 * MIB, monthlySavingsUsd: 0.25 },
      repositories: [
        { repositoryName: 'orders-api', images: 3, bytes: 2.5 * GIB },
        { repositoryName: 'payments', images: 1, bytes: 40 * MIB },
      ],
    });
    expect(alert.topImages[0]).toEqual({
      repositoryName: 'orders-api',
      digest: `sha256:${'a1'.padEnd(64, '0')}`,
      tags: ['1.2.0', 'latest', 'stable'],
      tagCount: 3,
      sizeBytes: 1.5 * GIB,
      pushedAt: '2026-09-01T00:00:00.000Z',
    });
    expect(alert.topImages.map((i) => i.sizeBytes)).toEqual([1.5 * GIB, 512 * MIB, 512 * MIB, 40 * MIB]);
    expect(cleanupAlertSchema.parse(alert)).toEqual(alert);
  });

  it('leaves out refused and skipped plans, empty plans and outcomes that were not noticed', () => {
    const alert = noticeOf({
      repositories: [
        planOf('refused', [image('x', GIB)], { status: 'refused', reason: CAP_REASON }),
        planOf('skipped', [image('y', GIB)], { status: 'skipped', reason: DOUBT_REASON }),
        planOf('empty', []),
        outcome('cleaned', 'cleaned', { expiringCount: 3, bytesReclaimed: GIB }),
        outcome('noticed', 'noticed', { expiringCount: 3, bytesReclaimed: GIB, monthlySavingsUsd: 0.1 }),
      ],
    });

    expect(alert.repositories).toEqual([{ repositoryName: 'noticed', images: 3, bytes: GIB }]);
    expect(alert.topImages).toEqual([]);
    expect(alert.subject).toBe(
      '[CLEANUP NOTICE] 3 images (1.0 GiB) in 1 repository will be deleted on 2026-12-04',
    );
  });
});

describe('cleanupRefusedAlert', () => {
  const refusedOutcome: RepositoryOutcome = outcome('team/legacy-batch', 'refused', {
    imageCount: 800,
    expiringCount: 600,
    bytesReclaimed: 6 * GIB,
    monthlySavingsUsd: 0.6,
    reason: CAP_REASON,
  });

  it('maps a recorded refusal with its run, linking the repository in the console', () => {
    const alert = cleanupRefusedAlert(refusedOutcome, WHERE, { run: runOf(), at: AT });

    expect(alert).toMatchObject({
      kind: 'refused',
      repositoryName: 'team/legacy-batch',
      reason: CAP_REASON,
      imageCount: 800,
      expiringCount: 600,
      bytes: 6 * GIB,
      monthlySavingsUsd: 0.6,
      run: { runId: RUN_ID },
      consoleUrl:
        'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/team/legacy-batch?region=eu-west-1',
    });
    expect(cleanupAlertSchema.parse(alert)).toEqual(alert);
  });

  it('maps the CLI plan refused before any run', () => {
    const plan = planOf('legacy-batch', [image('a', GIB), image('b', GIB)], {
      status: 'refused',
      reason: CAP_REASON,
    });

    const alert = cleanupRefusedAlert(plan, WHERE, { at: AT });

    expect(alert).not.toHaveProperty('run');
    expect(alert).toMatchObject({
      expiringCount: 2,
      imageCount: 12,
      bytes: 2 * GIB,
      occurredAt: AT.toISOString(),
    });
    expect(cleanupAlertSchema.parse(alert)).toEqual(alert);
  });

  it('says it was the cap when the outcome gives no reason', () => {
    const { reason: _omit, ...bare } = refusedOutcome;
    expect(cleanupRefusedAlert(bare, WHERE, { at: AT }).reason).toBe(
      'over the deletion cap (cleanup.maxDeletions)',
    );
  });

  it('encodes what a console URL must not carry raw', () => {
    expect(repositoryConsoleUrl({ accountId: '123456789012', region: 'eu-west-1' }, 'a/b c')).toBe(
      'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/a/b%20c?region=eu-west-1',
    );
  });
});
