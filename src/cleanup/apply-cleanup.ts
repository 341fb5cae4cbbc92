import type { RepositoryPlan } from './domain/plan.ts';
import type { CleanupRecords, ImageRemover, RemovedImageRecord, RepositoryOutcome } from './ports.ts';

export interface ApplyDeps {
  readonly remover: ImageRemover;
  /** Where runs and removed images are recorded; absent: nothing is recorded (a CLI run without a table). */
  readonly records?: Pick<CleanupRecords, 'recordRemoved'>;
}

export interface ApplyContext {
  readonly runId: string;
  /** Plan and record only. */
  readonly dryRun: boolean;
  readonly now: () => Date;
  /** Called after each batch of removals, for a progress bar: images tried so far in this repository. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Carries out one repository's plan: deletions in the plan's order (referrers and indexes before what they point
 * to), then transitions to archive; records each removed image, and returns the outcome (not yet recorded: the
 * caller records it, once, with {@link CleanupRecords.recordOutcome}). A skipped or refused plan removes nothing.
 */
export async function applyRepositoryPlan(
  deps: ApplyDeps,
  plan: RepositoryPlan,
  context: ApplyContext,
): Promise<RepositoryOutcome> {
  const base = {
    runId: context.runId,
    repositoryName: plan.repositoryName,
    imageCount: plan.imageCount,
    expiringCount: plan.expiring.length,
    transitioningCount: plan.transitioning.length,
    protectedCount: plan.protected.length,
    bytesReclaimed: plan.bytesReclaimed,
    monthlySavingsUsd: plan.monthlySavingsUsd,
  };
  if (plan.status !== 'planned') {
    return {
      ...base,
      status: plan.status,
      ...(plan.reason === undefined ? {} : { reason: plan.reason }),
      deletedCount: 0,
      bytesReclaimed: 0,
      monthlySavingsUsd: 0,
      failures: [],
      finishedAt: context.now().toISOString(),
    };
  }
  if (context.dryRun) {
    return {
      ...base,
      status: 'dry-run',
      deletedCount: 0,
      failures: [],
      finishedAt: context.now().toISOString(),
    };
  }

  const total = plan.expiring.length + plan.transitioning.length;
  const expired = await deps.remover.expire(
    plan.repositoryName,
    plan.expiring.digests(),
    context.onProgress ? (tried) => context.onProgress?.(tried, total) : undefined,
  );
  const archived =
    plan.transitioning.length === 0
      ? { done: [], failures: [] }
      : await deps.remover.archive(plan.repositoryName, plan.transitioning.digests());
  if (plan.transitioning.length > 0) context.onProgress?.(total, total);

  const removedAt = context.now().toISOString();
  const done = new Set([...expired.done, ...archived.done]);
  const records: RemovedImageRecord[] = [...plan.expiring, ...plan.transitioning]
    .filter((p) => done.has(p.image.digest))
    .map((p) => ({
      runId: context.runId,
      repositoryName: plan.repositoryName,
      digest: p.image.digest,
      tags: p.image.tags,
      sizeBytes: p.image.sizeBytes,
      action: p.action.type,
      rulePriority: p.appliedRulePriority,
      removedAt,
    }));
  if (deps.records && records.length > 0) await deps.records.recordRemoved(records);
  const deletedDone = new Set(expired.done);
  const bytesReclaimed = plan.expiring.images.reduce(
    (n, image) => (deletedDone.has(image.digest) ? n + image.sizeBytes : n),
    0,
  );
  const failures = [...expired.failures, ...archived.failures];
  return {
    ...base,
    status: 'cleaned',
    ...(failures.length > 0 ? { reason: `${failures.length} of ${total} images could not be removed` } : {}),
    deletedCount: expired.done.length,
    bytesReclaimed,
    monthlySavingsUsd:
      plan.bytesReclaimed === 0
        ? 0
        : Math.round(plan.monthlySavingsUsd * (bytesReclaimed / plan.bytesReclaimed) * 100) / 100,
    failures,
    finishedAt: removedAt,
  };
}
