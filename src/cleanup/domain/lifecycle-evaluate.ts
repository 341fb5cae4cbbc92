import { type ImageColumns, imageColumns, positionsIn } from './image-columns.ts';
import {
  eligible,
  policyFilters,
  select,
  shield,
  sortOldestFirst,
  type Taking,
  tagBits,
  takeBeyond,
  takeOlder,
  youngestFirst,
} from './lifecycle-kernels.ts';
import {
  LIFECYCLE_LIMITS,
  type LifecycleAction,
  type LifecyclePolicy,
  type LifecycleRule,
  type LifecycleStorageClass,
  ruleStorageClass,
} from './lifecycle-policy.ts';
import { FRESH, type Scratch, withScratch } from './scratch.ts';

/**
 * Evaluates an ECR lifecycle policy against a repository's images the way ECR does (pure; `now` is an argument).
 *
 * ECR's "Lifecycle policy evaluation rules" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html):
 * - every rule is evaluated against every image, then the rules are applied by priority (lowest number first);
 * - an image is taken (expired or transitioned) by exactly one rule or none;
 * - an image that matches the tagging requirements of a rule cannot be taken by a lower-priority rule, even when
 *   that higher rule's count or age condition did not select it;
 * - a rule still *identifies* images taken by higher rules: they fill slots in its `imageCountMoreThan` window;
 * - windows are sorted youngest to oldest by push time (`lastActivatedAt` for restored images), older images go first;
 * - a tag list matches when each entry matches some tag of the image (AND over entries, ANY over tags);
 * - `sinceImagePulled` uses the last recorded pull, else push time; for images restored from archive and not pulled
 *   since, the last activation;
 * - an image referenced by a manifest list (index) cannot be expired or archived before the index is.
 *
 * Inferred where AWS is silent (documented here so a test can pin it):
 * - a rule sees only images of its storage class (`standard` unless `selection.storageClass` says `archive`), and
 *   shields only those: the documented "transition with sinceImagePulled, then expire with sinceImageTransitioned"
 *   pattern could never delete anything if a standard rule's tag filter shielded archived images;
 * - "older than N days" is strict: exactly N days old is not yet older;
 * - `sinceImageTransitioned` never expires an image archived for less than 90 days (archive minimum storage), nor
 *   one without a known transition time;
 * - ties in push time are broken by digest so a plan is the same on every run.
 */

const DAY_MS = 86_400_000;

/**
 * One image (or index) of a repository, as DescribeImages reports it. Times are epoch milliseconds, not `Date`s:
 * a repository lists 100,000 images and more, and a Date each (two for pulled images) was a tenth of reading a
 * snapshot, and more for the collector.
 */
export interface LifecycleImage {
  readonly digest: string;
  /** Tags; empty for an untagged image. An image with several tags is one image. */
  readonly tags: readonly string[];
  /** `imagePushedAt`, epoch milliseconds. */
  readonly pushedAt: number;
  /** `lastRecordedPullTime`, epoch milliseconds; absent when never pulled. */
  readonly lastPulledAt?: number | undefined;
  /** `lastActivatedAt`, epoch milliseconds: when the image was last restored from archive. */
  readonly lastActivatedAt?: number | undefined;
  readonly storageClass: LifecycleStorageClass;
  /** `lastArchivedAt`, epoch milliseconds: when the image was moved to archive (`sinceImageTransitioned`). */
  readonly transitionedAt?: number | undefined;
  /** For an index (manifest list / OCI image index): the digests of the manifests it references. */
  readonly references?: readonly string[];
}

/** The rule that takes an image and what it does. */
export interface LifecycleDecision {
  readonly rulePriority: number;
  readonly action: { readonly type: LifecycleAction['type']; readonly targetStorageClass?: 'archive' };
}

export interface LifecycleImageResult {
  readonly digest: string;
  /** The rule that takes the image, or null when it is kept. */
  readonly decision: LifecycleDecision | null;
  /**
   * Set when a rule would have taken the image but an index that references it is kept (or, for an expiry, not
   * expired too): the image is kept and this names the rule and the indexes that hold it.
   */
  readonly heldBy?: { readonly rulePriority: number; readonly indexDigests: readonly string[] };
}

export interface LifecycleEvaluation {
  /** One entry per input image, in input order. */
  readonly images: readonly LifecycleImageResult[];
  /** Digests taken, by action, in input order. */
  readonly expired: readonly string[];
  readonly transitioned: readonly string[];
}

