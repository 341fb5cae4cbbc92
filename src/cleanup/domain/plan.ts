import { wildcardMatch } from '../../shared/wildcard.ts';
import type { ImageUse, RepositoryImage, SignalDoubt } from './images.ts';
import { evaluateLifecyclePolicy, pushTimeOf } from './lifecycle-evaluate.ts';
import type { LifecyclePolicy } from './lifecycle-policy.ts';

/**
 * A repository's cleanup plan (pure; `now` is an argument): what ECR's lifecycle policy would take, minus what
 * ecr-sentinel protects, plus the referrers that go with their subject, checked against the deletion cap.
 *
 * Order of reasoning:
 * 1. a signal that could not be read for this repository skips it whole: never clean on doubt;
 * 2. the lifecycle engine decides per image (ECR's semantics, index children held by kept indexes);
 * 3. protections keep images the policy would take: in use, promoted, young, a kept tag, and, when a
 *    snapshot doesn't say what its indexes contain, every untagged image that could be an index's child;
 * 4. structure, repeated until stable: a kept index keeps its children, a kept subject keeps its referrers,
 *    and a referrer whose subject goes goes with it (ECR does the same within 24 hours);
 * 5. the cap: more deletions than `maxDeletions` allows refuses the repository (nothing is deleted) and says so.
 */

const DAY_MS = 86_400_000;
/** AWS bills storage per GB-month with GB = 2^30 bytes. */
const BYTES_PER_GB = 1024 ** 3;

/** What a plan does to an image, in GetLifecyclePolicyPreview's words. */
export type PlanActionType = 'EXPIRE' | 'TRANSITION';

export interface PlannedImage {
  readonly image: RepositoryImage;
  readonly action: { readonly type: PlanActionType; readonly targetStorageClass?: 'ARCHIVE' };
  /** The rule that takes the image (for a referrer taken with its subject: the subject's rule). */
  readonly appliedRulePriority: number;
  /** Why an image the policy didn't select goes anyway, e.g. `referrer of sha256:… (expiring)`. */
  readonly note?: string;
}

export interface ProtectedImage {
  readonly image: RepositoryImage;
  /** The rule that would have taken the image. */
  readonly appliedRulePriority: number;
  /** Every reason it is kept, e.g. `in use: ECS task … runs it`, `younger than 7 days`. */
  readonly reasons: readonly string[];
}

export type RepositoryPlanStatus = 'planned' | 'skipped' | 'refused';

export interface RepositoryPlan {
  readonly repositoryName: string;
  /** `skipped`: a signal couldn't be read; `refused`: over the deletion cap. Neither deletes anything. */
  readonly status: RepositoryPlanStatus;
  /** Why a repository is skipped or refused. */
  readonly reason?: string;
  readonly imageCount: number;
  /** In deletion order: referrers and indexes before what they point to. */
  readonly expiring: readonly PlannedImage[];
  readonly transitioning: readonly PlannedImage[];
  readonly protected: readonly ProtectedImage[];
  /** Images neither taken nor protected. */
  readonly keptCount: number;
  /** Sum of `imageSizeInBytes` of the expiring images (layers shared with kept images are counted too). */
  readonly bytesReclaimed: number;
  readonly bytesTransitioned: number;
  readonly monthlySavingsUsd: number;
}

export interface RepositoryPlanInput {
  readonly repositoryName: string;
  readonly images: readonly RepositoryImage[];
  readonly policy: LifecyclePolicy;
  readonly protect: { readonly minAgeDays: number; readonly keepTagPatterns: readonly string[] };
  /** Uses of images of this repository (other repositories' uses are ignored). */
  readonly uses: readonly ImageUse[];
  /** Doubts that apply to this repository (a doubt without repositoryName applies to all). */
  readonly doubts: readonly SignalDoubt[];
  /**
   * True when the images come from a snapshot whose indexes' children are unknown. An index without
   * `references` (its manifest not read) counts the same.
   */
  readonly indexChildrenUnknown?: boolean;
  readonly maxDeletions: { readonly images: number; readonly percent: number };
  readonly pricePerGbMonth: number;
  readonly now: Date;
}

/** The monthly cost of `bytes` at `pricePerGbMonth`, in USD rounded to the cent. */
export function monthlyCostUsd(bytes: number, pricePerGbMonth: number): number {
  return Math.round((bytes / BYTES_PER_GB) * pricePerGbMonth * 100) / 100;
}

/** A plan that does nothing to a repository, and says why (`skipped` or `refused`). */
export function skippedPlan(
  repositoryName: string,
  imageCount: number,
  reason: string,
  status: Exclude<RepositoryPlanStatus, 'planned'> = 'skipped',
): RepositoryPlan {
  return {
    repositoryName,
    status,
    reason,
    imageCount,
    expiring: [],
    transitioning: [],
    protected: [],
    keptCount: imageCount,
    bytesReclaimed: 0,
    bytesTransitioned: 0,
    monthlySavingsUsd: 0,
  };
}

