import { evaluateLifecyclePolicy } from '../../cleanup/domain/lifecycle-evaluate.ts';
import { parseLifecyclePolicy } from '../../cleanup/domain/lifecycle-policy.ts';
import { archiveImage, settleRestores } from './archive.ts';
import type { EcrContext } from './context.ts';
import { deleteImages } from './images.ts';
import { lifecycleImagesOf } from './lifecycle.ts';
import type { ImageRecord, RepositoryRecord } from './state.ts';

/** What one lifecycle run did to one repository: digests expired (deleted) and transitioned (archived). */
export interface LifecycleRunOutcome {
  repositoryName: string;
  expired: string[];
  transitioned: string[];
}

/**
 * Apply a repository's lifecycle policy now, the way ECR's own (daily, "within 24 hours") run does, with the
 * product's engine (evaluateLifecyclePolicy) and the sandbox clock as `now`:
 * - expired images are deleted through BatchDeleteImage's code path, so each emits the same `ECR Image Action`
 *   DELETE events (indexes first, so the children they free can go in the same run);
 * - transitioned images are archived, each with its UPDATE_STORAGE_CLASS event;
 * - referrers follow their subject ("lifecycle policies automatically expire or archive those artifacts within
 *   24 hours of the deletion or archival of the subject image"): a referrer whose subject is gone is deleted, one
 *   whose subject is archived is archived, repeated so referrers of referrers follow too;
 * - `lastEvaluatedAt` (GetLifecyclePolicy) becomes now.
 *
 * Inferred where AWS is silent: whether a lifecycle expiry emits `ECR Image Action` DELETE is not documented
 * (ECR records lifecycle actions in CloudTrail as PolicyExecutionEvent); the sandbox emits it so event-driven code
 * sees lifecycle deletions as it sees any other. A stored policy the engine no longer accepts changes nothing.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
 */
export function runLifecyclePolicy(ecr: EcrContext, repo: RepositoryRecord): LifecycleRunOutcome {
  const outcome: LifecycleRunOutcome = { repositoryName: repo.name, expired: [], transitioned: [] };
  const stored = repo.lifecyclePolicy;
  if (!stored) return outcome;
  const now = ecr.options.clock.now();
  settleRestores(repo, now.getTime());
  const parsed = parseLifecyclePolicy(stored.text);
  if (parsed.ok) {
    const images = lifecycleImagesOf(ecr.state, repo);
    const evaluation = evaluateLifecyclePolicy(
      parsed.policy,
      images.map(({ image }) => image),
      now,
    );
    const records = new Map(images.map(({ record }) => [record.digest, record]));
    const expiring = evaluation.expired
      .map((digest) => records.get(digest))
      .filter((record): record is ImageRecord => record !== undefined)
      // An index before the manifests it lists: deleting it first is what lets them go (referencedBy).
      .sort((a, b) => Number(b.children.length > 0) - Number(a.children.length > 0));
    outcome.expired.push(...expire(ecr, repo, expiring));
    for (const digest of evaluation.transitioned) {
      const record = records.get(digest);
      if (record && archiveImage(ecr, repo, record)) outcome.transitioned.push(digest);
    }
  }
  followSubjects(ecr, repo, outcome);
  stored.lastEvaluatedAt = now.getTime();
  ecr.changed();
  return outcome;
}

/** Delete images by digest; returns the digests actually deleted. */
function expire(ecr: EcrContext, repo: RepositoryRecord, images: readonly ImageRecord[]): string[] {
  if (images.length === 0) return [];
  const result = deleteImages(
    ecr,
    repo,
    images.map((image) => ({ imageDigest: image.digest })),
  );
  return [...new Set((result.imageIds ?? []).map((id) => id.imageDigest as string))];
}

/** Referrers go where their subject went: deleted with it, archived with it. */
function followSubjects(ecr: EcrContext, repo: RepositoryRecord, outcome: LifecycleRunOutcome): void {
  for (;;) {
    const orphans: ImageRecord[] = [];
    const toArchive: ImageRecord[] = [];
    for (const [subject, referrers] of repo.referrers) {
      const status = repo.images.get(subject)?.imageStatus;
      if (status === undefined) orphans.push(...referrers);
      else if (status === 'ARCHIVED') toArchive.push(...referrers.filter((r) => r.imageStatus === 'ACTIVE'));
    }
    const deleted = expire(ecr, repo, orphans);
    outcome.expired.push(...deleted);
    let archived = 0;
    for (const referrer of toArchive) {
      if (archiveImage(ecr, repo, referrer)) {
        outcome.transitioned.push(referrer.digest);
        archived++;
      }
    }
    // Stop when a pass changes nothing (a referrer that can't be deleted must not loop forever).
    if (deleted.length === 0 && archived === 0) return;
  }
}