/** The time `sinceImagePulled` ages: the latest of last pull and last activation, else push time. */
export function pullTimeOf(image: LifecycleImage): number {
  const pulled = image.lastPulledAt;
  const activated = image.lastActivatedAt;
  if (pulled === undefined && activated === undefined) return image.pushedAt;
  return Math.max(pulled ?? Number.NEGATIVE_INFINITY, activated ?? Number.NEGATIVE_INFINITY);
}

function decisionOf(rule: LifecycleRule): LifecycleDecision {
  return rule.action.type === 'transition'
    ? { rulePriority: rule.rulePriority, action: { type: 'transition', targetStorageClass: 'archive' } }
    : { rulePriority: rule.rulePriority, action: { type: 'expire' } };
}

/** {@link evaluateLifecyclePolicy}'s answer by position in `images` (what the plan builds on). */
export interface PositionalEvaluation {
  /** Index into `decisions` of the rule that takes each image; -1: kept. */
  readonly takenBy: Int32Array;
  readonly decisions: readonly LifecycleDecision[];
  /** Images a rule would take but a kept index holds, by position. */
  readonly held: ReadonlyMap<number, { rulePriority: number; indexDigests: string[] }>;
  /** Each image's push time, or last activation when restored (image-columns.ts `push`). */
  readonly push: Float64Array;
  /** Positions sorted oldest first (ties by digest). */
  oldestFirst(): Uint32Array;
  /** What the evaluation read of each image. */
  readonly columns: ImageColumns;
  /** The indexes (positions) that reference each image (position), for images some index references. */
  readonly parents: ReadonlyMap<number, readonly number[]>;
}

/**
 * The evaluation by position. Sized for repositories of 100,000+ images: state lives in typed arrays indexed by
 * position rather than maps keyed by digest (digests are unique within a repository's listing), tag filters are
 * compiled once per rule, and the images are sorted once so every `imageCountMoreThan` window is a walk.
 * `positionOf` must hold at least every digest an index references (image-columns.ts positionsIn); built when absent.
 * The typed arrays come from `scratch`: the answer must not outlive it (see scratch.ts).
 */
export function evaluatePositions(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: Date,
  positionOf?: ReadonlyMap<string, number>,
  given?: ImageColumns,
  scratch: Scratch = FRESH,
): PositionalEvaluation {
  const columns = given ?? imageColumns(images, undefined, scratch);
  const nowMs = now.getTime();
  const n = images.length;
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const decisions = rules.map(decisionOf);
  const { push, archived, tagged, referencing } = columns;
  const tagsOf = columns.tags;
  let sorted: Uint32Array | undefined;
  const oldestFirst = () => {
    sorted ??= sortOldestFirst(columns.digests, push, scratch);
    return sorted;
  };

  // Indexes first: a referenced image may be expired only when every index referencing it is expired, and
  // archived only when every such index is expired or archived (now or already). Repeat until stable, since
  // holding an index back holds its children back too.
  const parents = new Map<number, number[]>();
  const isChild = scratch.u8(n);
  if (referencing.length > 0) {
    const where =
      positionOf ??
      positionsIn(
        columns.digests,
        referencing.flatMap((i) => images[i]?.references ?? []),
      );
    // Indexed: an iterator per step is garbage, thousands of times a plan.
    for (let k = 0; k < referencing.length; k++) {
      const i = referencing[k] as number;
      const refs = (images[i] as LifecycleImage).references ?? [];
      for (let r = 0; r < refs.length; r++) {
        const c = where.get(refs[r] as string);
        if (c === undefined) continue;
        isChild[c] = 1;
        const list = parents.get(c);
        if (list) list.push(i);
        else parents.set(c, [i]);
      }
    }
  }

  const t: Taking = {
    takenBy: scratch.i32(n).fill(-1),
    shielded: scratch.u8(n),
    isChild,
    children: [],
  };
  const { takenBy } = t;
  const selected = scratch.u8(n);
  let youngest: Uint32Array | undefined;
  const minArchiveMs = LIFECYCLE_LIMITS.minArchiveDaysBeforeExpire * DAY_MS;
  // The tagged rules' filters, up to 31 of them, as bits of one answer per image (see tagBits): read in the
  // columns' pass when the caller had it test them (the plan does), else here.
  const { testsOf, bitOf, filters } = policyFilters(rules);
  const matched =
    columns.matched !== undefined && columns.filtersOf === policy
      ? columns.matched
      : filters.length > 0
        ? tagBits(filters, tagged, archived, tagsOf, scratch)
        : new Int32Array(0);
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r] as LifecycleRule;
    const status = rule.selection.tagStatus;
    select(
      selected,
      {
        archive: ruleStorageClass(rule) === 'archive' ? 1 : 0,
        mode: status === 'any' ? 0 : status === 'untagged' ? 1 : 2,
        bit: bitOf[r] as number,
        tests: testsOf[r],
      },
      archived,
      tagged,
      matched,
      tagsOf,
    );
    const { countType, countNumber } = rule.selection;
    const limit = countNumber * DAY_MS;
    if (countType === 'imageCountMoreThan') {
      youngest ??= youngestFirst(oldestFirst(), push, scratch);
      takeBeyond(t, selected, youngest, countNumber, r);
    } else if (countType === 'sinceImagePushed') takeOlder(t, selected, push, nowMs, limit, r);
    else {
      // Pull and transition times are read only for the few images these rules may take.
      const few = eligible(t, selected);
      for (let k = 0; k < few.length; k++) {
        const i = few[k] as number;
        const image = images[i] as LifecycleImage;
        let old: boolean;
        if (countType === 'sinceImagePulled') old = nowMs - pullTimeOf(image) > limit;
        else {
          const at = image.transitionedAt;
          old = at !== undefined && nowMs - at > limit && nowMs - at >= minArchiveMs;
        }
        if (old) {
          takenBy[i] = r;
          if (isChild[i] === 1) t.children.push(i);
        }
      }
    }
    shield(t.shielded, selected);
  }
  const { children } = t;

  const held = new Map<number, { rulePriority: number; indexDigests: string[] }>();
  let changed = children.length > 0;
  while (changed) {
    changed = false;
    for (let k = 0; k < children.length; k++) {
      const c = children[k] as number;
      const r = takenBy[c] as number;
      if (r === -1) continue;
      const expire = (decisions[r] as LifecycleDecision).action.type === 'expire';
      // Whether an index holds it, asked first; the holding indexes are listed only for an image held, so the
      // common case (its indexes go too) allocates nothing.
      const indexes = parents.get(c) ?? NO_POSITIONS;
      let isHeld = false;
      for (let p = 0; p < indexes.length && !isHeld; p++)
        isHeld = holds(indexes[p] as number, expire, takenBy, decisions, images);
      if (isHeld) {
        const indexDigests: string[] = [];
        for (let p = 0; p < indexes.length; p++) {
          const index = indexes[p] as number;
          if (holds(index, expire, takenBy, decisions, images))
            indexDigests.push((images[index] as LifecycleImage).digest);
        }
        takenBy[c] = -1;
        held.set(c, { rulePriority: (decisions[r] as LifecycleDecision).rulePriority, indexDigests });
        changed = true;
      }
    }
  }
  return { takenBy, decisions, held, push, oldestFirst, parents, columns };
}

