import {
  CLEANUP_TOP_REPOSITORIES,
  type CleanupAlertRun,
  type CleanupImageFailure,
  type CleanupNoticeAlert,
  type CleanupNoticeImage,
  type CleanupRefusedAlert,
  type CleanupRepositoryReason,
  type CleanupSummaryAlert,
  type CleanupTopRepository,
  cleanupAlert,
  FULL_CLEANUP_LIMITS,
} from '../notifications/index.ts';
import type { RepositoryPlan } from './domain/plan.ts';
import type { CleanupRun, CleanupRunReport, RepositoryOutcome } from './ports.ts';

/**
 * The cleanup capability's alerts, as notifications renders them (subject, email, Slack): the summary of a run,
 * the advance notice of what a run will delete, and a repository refused by the deletion cap. Pure: times come
 * from the run, its outcomes or the caller.
 *
 * Lists are cut here to what subscribers get at most (FULL_CLEANUP_LIMITS), so a run over thousands of
 * repositories builds a bounded document; the totals still count everything, and the renderings say how many
 * they leave out.
 */

/** Where the run ran: the account and Region cleanup works in, and the deployment stage when known. */
export interface CleanupAlertWhere {
  readonly accountId: string;
  readonly region: string;
  readonly stage?: string;
}

const LIST_MAX = FULL_CLEANUP_LIMITS.lists;

/** Said when an outcome gives no reason: the list entry still names the repository. */
const NO_REASON = 'no reason recorded';

/** The registry's repository list in the console: a run is about many repositories. */
export function registryConsoleUrl(region: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/ecr/private-registry/repositories?region=${r}`;
}

/** One repository's page in the console (its images). Names keep their `/`, as in the console's own links. */
export function repositoryConsoleUrl(where: CleanupAlertWhere, repositoryName: string): string {
  const r = encodeURIComponent(where.region);
  const repository = repositoryName.split('/').map(encodeURIComponent).join('/');
  return `https://${r}.console.aws.amazon.com/ecr/repositories/private/${encodeURIComponent(where.accountId)}/${repository}?region=${r}`;
}

function runOf(run: CleanupRun): CleanupAlertRun {
  return { runId: run.runId, trigger: run.trigger, dryRun: run.dryRun, startedAt: run.startedAt };
}

function whereOf(where: CleanupAlertWhere) {
  return {
    accountId: where.accountId,
    region: where.region,
    ...(where.stage === undefined ? {} : { stage: where.stage }),
  };
}

