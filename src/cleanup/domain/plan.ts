import { imageColumns, positionsIn } from './image-columns.ts';
import type { ImageUse, RepositoryImage, SignalDoubt } from './images.ts';
import { evaluatePositions } from './lifecycle-evaluate.ts';
import { policyFilters, wildcardTest } from './lifecycle-kernels.ts';
import type { LifecyclePolicy } from './lifecycle-policy.ts';
import {
  append,
  EXPIRE,
  expiringSet,
  NONE,
  type Outcome,
  orderDeletions,
  pick,
  plannedAt,
  positionsOfType,
  protectedOf,
  ReasonLists,
  TRANSITION,
  takenOf,
} from './plan-kernels.ts';
import { PlannedImages, ProtectedImages } from './planned-images.ts';
import { type Scratch, withScratch } from './scratch.ts';

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
const NO_POSITIONS: readonly number[] = [];
/** AWS bills storage per GB-month with GB = 2^30 bytes. */
const BYTES_PER_GB = 1024 ** 3;

export type { PlanActionType, PlannedImage, ProtectedImage } from './planned-images.ts';
export { PlannedImages, ProtectedImages };

export type RepositoryPlanStatus = 'planned' | 'skipped' | 'refused';

export interface RepositoryPlan {
  readonly repositoryName: string;
  /** `skipped`: a signal couldn't be read; `refused`: over the deletion cap. Neither deletes anything. */
  readonly status: RepositoryPlanStatus;
  /** Why a repository is skipped or refused. */
  readonly reason?: string;
  readonly imageCount: number;
  /** In deletion order: referrers and indexes before what they point to. */
  readonly expiring: PlannedImages;
  readonly transitioning: PlannedImages;
  readonly protected: ProtectedImages;
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
    expiring: PlannedImages.EMPTY,
    transitioning: PlannedImages.EMPTY,
    protected: ProtectedImages.EMPTY,
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
  uses: readonly ImageUse[],
  columns: {
    tags: readonly (readonly string[])[];
    plain: Uint8Array;
    byTag: ReadonlyMap<string, number>;
    tagKeeps: ReadonlyMap<number, readonly string[]>;
    childrenUnknown: boolean;
  },
  push: Float64Array,
  positionOf: ReadonlyMap<string, number>,
  reasons: ReasonLists,
): void {
  const { tags: tagsOf, plain, byTag } = columns;
  const add = (i: number, reason: string) => reasons.add(i, reason);
  for (const use of uses) {
    const i = use.digest !== undefined ? positionOf.get(use.digest) : byTag.get(use.tag as string);
    if (i !== undefined) add(i, use.reason);
  }
  const now = input.now.getTime();
  const { minAgeDays } = input.protect;
  const young = `younger than ${minAgeDays} days (minAgeDays)`;
  const youngMs = minAgeDays * DAY_MS;
  const childrenUnknown = columns.childrenUnknown;
  const { tagKeeps } = columns;
  for (let i = 0; i < plain.length; i++) {
    if (minAgeDays > 0 && now - (push[i] as number) < youngMs) add(i, young);
    const keeps = tagKeeps.size > 0 ? tagKeeps.get(i) : undefined;
    if (keeps !== undefined) for (let k = 0; k < keeps.length; k++) add(i, keeps[k] as string);
    const tags = tagsOf[i] as readonly string[];
    if (childrenUnknown && tags.length === 0 && plain[i] === 1)
      add(i, 'may be an index child: what an index here references is unknown (snapshot, archived index)');
  }
}

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
  return withScratch((scratch) => planPositions(input, scratch));
}

