import { wildcardToRegExp } from '../../shared/wildcard.ts';
import type { ImageUse, RepositoryImage, SignalDoubt } from './images.ts';
import { evaluatePositions, type LifecycleDecision, positionsOf, pushTimeOf } from './lifecycle-evaluate.ts';
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

/**
 * Reasons the configured protections and signals give for each image, by position. `positionOf` holds (at
 * least) the digests the uses name.
 */
function protectionReasons(
  input: RepositoryPlanInput,
  push: Float64Array,
  positionOf: ReadonlyMap<string, number>,
): Map<number, string[]> {
  const { images } = input;
  const reasons = new Map<number, string[]>();
  const add = (i: number, reason: string) => {
    const list = reasons.get(i);
    if (list === undefined) reasons.set(i, [reason]);
    else if (!list.includes(reason)) list.push(reason);
  };
  // A use of another account's repository of the same name (registryId set) protects nothing here.
  const uses = input.uses.filter(
    (u) => u.repositoryName === input.repositoryName && u.registryId === undefined,
  );
  const usedTags = new Set(
    uses.flatMap((u) => (u.digest === undefined && u.tag !== undefined ? [u.tag] : [])),
  );
  /** The image that carries each used tag (the last listed, should two claim it). */
  const byTag = new Map<string, number>();
  if (usedTags.size > 0)
    for (let i = 0; i < images.length; i++)
      for (const tag of (images[i] as RepositoryImage).tags) if (usedTags.has(tag)) byTag.set(tag, i);
  for (const use of uses) {
    const i = use.digest !== undefined ? positionOf.get(use.digest) : byTag.get(use.tag as string);
    if (i !== undefined) add(i, use.reason);
  }
  const now = input.now.getTime();
  const { minAgeDays, keepTagPatterns } = input.protect;
  const young = `younger than ${minAgeDays} days (minAgeDays)`;
  const keepers = keepTagPatterns.map((pattern) => ({ pattern, re: wildcardToRegExp(pattern) }));
  // An index whose manifest wasn't read (a snapshot; an archived index) may hold any untagged image.
  const childrenUnknown =
    input.indexChildrenUnknown === true || images.some((i) => isIndex(i) && i.references === undefined);
  for (let i = 0; i < images.length; i++) {
    const image = images[i] as RepositoryImage;
    if (minAgeDays > 0 && now - (push[i] as number) < minAgeDays * DAY_MS) add(i, young);
    if (keepers.length > 0)
      for (const tag of image.tags) {
        const keeper = keepers.find(({ re }) => re.test(tag));
        if (keeper !== undefined) add(i, `tag ${tag} matches keepTagPatterns ${keeper.pattern}`);
      }
    if (childrenUnknown && image.tags.length === 0 && !isIndex(image) && image.subjectDigest === undefined)
      add(i, 'may be an index child: what an index here references is unknown (snapshot, archived index)');
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

/** `takenType` values. */
const NONE = 0;
const EXPIRE = 1;
const TRANSITION = 2;

/**
 * Builds the plan of one repository. Sized for repositories of 100,000+ images: the bookkeeping is by position
 * in `input.images` (typed arrays), not by digest, and only the digests something refers to (index children,
 * referrers' subjects, uses) are looked up. Digests are unique within a repository's listing.
 */
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

  const { images } = input;
  const n = images.length;
  const referred: string[] = [];
  for (const image of images) {
    if (image.references !== undefined) for (const child of image.references) referred.push(child);
    if (image.subjectDigest !== undefined) referred.push(image.subjectDigest);
  }
  for (const use of input.uses) if (use.digest !== undefined) referred.push(use.digest);
  const positionOf = positionsOf(images, referred);
  const evaluation = evaluatePositions(input.policy, images, input.now, positionOf);
  const { push, parents } = evaluation;

  /** What is taken (NONE, EXPIRE, TRANSITION), by which rule, in which order; a referrer's note. */
  const takenType = new Uint8Array(n);
  const takenRule = new Int32Array(n);
  const takenOrder: number[] = [];
  const notes = new Map<number, string>();
  const kept = new Map<number, { rulePriority: number; reasons: string[] }>();
  const isKept = new Uint8Array(n);
  const keep = (i: number, rulePriority: number, reason: string) => {
    const entry = kept.get(i);
    isKept[i] = 1;
    if (entry === undefined) kept.set(i, { rulePriority, reasons: [reason] });
    else if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
  };
  for (let i = 0; i < n; i++) {
    const r = evaluation.takenBy[i] as number;
    if (r !== -1) {
      const decision = evaluation.decisions[r] as LifecycleDecision;
      takenType[i] = decision.action.type === 'expire' ? EXPIRE : TRANSITION;
      takenRule[i] = decision.rulePriority;
      takenOrder.push(i);
    } else {
      const heldBy = evaluation.held.get(i);
      if (heldBy !== undefined)
        keep(i, heldBy.rulePriority, `child of kept index ${heldBy.indexDigests.join(', ')}`);
    }
  }

  const reasons = protectionReasons(input, push, positionOf);
  for (const [i, list] of reasons) {
    if (takenType[i] === NONE) continue;
    takenType[i] = NONE;
    for (const reason of list) keep(i, takenRule[i] as number, reason);
  }

  // Structure, until stable. Each pass moves images from taken to kept, or adds to taken a referrer that was
  // never kept; an image never leaves kept, so each is added at most once and the loop ends.
  const subjectOf = new Map<number, number>();
  const referrers = new Map<number, number[]>();
  const structural = new Uint8Array(n);
  for (const i of parents.keys()) structural[i] = 1;
  for (let i = 0; i < n; i++) {
    const subject = (images[i] as RepositoryImage).subjectDigest;
    const s = subject === undefined ? undefined : positionOf.get(subject);
    if (s === undefined) continue;
    subjectOf.set(i, s);
    structural[i] = 1;
    const list = referrers.get(s);
    if (list === undefined) referrers.set(s, [i]);
    else list.push(i);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const i of takenOrder) {
      const type = takenType[i] as number;
      if (type === NONE || structural[i] === 0) continue;
      const keptIndexes = (parents.get(i) ?? []).filter((index) => {
        const indexType = takenType[index] as number;
        if (type === EXPIRE) return indexType !== EXPIRE;
        return indexType === NONE && (images[index] as RepositoryImage).storageClass !== 'archive';
      });
      const s = subjectOf.get(i);
      const subjectKept = s !== undefined && takenType[s] === NONE;
      if (keptIndexes.length > 0 || subjectKept) {
        takenType[i] = NONE;
        const rule = takenRule[i] as number;
        for (const index of keptIndexes)
          keep(i, rule, `child of kept index ${(images[index] as RepositoryImage).digest}`);
        if (subjectKept) keep(i, rule, `referrer of kept image ${(images[s] as RepositoryImage).digest}`);
        changed = true;
      }
    }
    for (let k = 0, end = takenOrder.length; k < end; k++) {
      const i = takenOrder[k] as number;
      const type = takenType[i] as number;
      if (type === NONE) continue;
      for (const referrer of referrers.get(i) ?? []) {
        // Kept (protected, or held for structure) referrers stay; each joins the taken at most once.
        if (takenType[referrer] !== NONE || isKept[referrer] === 1 || reasons.has(referrer)) continue;
        if (type === TRANSITION && (images[referrer] as RepositoryImage).storageClass === 'archive') continue;
        takenType[referrer] = type;
        takenRule[referrer] = takenRule[i] as number;
        notes.set(
          referrer,
          `referrer of ${(images[i] as RepositoryImage).digest} (${type === EXPIRE ? 'expiring' : 'archiving'})`,
        );
        takenOrder.push(referrer);
        changed = true;
      }
    }
  }

  const planned = (i: number): PlannedImage => {
    const image = images[i] as RepositoryImage;
    const action: PlannedImage['action'] =
      takenType[i] === EXPIRE ? { type: 'EXPIRE' } : { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' };
    const appliedRulePriority = takenRule[i] as number;
    // No spread of an optional key: this runs for every image taken.
    const note = notes.size === 0 ? undefined : notes.get(i);
    return note === undefined
      ? { image, action, appliedRulePriority }
      : { image, action, appliedRulePriority, note };
  };
  const expiringPositions = takenOrder.filter((i) => takenType[i] === EXPIRE);
  const expiring = orderDeletions(expiringPositions, images, positionOf, evaluation.oldestFirst).map(planned);
  const transitioning: PlannedImage[] = [];
  const protectedImages: ProtectedImage[] = [];
  let bytesTransitioned = 0;
  for (let i = 0; i < n; i++) {
    if (takenType[i] === TRANSITION) {
      transitioning.push(planned(i));
      bytesTransitioned += (images[i] as RepositoryImage).sizeBytes;
    }
    const entry = isKept[i] === 1 ? kept.get(i) : undefined;
    if (entry !== undefined)
      protectedImages.push({
        image: images[i] as RepositoryImage,
        appliedRulePriority: entry.rulePriority,
        reasons: entry.reasons,
      });
  }
  let bytesReclaimed = 0;
  for (const p of expiring) bytesReclaimed += p.image.sizeBytes;
  const plan: RepositoryPlan = {
    repositoryName: input.repositoryName,
    status: 'planned',
    imageCount: n,
    expiring,
    transitioning,
    protected: protectedImages,
    keptCount: n - expiring.length - transitioning.length - protectedImages.length,
    bytesReclaimed,
    bytesTransitioned,
    monthlySavingsUsd: monthlyCostUsd(bytesReclaimed, input.pricePerGbMonth),
  };
  const refusal = capRefusal(expiring.length, n, input.maxDeletions);
  return refusal === undefined ? plan : { ...plan, status: 'refused', reason: refusal };
}

/** {@link deletionOrder} by position, walking the evaluation's oldest-first order instead of sorting again. */
function orderDeletions(
  positions: readonly number[],
  images: readonly RepositoryImage[],
  positionOf: ReadonlyMap<string, number>,
  oldestFirst: () => Uint32Array,
): number[] {
  if (positions.length === 0) return [];
  const inSet = new Uint8Array(images.length);
  for (const i of positions) inSet[i] = 1;
  /** Images (in the set) that must go before the key. */
  const before = new Map<number, number[]>();
  const mustPrecede = (target: string, i: number) => {
    const t = positionOf.get(target);
    if (t === undefined || inSet[t] === 0) return;
    const list = before.get(t);
    if (list === undefined) before.set(t, [i]);
    else list.push(i);
  };
  // Built in the sorted order, so the result never depends on the input's order.
  const sorted = oldestFirst();
  for (const i of sorted) {
    if (inSet[i] === 0) continue;
    const image = images[i] as RepositoryImage;
    if (image.references !== undefined) for (const child of image.references) mustPrecede(child, i);
    if (image.subjectDigest !== undefined) mustPrecede(image.subjectDigest, i);
  }
  const out: number[] = [];
  const state = new Uint8Array(images.length); // 0 new, 1 visiting, 2 done
  const visit = (i: number) => {
    if (state[i] !== 0) return; // done, or a cycle (impossible with content addressing)
    state[i] = 1;
    for (const first of before.get(i) ?? []) visit(first);
    state[i] = 2;
    out.push(i);
  };
  for (const i of sorted) if (inSet[i] === 1) visit(i);
  return out;
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