/** Reasons the configured protections and signals give for each image, by digest. */
function protectionReasons(input: RepositoryPlanInput): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (digest: string, reason: string) => {
    const list = reasons.get(digest);
    if (list === undefined) reasons.set(digest, [reason]);
    else if (!list.includes(reason)) list.push(reason);
  };
  const byTag = new Map<string, string>();
  for (const image of input.images) for (const tag of image.tags) byTag.set(tag, image.digest);
  const digests = new Set(input.images.map((i) => i.digest));
  for (const use of input.uses) {
    // A use of another account's repository of the same name (registryId set) protects nothing here.
    if (use.repositoryName !== input.repositoryName || use.registryId !== undefined) continue;
    const digest = use.digest ?? (use.tag === undefined ? undefined : byTag.get(use.tag));
    if (digest !== undefined && digests.has(digest)) add(digest, use.reason);
  }
  const now = input.now.getTime();
  const { minAgeDays, keepTagPatterns } = input.protect;
  // An index whose manifest wasn't read (a snapshot; an archived index) may hold any untagged image.
  const childrenUnknown =
    input.indexChildrenUnknown === true || input.images.some((i) => isIndex(i) && i.references === undefined);
  for (const image of input.images) {
    if (minAgeDays > 0 && now - pushTimeOf(image) < minAgeDays * DAY_MS)
      add(image.digest, `younger than ${minAgeDays} days (minAgeDays)`);
    for (const tag of image.tags) {
      const pattern = keepTagPatterns.find((p) => wildcardMatch(p, tag));
      if (pattern !== undefined) add(image.digest, `tag ${tag} matches keepTagPatterns ${pattern}`);
    }
    if (childrenUnknown && image.tags.length === 0 && !isIndex(image) && image.subjectDigest === undefined)
      add(
        image.digest,
        'may be an index child: what an index here references is unknown (snapshot, archived index)',
      );
  }
  return reasons;
}

const INDEX_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

function isIndex(image: RepositoryImage): boolean {
  return image.manifestMediaType !== undefined && INDEX_MEDIA_TYPES.has(image.manifestMediaType);
}

interface Taking {
  type: PlanActionType;
  rulePriority: number;
  note?: string;
}

/** Builds the plan of one repository. */
export function planRepository(input: RepositoryPlanInput): RepositoryPlan {
  const doubts = input.doubts.filter(
    (d) => d.repositoryName === undefined || d.repositoryName === input.repositoryName,
  );
  if (doubts.length > 0) {
    return skippedPlan(
      input.repositoryName,
      input.images.length,
      `not cleaned on doubt: ${doubts.map((d) => `${d.signal}: ${d.reason}`).join('; ')}`,
    );
  }

  const byDigest = new Map(input.images.map((i) => [i.digest, i]));
  const evaluation = evaluateLifecyclePolicy(input.policy, input.images, input.now);
  const taken = new Map<string, Taking>();
  const kept = new Map<string, { rulePriority: number; reasons: string[] }>();
  const keep = (digest: string, rulePriority: number, reason: string) => {
    const entry = kept.get(digest);
    if (entry === undefined) kept.set(digest, { rulePriority, reasons: [reason] });
    else if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
  };
  for (const result of evaluation.images) {
    if (result.decision !== null) {
      taken.set(result.digest, {
        type: result.decision.action.type === 'expire' ? 'EXPIRE' : 'TRANSITION',
        rulePriority: result.decision.rulePriority,
      });
    } else if (result.heldBy !== undefined) {
      keep(
        result.digest,
        result.heldBy.rulePriority,
        `child of kept index ${result.heldBy.indexDigests.join(', ')}`,
      );
    }
  }

  const reasons = protectionReasons(input);
  for (const [digest, list] of reasons) {
    const taking = taken.get(digest);
    if (taking === undefined) continue;
    taken.delete(digest);
    for (const reason of list) keep(digest, taking.rulePriority, reason);
  }

  // Structure, until stable. Each pass moves images from taken to kept, or adds to taken a referrer that was
  // never kept; an image never leaves kept, so each is added at most once and the loop ends.
  const parents = new Map<string, RepositoryImage[]>();
  const referrers = new Map<string, RepositoryImage[]>();
  for (const image of input.images) {
    for (const child of image.references ?? []) push(parents, child, image);
    if (image.subjectDigest !== undefined) push(referrers, image.subjectDigest, image);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const [digest, taking] of [...taken]) {
      const image = byDigest.get(digest);
      if (image === undefined) continue;
      const keptIndexes = (parents.get(digest) ?? []).filter((index) => {
        const indexTaking = taken.get(index.digest);
        if (taking.type === 'EXPIRE') return indexTaking?.type !== 'EXPIRE';
        return indexTaking === undefined && index.storageClass !== 'archive';
      });
      const subject = image.subjectDigest === undefined ? undefined : byDigest.get(image.subjectDigest);
      const subjectKept = subject !== undefined && !taken.has(subject.digest);
      if (keptIndexes.length > 0 || subjectKept) {
        taken.delete(digest);
        for (const index of keptIndexes)
          keep(digest, taking.rulePriority, `child of kept index ${index.digest}`);
        if (subjectKept) keep(digest, taking.rulePriority, `referrer of kept image ${subject.digest}`);
        changed = true;
      }
    }
    for (const [digest, taking] of [...taken]) {
      for (const referrer of referrers.get(digest) ?? []) {
        // Kept (protected, or held for structure) referrers stay; each digest joins `taken` at most once.
        if (taken.has(referrer.digest) || kept.has(referrer.digest) || reasons.has(referrer.digest)) continue;
        if (taking.type === 'TRANSITION' && referrer.storageClass === 'archive') continue;
        taken.set(referrer.digest, {
          type: taking.type,
          rulePriority: taking.rulePriority,
          note: `referrer of ${digest} (${taking.type === 'EXPIRE' ? 'expiring' : 'archiving'})`,
        });
        changed = true;
      }
    }
  }

  const planned = (digest: string, taking: Taking): PlannedImage => ({
    image: byDigest.get(digest) as RepositoryImage,
    action:
      taking.type === 'EXPIRE' ? { type: 'EXPIRE' } : { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' },
    appliedRulePriority: taking.rulePriority,
    ...(taking.note === undefined ? {} : { note: taking.note }),
  });
  const expiringDigests = [...taken].filter(([, t]) => t.type === 'EXPIRE').map(([d]) => d);
  const expiring = deletionOrder(expiringDigests, byDigest).map((d) => planned(d, taken.get(d) as Taking));
  const transitioning = input.images
    .filter((i) => taken.get(i.digest)?.type === 'TRANSITION')
    .map((i) => planned(i.digest, taken.get(i.digest) as Taking));
  const protectedImages: ProtectedImage[] = input.images
    .filter((i) => kept.has(i.digest))
    .map((i) => {
      const entry = kept.get(i.digest) as { rulePriority: number; reasons: string[] };
      return { image: i, appliedRulePriority: entry.rulePriority, reasons: entry.reasons };
    });
  const bytesReclaimed = sum(expiring.map((p) => p.image.sizeBytes));
  const plan: RepositoryPlan = {
    repositoryName: input.repositoryName,
    status: 'planned',
    imageCount: input.images.length,
    expiring,
    transitioning,
    protected: protectedImages,
    keptCount: input.images.length - expiring.length - transitioning.length - protectedImages.length,
    bytesReclaimed,
    bytesTransitioned: sum(transitioning.map((p) => p.image.sizeBytes)),
    monthlySavingsUsd: monthlyCostUsd(bytesReclaimed, input.pricePerGbMonth),
  };
  const refusal = capRefusal(expiring.length, input.images.length, input.maxDeletions);
  return refusal === undefined ? plan : { ...plan, status: 'refused', reason: refusal };
}

