import {
  type CleanupAlertWhere,
  cleanupNoticeAlert,
  cleanupRefusedAlert,
  cleanupSummaryAlert,
} from '../../src/cleanup/alert.ts';
import type { RepositoryImage } from '../../src/cleanup/domain/images.ts';
import { PlannedImages, ProtectedImages, type RepositoryPlan } from '../../src/cleanup/domain/plan.ts';
import type { CleanupRun, CleanupRunReport, RepositoryOutcome } from '../../src/cleanup/ports.ts';

/**
 * Cleanup runs, plans and outcomes for the rendering tests, mapped to alert documents the way the cleanup
 * capability maps them (src/cleanup/alert.ts).
 */

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;
export const RUN_ID = '01JDR4T7X9Y2Z3A4B5C6D7E8F9';
export const WHERE: CleanupAlertWhere = { accountId: '123456789012', region: 'eu-west-1', stage: 'prod' };
export const REGISTRY_CONSOLE_URL =
  'https://eu-west-1.console.aws.amazon.com/ecr/private-registry/repositories?region=eu-west-1';
export const AT = new Date('2026-11-27T02:10:00.000Z');
export const CAP_REASON = 'would delete 600 of 800 images, over the cap of 500 per run (maxDeletions.images)';
export const DOUBT_REASON = 'not cleaned on doubt: ecs: AccessDeniedException: ecs:ListTasks';

export function runOf(over: Partial<CleanupRun> = {}): CleanupRun {
  return {
    runId: RUN_ID,
    startedAt: '2026-11-27T02:00:00.000Z',
    trigger: 'schedule',
    dryRun: false,
    repositoryCount: 5,
    ...over,
  };
}

export function outcome(
  repositoryName: string,
  status: RepositoryOutcome['status'],
  over: Partial<RepositoryOutcome> = {},
): RepositoryOutcome {
  return {
    runId: RUN_ID,
    repositoryName,
    status,
    imageCount: 100,
    expiringCount: 0,
    transitioningCount: 0,
    protectedCount: 0,
    deletedCount: 0,
    bytesReclaimed: 0,
    monthlySavingsUsd: 0,
    failures: [],
    finishedAt: '2026-11-27T02:05:00.000Z',
    ...over,
  };
}

export const FAILED_DIGEST = `sha256:${'ab'.repeat(32)}`;

/**
 * A real (not dry) run over five repositories: two cleaned (one with two images ECR would not delete), one refused
 * by the cap, one skipped on doubt, one that could not be planned.
 */
export function smallReport(run: Partial<CleanupRun> = {}): CleanupRunReport {
  const dryRun = run.dryRun ?? false;
  const cleaned = dryRun ? 'dry-run' : 'cleaned';
  return {
    run: runOf(run),
    outcomes: [
      outcome('orders-api', cleaned, {
        expiringCount: 42,
        deletedCount: dryRun ? 0 : 40,
        bytesReclaimed: 3 * GIB,
        monthlySavingsUsd: 0.3,
        failures: dryRun
          ? []
          : [
              {
                digest: FAILED_DIGEST,
                code: 'ImageReferencedByManifestList',
                message: 'Requested image referenced by manifest list',
              },
              {
                digest: `sha256:${'cd'.repeat(32)}`,
                code: 'ImageNotFound',
                message: 'Requested image not found',
              },
            ],
        finishedAt: '2026-11-27T02:06:00.000Z',
      }),
      outcome('payments', cleaned, {
        expiringCount: 10,
        deletedCount: dryRun ? 0 : 10,
        bytesReclaimed: 300 * MIB,
        monthlySavingsUsd: 0.03,
      }),
      outcome('legacy-batch', 'refused', { expiringCount: 600, imageCount: 800, reason: CAP_REASON }),
      outcome('ml-models', 'skipped', { reason: DOUBT_REASON }),
      outcome('broken', 'failed', { reason: 'RepositoryNotFoundException: broken' }),
    ],
  };
}

export function summaryOf(run: Partial<CleanupRun> = {}) {
  return cleanupSummaryAlert(smallReport(run), WHERE);
}