const NO_POSITIONS: readonly number[] = [];

/**
 * Whether `index` holds back a child its rule would expire (`expire`) or archive: an expiring child needs its
 * index expiring too; an archived one needs it expiring, or archived or archiving.
 */
function holds(
  index: number,
  expire: boolean,
  takenBy: Int32Array,
  decisions: readonly LifecycleDecision[],
  images: readonly LifecycleImage[],
): boolean {
  const ir = takenBy[index] as number;
  if (expire) return ir === -1 || (decisions[ir] as LifecycleDecision).action.type !== 'expire';
  return ir === -1 && (images[index] as LifecycleImage).storageClass !== 'archive';
}

/**
 * Which rule, if any, takes each image. `policy` is a parsed policy (see parseLifecyclePolicy); `now` is the
 * evaluation time. Digests are unique within a repository (DescribeImages lists each image once).
 */
export function evaluateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: Date,
): LifecycleEvaluation {
  return withScratch((scratch) =>
    resultsOf(images, evaluatePositions(policy, images, now, undefined, undefined, scratch)),
  );
}

/** The evaluation by digest, copied out of the positional one (whose arrays are scratch). */
function resultsOf(images: readonly LifecycleImage[], evaluation: PositionalEvaluation): LifecycleEvaluation {
  const { takenBy, decisions, held } = evaluation;
  const results: LifecycleImageResult[] = new Array(images.length);
  const expired: string[] = [];
  const transitioned: string[] = [];
  for (let i = 0; i < images.length; i++) {
    const { digest } = images[i] as LifecycleImage;
    const r = takenBy[i] as number;
    const decision = r === -1 ? null : (decisions[r] as LifecycleDecision);
    const heldBy = held.get(i);
    results[i] = heldBy ? { digest, decision, heldBy } : { digest, decision };
    if (decision?.action.type === 'expire') expired.push(digest);
    else if (decision?.action.type === 'transition') transitioned.push(digest);
  }
  return { images: results, expired, transitioned };
}