/** Why a run over the cap is refused, or undefined when within it. */
export function capRefusal(
  deletions: number,
  imageCount: number,
  cap: { readonly images: number; readonly percent: number },
): string | undefined {
  if (deletions === 0) return undefined;
  const percent = (deletions / imageCount) * 100;
  if (deletions > cap.images)
    return `would delete ${deletions} of ${imageCount} images, over the cap of ${cap.images} per run (maxDeletions.images)`;
  if (percent > cap.percent)
    return `would delete ${deletions} of ${imageCount} images (${Math.round(percent)}%), over the cap of ${cap.percent}% (maxDeletions.percent)`;
  return undefined;
}

/**
 * Orders deletions so nothing is deleted while something deleted later still points to it: referrers before
 * their subject, indexes before their children (BatchDeleteImage refuses a child while its index exists).
 * Otherwise oldest first, as ECR expires.
 */
export function deletionOrder(
  digests: readonly string[],
  byDigest: ReadonlyMap<string, RepositoryImage>,
): string[] {
  const set = new Set(digests);
  const sorted = [...digests].sort((a, b) => {
    const ia = byDigest.get(a);
    const ib = byDigest.get(b);
    const ta = ia === undefined ? 0 : pushTimeOf(ia);
    const tb = ib === undefined ? 0 : pushTimeOf(ib);
    return ta - tb || (a < b ? -1 : a > b ? 1 : 0);
  });
  /** Images (in the set) that must go before the key, in the sorted order: the result never depends on input order. */
  const before = new Map<string, string[]>();
  for (const digest of sorted) {
    const image = byDigest.get(digest);
    if (image === undefined) continue;
    for (const child of image.references ?? []) if (set.has(child)) push(before, child, digest);
    if (image.subjectDigest !== undefined && set.has(image.subjectDigest))
      push(before, image.subjectDigest, digest);
  }
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (digest: string) => {
    if (state.get(digest) !== undefined) return; // done, or a cycle (impossible with content addressing)
    state.set(digest, 'visiting');
    for (const first of before.get(digest) ?? []) visit(first);
    state.set(digest, 'done');
    out.push(digest);
  };
  for (const digest of sorted) visit(digest);
  return out;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