/**
 * A run over 500 repositories with long names and reasons: 200 cleaned (each with 3 images ECR would not
 * delete), 100 refused, 150 skipped, 50 that could not be planned.
 */
export function hugeReport(): CleanupRunReport {
  const name = (i: number) => `team-${i}/${'very-long-service-name-'.repeat(8)}${i}`;
  const reason = (i: number) => `reason ${i}: ${'the signal could not be read & <retry> later; '.repeat(20)}`;
  const outcomes: RepositoryOutcome[] = [];
  for (let i = 0; i < 500; i++) {
    if (i < 200) {
      outcomes.push(
        outcome(name(i), 'cleaned', {
          expiringCount: 50,
          deletedCount: 47,
          bytesReclaimed: (i + 1) * 100 * MIB,
          monthlySavingsUsd: 0.01 * (i + 1),
          failures: [0, 1, 2].map((f) => ({
            digest: `sha256:${String(i * 3 + f).padStart(64, '0')}`,
            code: 'ImageReferencedByManifestList',
            message: reason(i),
          })),
        }),
      );
    } else if (i < 300) outcomes.push(outcome(name(i), 'refused', { reason: reason(i) }));
    else if (i < 450) outcomes.push(outcome(name(i), 'skipped', { reason: reason(i) }));
    else outcomes.push(outcome(name(i), 'failed', { reason: reason(i) }));
  }
  return { run: runOf({ repositoryCount: 500 }), outcomes };
}

export function image(
  name: string,
  sizeBytes: number,
  tags: readonly string[] = [],
  over: Partial<RepositoryImage> = {},
): RepositoryImage {
  return {
    digest: `sha256:${name.padEnd(64, '0')}`,
    tags,
    pushedAt: Date.parse('2026-09-01T00:00:00.000Z'),
    storageClass: 'standard',
    sizeBytes,
    ...over,
  };
}

/** A repository's plan expiring `images` (the rest of the plan's fields as planRepository fills them). */
export function planOf(
  repositoryName: string,
  images: readonly RepositoryImage[],
  over: Partial<RepositoryPlan> = {},
): RepositoryPlan {
  const bytes = images.reduce((n, i) => n + i.sizeBytes, 0);
  return {
    repositoryName,
    status: 'planned',
    imageCount: images.length + 10,
    expiring: PlannedImages.of(
      images.map((i) => ({ image: i, action: { type: 'EXPIRE' }, appliedRulePriority: 1 })),
    ),
    transitioning: PlannedImages.EMPTY,
    protected: ProtectedImages.EMPTY,
    keptCount: 10,
    bytesReclaimed: bytes,
    bytesTransitioned: 0,
    monthlySavingsUsd: Math.round((bytes / GIB) * 0.1 * 100) / 100,
    ...over,
  };
}

/** A notice over two repositories: orders-api (3 images, 2.5 GiB) and payments (1 untagged image). */
export function noticeOf(over: { repositories?: readonly (RepositoryPlan | RepositoryOutcome)[] } = {}) {
  return cleanupNoticeAlert(
    {
      run: runOf(),
      deleteOn: '2026-12-04',
      repositories: over.repositories ?? [
        planOf('orders-api', [
          image('a1', 2 * GIB - 512 * MIB, ['1.2.0', 'latest', 'stable']),
          image('a2', 512 * MIB, ['1.1.0']),
          image('a3', 512 * MIB, ['1.0.0']),
        ]),
        planOf('payments', [image('b1', 40 * MIB)]),
      ],
      at: AT,
    },
    WHERE,
  );
}

/** A refusal of legacy-batch by the cap; `null`: the CLI's, before any run. */
export function refusedOf(run: CleanupRun | null = runOf()) {
  const images = Array.from({ length: 600 }, (_, i) => image(`r${i}`, 10 * MIB));
  const plan = planOf('legacy-batch', images, { status: 'refused', reason: CAP_REASON, imageCount: 800 });
  return cleanupRefusedAlert(plan, WHERE, { ...(run ? { run } : {}), at: AT });
}
