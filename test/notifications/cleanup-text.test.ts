import { describe, expect, it } from 'vitest';
import { cleanupSummaryAlert } from '../../src/cleanup/alert.ts';
import { SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import { COMPACT_CLEANUP_LIMITS, MINIMAL_CLEANUP_LIMITS } from '../../src/notifications/cleanup-document.ts';
import { cleanupEmailText } from '../../src/notifications/cleanup-email.ts';
import { cleanupSubject } from '../../src/notifications/cleanup-subject.ts';
import { usd } from '../../src/notifications/text.ts';
import {
  CAP_REASON,
  DOUBT_REASON,
  hugeReport,
  noticeOf,
  outcome,
  REGISTRY_CONSOLE_URL,
  RUN_ID,
  refusedOf,
  runOf,
  summaryOf,
  WHERE,
} from './cleanup-fixtures.ts';

const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;

describe('cleanup subject', () => {
  it.each([
    [
      'a run',
      () => summaryOf(),
      '[CLEANUP] 50 images deleted, 3.3 GiB ($0.33/month) in 5 repositories; 2 images not deleted',
    ],
    [
      'a dry run',
      () => summaryOf({ dryRun: true }),
      '[CLEANUP DRY RUN] 52 images would be deleted, 3.3 GiB ($0.33/month) in 5 repositories; 1 failed',
    ],
    [
      'a notice',
      () => noticeOf(),
      '[CLEANUP NOTICE] 4 images (2.5 GiB) in 2 repositories will be deleted on 2026-12-04',
    ],
    [
      'a refusal',
      () => refusedOf(),
      '[CLEANUP REFUSED] legacy-batch: would delete 600 of 800 images, over the cap of 500 per run (max...',
    ],
  ])('says what happened in %s', (_case, build, subject) => {
    expect(build().subject).toBe(subject);
  });

  it('lists every problem, worst first, when there is room', () => {
    const report = {
      run: runOf({ repositoryCount: 6 }),
      outcomes: [
        outcome('a', 'refused', { reason: CAP_REASON }),
        outcome('b', 'skipped', { reason: DOUBT_REASON }),
        outcome('c', 'failed', { reason: 'boom' }),
      ],
    };
    expect(cleanupSummaryAlert(report, WHERE).subject).toBe(
      '[CLEANUP] nothing deleted in 6 repositories; 1 failed, 1 refused, 3 not reported, 1 skipped',
    );
  });

  it.each([
    ['summary', () => ({ ...summaryOf(), stage: 'é'.repeat(300) })],
    ['notice', () => ({ ...noticeOf(), deleteOn: '2026-12-04' })],
    [
      'refusal',
      () => ({ ...refusedOf(), repositoryName: `${'team/'.repeat(60)}zoë-api`, reason: 'ü\n'.repeat(300) }),
    ],
  ])('keeps the %s subject within SNS rules whatever the names', (_case, build) => {
    const subject = cleanupSubject(build());

    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subject).toMatch(PRINTABLE_ASCII);
  });

  it('keeps the end of a long refused repository name and the start of the reason', () => {
    const subject = cleanupSubject({ ...refusedOf(), repositoryName: `${'team/'.repeat(30)}orders-api` });
    expect(subject).toMatch(/^\[CLEANUP REFUSED\] \.\.\..*\/orders-api: would delete 600 of 800/);
  });
});