/** Dollars summed from per-repository cents, rounded to the cent again (floating sums drift). */
function sumUsd(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return Math.round(total * 100) / 100;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

const byName = (a: { repositoryName: string }, b: { repositoryName: string }) =>
  a.repositoryName < b.repositoryName ? -1 : a.repositoryName > b.repositoryName ? 1 : 0;

function reasonsOf(outcomes: readonly RepositoryOutcome[]): CleanupRepositoryReason[] {
  return outcomes
    .slice(0, LIST_MAX)
    .map((o) => ({ repositoryName: o.repositoryName, reason: o.reason ?? NO_REASON }));
}

/**
 * The summary of a run: one per run (CleanupRecords.claimSummary), sent when its last repository reports (or
 * earlier, when the report is incomplete: it then says how many repositories have not reported).
 */
export function cleanupSummaryAlert(report: CleanupRunReport, where: CleanupAlertWhere): CleanupSummaryAlert {
  const { run } = report;
  const outcomes = [...report.outcomes].sort(byName);
  const having = (...statuses: RepositoryOutcome['status'][]) =>
    outcomes.filter((o) => statuses.includes(o.status));
  const planned = having('cleaned', 'dry-run');
  const noticed = having('noticed');

  const top: CleanupTopRepository[] = outcomes
    .filter((o) => o.status === 'cleaned' || o.status === 'dry-run' || o.status === 'noticed')
    .map((o) => ({
      repositoryName: o.repositoryName,
      status: o.status as CleanupTopRepository['status'],
      images: o.status === 'cleaned' ? o.deletedCount : o.expiringCount,
      bytes: o.bytesReclaimed,
      monthlySavingsUsd: o.monthlySavingsUsd,
    }))
    .filter((r) => r.bytes > 0 || r.images > 0)
    .sort((a, b) => b.bytes - a.bytes || b.images - a.images || byName(a, b))
    .slice(0, CLEANUP_TOP_REPOSITORIES);

  const failures: CleanupImageFailure[] = [];
  for (const o of outcomes) {
    for (const f of o.failures) {
      if (failures.length >= LIST_MAX) break;
      failures.push({ repositoryName: o.repositoryName, digest: f.digest, code: f.code, message: f.message });
    }
  }
  const finished = outcomes.map((o) => o.finishedAt).sort();

  return cleanupAlert({
    kind: 'summary',
    ...whereOf(where),
    consoleUrl: registryConsoleUrl(where.region),
    occurredAt: finished.at(-1) ?? run.startedAt,
    run: runOf(run),
    totals: {
      repositories: Math.max(run.repositoryCount, outcomes.length),
      reported: outcomes.length,
      cleaned: having('cleaned').length,
      dryRun: having('dry-run').length,
      noticed: noticed.length,
      skipped: having('skipped').length,
      refused: having('refused').length,
      failed: having('failed').length,
      imagesDeleted: sum(outcomes.map((o) => o.deletedCount)),
      imagesExpiring: sum(planned.map((o) => o.expiringCount)),
      imagesTransitioning: sum(planned.map((o) => o.transitioningCount)),
      imageFailures: sum(outcomes.map((o) => o.failures.length)),
      bytesReclaimed: sum(planned.map((o) => o.bytesReclaimed)),
      monthlySavingsUsd: sumUsd(planned.map((o) => o.monthlySavingsUsd)),
      imagesNoticed: sum(noticed.map((o) => o.expiringCount)),
      bytesNoticed: sum(noticed.map((o) => o.bytesReclaimed)),
    },
    topRepositories: top,
    failures,
    refusals: reasonsOf(having('refused')),
    skips: reasonsOf(having('skipped')),
    errors: reasonsOf(having('failed')),
  });
}

/** What a notice announces: a run's repositories with something to delete on a later day. */
export interface CleanupNoticeInput {
  readonly run: CleanupRun;
  /** The UTC day (YYYY-MM-DD) the images will be deleted. */
  readonly deleteOn: string;
  /**
   * The repositories: their plans (which name the images, so the notice lists the largest) or their recorded
   * `noticed` outcomes (counts only). Plans that are not `planned` and outcomes that are not `noticed` are left
   * out: a refused or skipped repository deletes nothing.
   */
  readonly repositories: readonly (RepositoryPlan | RepositoryOutcome)[];
  /** When the notice is sent. */
  readonly at: Date;
}

/**
 * The advance notice of a run (cleanup.noticeDays > 0): "N images / X GiB in R repositories will be deleted on
 * DATE", the repositories by bytes and the largest images with their tags.
 */
export function cleanupNoticeAlert(input: CleanupNoticeInput, where: CleanupAlertWhere): CleanupNoticeAlert {
  const repositories: CleanupNoticeAlert['repositories'] = [];
  const images: CleanupNoticeImage[] = [];
  const savings: number[] = [];
  for (const r of input.repositories) {
    if ('expiring' in r) {
      if (r.status !== 'planned' || r.expiring.length === 0) continue;
      repositories.push({
        repositoryName: r.repositoryName,
        images: r.expiring.length,
        bytes: r.bytesReclaimed,
      });
      savings.push(r.monthlySavingsUsd);
      for (const image of r.expiring.images) {
        images.push({
          repositoryName: r.repositoryName,
          digest: image.digest,
          tags: image.tags.slice(0, FULL_CLEANUP_LIMITS.tags),
          tagCount: image.tags.length,
          sizeBytes: image.sizeBytes,
          pushedAt: new Date(image.pushedAt).toISOString(),
        });
      }
    } else {
      if (r.status !== 'noticed' || r.expiringCount === 0) continue;
      repositories.push({
        repositoryName: r.repositoryName,
        images: r.expiringCount,
        bytes: r.bytesReclaimed,
      });
      savings.push(r.monthlySavingsUsd);
    }
  }
  repositories.sort((a, b) => b.bytes - a.bytes || b.images - a.images || byName(a, b));
  images.sort((a, b) => b.sizeBytes - a.sizeBytes || byName(a, b) || (a.digest < b.digest ? -1 : 1));

  return cleanupAlert({
    kind: 'notice',
    ...whereOf(where),
    consoleUrl: registryConsoleUrl(where.region),
    occurredAt: input.at.toISOString(),
    run: runOf(input.run),
    deleteOn: input.deleteOn,
    totals: {
      repositories: repositories.length,
      images: sum(repositories.map((r) => r.images)),
      bytes: sum(repositories.map((r) => r.bytes)),
      monthlySavingsUsd: sumUsd(savings),
    },
    repositories: repositories.slice(0, LIST_MAX),
    topImages: images.slice(0, LIST_MAX),
  });
}

/**
 * One repository refused by the deletion cap (nothing of it was deleted), from its plan (the CLI, the worker) or
 * its recorded outcome, with the cap's reason. `run` is absent when the CLI refuses before starting one.
 */
export function cleanupRefusedAlert(
  refusal: RepositoryPlan | RepositoryOutcome,
  where: CleanupAlertWhere,
  context: { readonly run?: CleanupRun; readonly at: Date },
): CleanupRefusedAlert {
  return cleanupAlert({
    kind: 'refused',
    ...whereOf(where),
    consoleUrl: repositoryConsoleUrl(where, refusal.repositoryName),
    occurredAt: context.at.toISOString(),
    ...(context.run === undefined ? {} : { run: runOf(context.run) }),
    repositoryName: refusal.repositoryName,
    reason: refusal.reason ?? 'over the deletion cap (cleanup.maxDeletions)',
    imageCount: refusal.imageCount,
    expiringCount: 'expiring' in refusal ? refusal.expiring.length : refusal.expiringCount,
    bytes: refusal.bytesReclaimed,
    monthlySavingsUsd: refusal.monthlySavingsUsd,
  });
}
