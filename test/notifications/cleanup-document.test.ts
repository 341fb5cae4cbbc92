import { describe, expect, it } from 'vitest';
import { cleanupSummaryAlert } from '../../src/cleanup/alert.ts';
import { anyAlertDocumentSchema } from '../../src/notifications/alert-document.ts';
import {
  type CleanupAlert,
  type CleanupSummaryAlert,
  COMPACT_CLEANUP_LIMITS,
  cleanupAlertSchema,
  FULL_CLEANUP_LIMITS,
  limitCleanupAlert,
  MINIMAL_CLEANUP_LIMITS,
} from '../../src/notifications/cleanup-document.ts';
import { hugeReport, noticeOf, refusedOf, summaryOf, WHERE } from './cleanup-fixtures.ts';

/** The issue paths of a parse that must fail. */
function issuePaths(value: unknown): string[] {
  const result = anyAlertDocumentSchema.safeParse(value);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((i) => i.path.join('.'));
}

const KINDS: Array<[string, () => CleanupAlert]> = [
  ['summary', () => summaryOf()],
  ['dry-run summary', () => summaryOf({ dryRun: true })],
  ['notice', () => noticeOf()],
  ['refused', () => refusedOf()],
  ['CLI refusal without a run', () => refusedOf(null)],
];

describe('cleanup alert document', () => {
  it.each(KINDS)('accepts the %s document the cleanup capability builds, through JSON', (_kind, build) => {
    const alert = build();

    const parsed = anyAlertDocumentSchema.parse(JSON.parse(JSON.stringify(alert)));

    expect(parsed).toEqual(alert);
    expect(alert).toMatchObject({ type: 'ecr-sentinel.cleanup', version: 1 });
  });

  it('drops keys it does not know (a newer producer may add some)', () => {
    const parsed = cleanupAlertSchema.parse({ ...summaryOf(), futureField: 1 });
    expect(parsed).not.toHaveProperty('futureField');
  });

  const summary = summaryOf();
  const notice = noticeOf();
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown kind', { ...summary, kind: 'weekly' }, 'kind'],
    ['a summary without totals', { ...summary, totals: undefined }, 'totals'],
    [
      'a negative byte count',
      { ...summary, totals: { ...summary.totals, bytesReclaimed: -1 } },
      'totals.bytesReclaimed',
    ],
    [
      'a fractional image count',
      { ...summary, totals: { ...summary.totals, imagesDeleted: 1.5 } },
      'totals.imagesDeleted',
    ],
    [
      'a failure without its digest',
      { ...summary, failures: [{ repositoryName: 'a', code: 'ImageNotFound' }] },
      'failures.0.digest',
    ],
    ['a run without its id', { ...summary, run: { ...summary.run, runId: '' } }, 'run.runId'],
    ['a notice day that is not a day', { ...notice, deleteOn: 'next Tuesday' }, 'deleteOn'],
    ['a refusal without its reason', { ...refusedOf(), reason: '' }, 'reason'],
    [
      'a console link outside the AWS console',
      { ...summary, consoleUrl: 'javascript:alert(1)' },
      'consoleUrl',
    ],
  ])('rejects %s, naming the field', (_case, value, path) => {
    expect(issuePaths(value)).toContain(path);
  });

  it('names every type when the type is none of them', () => {
    const result = anyAlertDocumentSchema.safeParse({ ...summary, type: 'ecr-sentinel.drift' });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['type'],
        message:
          'expected "ecr-sentinel.scan-verdict", "ecr-sentinel.promotion", "ecr-sentinel.cleanup" or "ecr-sentinel.compliance"',
      }),
    ]);
  });
});

describe('cleanup alert cut to size', () => {
  const huge = cleanupSummaryAlert(hugeReport(), WHERE);

  it.each([
    ['full', FULL_CLEANUP_LIMITS, 10],
    ['compact', COMPACT_CLEANUP_LIMITS, 10],
    ['minimal', MINIMAL_CLEANUP_LIMITS, 0],
  ] as const)(
    'caps the lists of a 500-repository run to the %s limits and keeps every count',
    (_n, limits, top) => {
      const cut = limitCleanupAlert(huge, limits) as CleanupSummaryAlert;

      expect(cut.topRepositories).toHaveLength(top);
      for (const list of [cut.failures, cut.refusals, cut.skips, cut.errors]) {
        expect(list.length).toBeLessThanOrEqual(limits.lists);
      }
      expect(cut.totals).toEqual(huge.totals);
      expect(cut.totals).toMatchObject({ imageFailures: 600, refused: 100, skipped: 150, failed: 50 });
      for (const r of cut.refusals) expect([...r.reason].length).toBeLessThanOrEqual(limits.text);
      expect(cleanupAlertSchema.safeParse(cut).error).toBeUndefined();
    },
  );

  it('caps the images and tags of a notice and counts the tags it left out', () => {
    const alert = noticeOf();

    const cut = limitCleanupAlert(alert, { ...COMPACT_CLEANUP_LIMITS, tags: 1 });

    expect(cut.kind === 'notice' && cut.topImages[0]).toMatchObject({ tags: ['1.2.0'], tagCount: 3 });
    expect(cleanupAlertSchema.safeParse(cut).error).toBeUndefined();
  });

  it('bounds a refusal whatever its fields', () => {
    const HUGE = 'x'.repeat(10_000);
    const alert = { ...refusedOf(), reason: HUGE, repositoryName: HUGE, stage: HUGE };

    const cut = limitCleanupAlert(alert, COMPACT_CLEANUP_LIMITS);

    expect(JSON.stringify(cut).length).toBeLessThan(2_000);
    expect(cleanupAlertSchema.safeParse(cut).error).toBeUndefined();
  });

  it('writes the keys in the published order whatever order the producer used', () => {
    const alert = summaryOf();
    const reversed = {
      ...Object.fromEntries(Object.entries(alert).reverse()),
      totals: Object.fromEntries(Object.entries(alert.totals).reverse()),
    } as CleanupAlert;

    expect(JSON.stringify(limitCleanupAlert(reversed, FULL_CLEANUP_LIMITS))).toBe(
      JSON.stringify(limitCleanupAlert(alert, FULL_CLEANUP_LIMITS)),
    );
    expect(Object.keys(limitCleanupAlert(alert, FULL_CLEANUP_LIMITS)).slice(0, 4)).toEqual([
      'type',
      'version',
      'kind',
      'subject',
    ]);
  });
});