describe('cleanup email text', () => {
  it('shows a run: totals, dollars, top repositories, failures with their codes, and why repositories were set aside', () => {
    const text = cleanupEmailText(summaryOf());

    expect(text.split('\n')[0]).toBe('CLEANUP: 50 images deleted, 3.3 GiB ($0.33/month)');
    expect(text).toContain(`Run:          ${RUN_ID} (schedule, started 2026-11-27T02:00:00.000Z)`);
    expect(text).toContain('Account:      123456789012, eu-west-1, stage prod');
    expect(text).toContain('Repositories: 5 (2 cleaned, 1 skipped, 1 refused, 1 failed)');
    expect(text).toContain('Images:       50 deleted of 52 expiring');
    expect(text).toContain('Reclaimed:    3.3 GiB, $0.33/month');
    expect(text).toContain(
      'Top repositories by bytes:\n  orders-api    3.0 GiB    $0.30/month  40 images deleted\n',
    );
    expect(text).toContain('  payments    300.0 MiB    $0.03/month  10 images deleted');
    expect(text).toContain(
      'Images not deleted (2):\n  orders-api sha256:abababababab…  ImageReferencedByManifestList: Requested image referenced by manifest list',
    );
    expect(text).toContain('Could not be planned (1):\n  broken: RepositoryNotFoundException: broken');
    expect(text).toContain(`Refused by the deletion cap (1):\n  legacy-batch: ${CAP_REASON}`);
    expect(text).toContain(`Skipped (1):\n  ml-models: ${DOUBT_REASON}`);
    expect(text.endsWith(`Console: ${REGISTRY_CONSOLE_URL}\n`)).toBe(true);
  });

  it('says a dry run deleted nothing and what it would free', () => {
    const text = cleanupEmailText(summaryOf({ dryRun: true }));

    expect(text).toContain('CLEANUP DRY RUN: 52 images would be deleted, 3.3 GiB ($0.33/month)');
    expect(text).toContain('Mode:         dry run: nothing was deleted');
    expect(text).toContain('Would free:   3.3 GiB, $0.33/month');
    expect(text).toContain('42 images would be deleted');
    expect(text).not.toContain('Images not deleted');
  });

  it('says how many each list leaves out, counting what the document did not list', () => {
    const text = cleanupEmailText(cleanupSummaryAlert(hugeReport(), WHERE), COMPACT_CLEANUP_LIMITS);

    expect(text).toContain('Images not deleted (600):');
    expect(text).toContain('  and 590 more\n');
    expect(text).toContain('Refused by the deletion cap (100):');
    expect(text).toContain('  and 90 more\n');
    expect(text).toContain('Skipped (150):');
    expect(text).toContain('  and 140 more\n');
    expect(text).toContain('Could not be planned (50):');
    expect(text).toContain('  and 40 more\n');
  });

  it('still gives the totals with no lists at all', () => {
    const text = cleanupEmailText(cleanupSummaryAlert(hugeReport(), WHERE), MINIMAL_CLEANUP_LIMITS);

    expect(text).toContain('Repositories: 500 (200 cleaned, 150 skipped, 100 refused, 50 failed)');
    expect(text).toContain('Reclaimed:    1.9 TiB, $201.00/month');
    expect(text).toContain('Images not deleted (600):\n  and 600 more\n');
    expect(text).not.toContain('Top repositories');
  });

  it('shows a notice: the day, totals, repositories and the largest images with their tags', () => {
    const text = cleanupEmailText(noticeOf());

    expect(text.split('\n')[0]).toBe(
      'CLEANUP NOTICE: 4 images (2.5 GiB) in 2 repositories will be deleted on 2026-12-04',
    );
    expect(text).toContain('Delete on:    2026-12-04 (UTC)');
    expect(text).toContain('Images:       4 (2.5 GiB, $0.25/month)');
    expect(text).toContain(
      'By repository:\n  orders-api     3 images    2.5 GiB\n  payments        1 image   40.0 MiB\n',
    );
    expect(text).toContain('  orders-api:1.2.0 (+2 tags)  sha256:a10000000000…  1.5 GiB');
    expect(text).toContain('  payments (untagged)  sha256:b10000000000…  40.0 MiB');
    expect(text).toContain('keepTagPatterns');
  });

  it('shows a refusal: the reason, what the plan would have done, and that nothing was deleted', () => {
    const text = cleanupEmailText(refusedOf());

    expect(text.split('\n')[0]).toBe('CLEANUP REFUSED: legacy-batch');
    expect(text).toContain(`Reason:       ${CAP_REASON}`);
    expect(text).toContain('Plan:         600 of 800 images would expire (5.9 GiB, $0.59/month)');
    expect(text).toContain('Nothing was deleted in this repository.');
    expect(text).toContain(
      'Console: https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/legacy-batch?region=eu-west-1',
    );
  });

  it.each([
    [0, '$0.00'],
    [0.3, '$0.30'],
    [0.125, '$0.13'],
    [1234.5, '$1,234.50'],
  ])('writes %d dollars as %s', (amount, text) => {
    expect(usd(amount)).toBe(text);
  });
});