/** {@link planRepository} once nothing skips the repository; its working arrays come from `scratch`. */
function planPositions(input: RepositoryPlanInput, scratch: Scratch): RepositoryPlan {
  const { images } = input;
  const n = images.length;
  // A use of another account's repository of the same name (registryId set) protects nothing here.
  const uses = input.uses.filter(
    (u) => u.repositoryName === input.repositoryName && u.registryId === undefined,
  );
  const usedTags = new Set(
    uses.flatMap((u) => (u.digest === undefined && u.tag !== undefined ? [u.tag] : [])),
  );
  // One pass over the images for everything the engine and the plan read of them, and one over their tags for
  // every tag test (see image-columns.ts).
  const rules = [...input.policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const columns = imageColumns(
    images,
    {
      policy: input.policy,
      filters: policyFilters(rules).filters,
      keepers: input.protect.keepTagPatterns.map((pattern) => ({ pattern, test: wildcardTest(pattern) })),
      wanted: usedTags,
    },
    scratch,
  );
  const { tags: tagsOf, plain, sizes } = columns;
  const childrenUnknown = input.indexChildrenUnknown === true || columns.indexWithoutReferences;
  // Indexed loops from here on: over thousands of indexes and referrers, an iterator per step is garbage.
  const { referencing, referrers: referrerPositions } = columns;
  const referred: string[] = [];
  for (let k = 0; k < referencing.length; k++) {
    const refs = (images[referencing[k] as number] as RepositoryImage).references ?? [];
    for (let c = 0; c < refs.length; c++) referred.push(refs[c] as string);
  }
  for (let k = 0; k < referrerPositions.length; k++)
    referred.push((images[referrerPositions[k] as number] as RepositoryImage).subjectDigest as string);
  const { byTag } = columns;
  for (const use of input.uses) if (use.digest !== undefined) referred.push(use.digest);
  const positionOf = positionsIn(columns.digests, referred);
  const evaluation = evaluatePositions(input.policy, images, input.now, positionOf, columns, scratch);
  const { push, parents, takenBy, decisions, held } = evaluation;
  /** What is taken (NONE, EXPIRE, TRANSITION), by which rule, in which order; a referrer's note. */
  const decisionType = Uint8Array.from(decisions, (d) => (d.action.type === 'expire' ? EXPIRE : TRANSITION));
  const decisionRule = Int32Array.from(decisions, (d) => d.rulePriority);
  const {
    takenType,
    takenRule,
    positions: takenPositions,
    count,
  } = takenOf(takenBy, decisionType, decisionRule, scratch);
  let taken = count;
  const notes = new Map<number, string>();
  const noted = scratch.u8(n);
  // Why each kept image is kept, and the rule that would have taken it (that of the first reason).
  const kept = new ReasonLists(scratch.i32(n));
  const keptRule = scratch.i32(n);
  const keep = (i: number, rulePriority: number, reason: string) => {
    if (!kept.has(i)) keptRule[i] = rulePriority;
    kept.add(i, reason);
  };
  held.forEach((heldBy, i) => {
    keep(i, heldBy.rulePriority, `child of kept index ${heldBy.indexDigests.join(', ')}`);
  });

  const gathered = { tags: tagsOf, plain, byTag, tagKeeps: columns.tagKeeps, childrenUnknown };
  const reasons = new ReasonLists(scratch.i32(n));
  protectionReasons(input, uses, gathered, push, positionOf, reasons);
  for (let i = 0; i < n; i++) {
    if (!reasons.has(i) || takenType[i] === NONE) continue;
    takenType[i] = NONE;
    const list = reasons.of(i);
    for (let r = 0; r < list.length; r++) keep(i, takenRule[i] as number, list[r] as string);
  }

  // Structure, until stable. Each pass moves images from taken to kept, or adds to taken a referrer that was
  // never kept; an image never leaves kept, so each is added at most once and the loop ends.
  const subjectOf = scratch.i32(n).fill(-1);
  /** The positions each index references (-1: not in the listing), for the images that are indexes. */
  const childrenOf = new Map<number, number[]>();
  const referrers = new Map<number, number[]>();
  const hasReferrers = scratch.u8(n);
  const structural = scratch.u8(n);
  parents.forEach((_, i) => {
    structural[i] = 1;
  });
  const linked = scratch.u8(n);
  const link = (i: number) => {
    if (linked[i] === 1) return;
    linked[i] = 1;
    const image = images[i] as RepositoryImage;
    const refs = image.references;
    if (refs !== undefined)
      childrenOf.set(
        i,
        refs.map((c) => positionOf.get(c) ?? -1),
      );
    const s = image.subjectDigest === undefined ? undefined : positionOf.get(image.subjectDigest);
    if (s === undefined) return;
    subjectOf[i] = s;
    structural[i] = 1;
    append(referrers, s, i, hasReferrers);
  };
  // Indexes, then referrers (an image that is both once), as the order of each subject's referrers follows.
  for (let k = 0; k < referencing.length; k++) link(referencing[k] as number);
  for (let k = 0; k < referrerPositions.length; k++) link(referrerPositions[k] as number);
  // Only images with a structure (index children, referrers, subjects) can move: walk those, not all taken.
  const structuralTaken = pick(takenPositions, taken, structural);
  const subjectsTaken = pick(takenPositions, taken, hasReferrers);
  let changed = true;
  while (changed) {
    changed = false;
    // Indexed loops here and below: the walks are long, and an iterator per step is garbage.
    for (let k = 0; k < structuralTaken.length; k++) {
      const i = structuralTaken[k] as number;
      const type = takenType[i] as number;
      if (type === NONE) continue;
      // Whether an index referencing it stays (as what taking it would do needs): counted first, listed only when
      // the image is kept, so the common case (nothing keeps it) allocates nothing.
      const indexes = parents.get(i) ?? NO_POSITIONS;
      let keptByIndex = false;
      for (let p = 0; p < indexes.length && !keptByIndex; p++)
        keptByIndex = indexStays(indexes[p] as number, type, takenType, images);
      const s = subjectOf[i] as number;
      const subjectKept = s !== -1 && takenType[s] === NONE;
      if (keptByIndex || subjectKept) {
        const rule = takenRule[i] as number;
        for (let p = 0; p < indexes.length; p++) {
          const index = indexes[p] as number;
          if (indexStays(index, type, takenType, images))
            keep(i, rule, `child of kept index ${(images[index] as RepositoryImage).digest}`);
        }
        takenType[i] = NONE;
        if (subjectKept) keep(i, rule, `referrer of kept image ${(images[s] as RepositoryImage).digest}`);
        changed = true;
      }
    }
    for (let k = 0, end = subjectsTaken.length; k < end; k++) {
      const i = subjectsTaken[k] as number;
      const type = takenType[i] as number;
      if (type === NONE) continue;
      const itsReferrers = referrers.get(i) ?? [];
      for (let r = 0; r < itsReferrers.length; r++) {
        const referrer = itsReferrers[r] as number;
        // Kept (protected, or held for structure) referrers stay; each joins the taken at most once.
        if (takenType[referrer] !== NONE || kept.has(referrer) || reasons.has(referrer)) continue;
        if (type === TRANSITION && (images[referrer] as RepositoryImage).storageClass === 'archive') continue;
        takenType[referrer] = type;
        takenRule[referrer] = takenRule[i] as number;
        noted[referrer] = 1;
        notes.set(
          referrer,
          `referrer of ${(images[i] as RepositoryImage).digest} (${type === EXPIRE ? 'expiring' : 'archiving'})`,
        );
        takenPositions[taken++] = referrer;
        structuralTaken.push(referrer);
        if (hasReferrers[referrer] === 1) subjectsTaken.push(referrer);
        changed = true;
      }
    }
  }

  const outcome: Outcome = { images, takenType, takenRule, notes, noted, sizes };
  const order = orderDeletions(
    expiringSet(takenPositions, taken, takenType, scratch),
    subjectOf,
    childrenOf,
    evaluation.oldestFirst,
    scratch,
  );
  const { list: expiring, bytes: bytesReclaimed } = plannedAt(outcome, order);
  const { list: transitioning, bytes: bytesTransitioned } = plannedAt(
    outcome,
    positionsOfType(takenType, TRANSITION, scratch),
  );
  const protectedImages = protectedOf(images, kept, keptRule);
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

/**
 * Whether `index` stays while one of its children would be taken as `type`: an expiring child needs its index
 * expiring too; an archived one needs it expiring, archived or archiving.
 */
function indexStays(
  index: number,
  type: number,
  takenType: Uint8Array,
  images: readonly RepositoryImage[],
): boolean {
  const indexType = takenType[index] as number;
  if (type === EXPIRE) return indexType !== EXPIRE;
  return indexType === NONE && (images[index] as RepositoryImage).storageClass !== 'archive';
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
