import { wildcardMatch, wildcardToRegExp } from '../../shared/wildcard.ts';
import {
  LIFECYCLE_LIMITS,
  type LifecycleAction,
  type LifecyclePolicy,
  type LifecycleRule,
  type LifecycleStorageClass,
  ruleStorageClass,
} from './lifecycle-policy.ts';

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

/** One image (or index) of a repository, as DescribeImages reports it. */
export interface LifecycleImage {
  readonly digest: string;
  /** Tags; empty for an untagged image. An image with several tags is one image. */
  readonly tags: readonly string[];
  readonly pushedAt: Date;
  /** `lastRecordedPullTime`; absent when never pulled. */
  readonly lastPulledAt?: Date;
  /** `lastActivatedAt`: when the image was last restored from archive. */
  readonly lastActivatedAt?: Date;
  readonly storageClass: LifecycleStorageClass;
  /** When the image was moved to archive (`sinceImageTransitioned`). */
  readonly transitionedAt?: Date;
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

/** True when each entry of the list matches some tag of the image (prefix or wildcard). */
export function tagFilterMatches(rule: LifecycleRule, tags: readonly string[]): boolean {
  const s = rule.selection;
  switch (s.tagStatus) {
    case 'any':
      return true;
    case 'untagged':
      return tags.length === 0;
    case 'tagged': {
      if (tags.length === 0) return false;
      if (s.tagPatternList) return s.tagPatternList.every((p) => tags.some((t) => wildcardMatch(p, t)));
      if (s.tagPrefixList) return s.tagPrefixList.every((p) => tags.some((t) => t.startsWith(p)));
      return false;
    }
  }
}

/** Whether a rule sees an image at all: its storage class and its tag filter. */
export function ruleSelects(rule: LifecycleRule, image: LifecycleImage): boolean {
  return ruleStorageClass(rule) === image.storageClass && tagFilterMatches(rule, image.tags);
}

/** The time that orders windows and ages `sinceImagePushed`: push time, or last activation for restored images. */
export function pushTimeOf(image: LifecycleImage): number {
  return (image.lastActivatedAt ?? image.pushedAt).getTime();
}

/** The time `sinceImagePulled` ages: the latest of last pull and last activation, else push time. */
export function pullTimeOf(image: LifecycleImage): number {
  const pulled = image.lastPulledAt?.getTime();
  const activated = image.lastActivatedAt?.getTime();
  if (pulled === undefined && activated === undefined) return image.pushedAt.getTime();
  return Math.max(pulled ?? Number.NEGATIVE_INFINITY, activated ?? Number.NEGATIVE_INFINITY);
}

/** One entry of a compiled tag filter: `kind` 0 equal to `a`, 1 starts with `a` and ends with `b` (no overlap),
 * 2 contains `a`, 3 matches `re`, 4 starts with `a`. One shape for every entry, tested by one function. */
interface TagTest {
  readonly kind: number;
  readonly a: string;
  readonly b: string;
  readonly re: RegExp | undefined;
}

function tagTestMatches(t: TagTest, tag: string): boolean {
  switch (t.kind) {
    case 0:
      return tag === t.a;
    case 1:
      return tag.length >= t.a.length + t.b.length && tag.startsWith(t.a) && tag.endsWith(t.b);
    case 2:
      return tag.includes(t.a);
    case 3:
      return (t.re as RegExp).test(tag);
    default:
      return tag.startsWith(t.a);
  }
}

/**
 * A rule's tag filter (for a tagged rule) compiled once, not per image: the same answers as
 * {@link tagFilterMatches}. An ECR wildcard is a plain string operation for `abc`, `abc*`, `*abc`, `*abc*`,
 * `a*b`, a RegExp otherwise; undefined: a tagged rule without a list, which matches nothing.
 */
function tagTests(rule: LifecycleRule): TagTest[] | undefined {
  const s = rule.selection;
  if (s.tagPatternList) {
    return s.tagPatternList.map((pattern): TagTest => {
      const parts = pattern.split('*');
      const [first = '', middle = '', last] = parts;
      if (parts.length === 1) return { kind: 0, a: pattern, b: '', re: undefined };
      if (parts.length === 2) return { kind: 1, a: first, b: middle, re: undefined };
      if (parts.length === 3 && first === '' && last === '')
        return { kind: 2, a: middle, b: '', re: undefined };
      return { kind: 3, a: '', b: '', re: wildcardToRegExp(pattern) };
    });
  }
  return s.tagPrefixList?.map((p): TagTest => ({ kind: 4, a: p, b: '', re: undefined }));
}

/** AND over the entries, ANY over the (non-empty) tags. */
function tagsMatch(tests: readonly TagTest[], tags: readonly string[]): boolean {
  for (let e = 0; e < tests.length; e++) {
    const t = tests[e] as TagTest;
    let some = false;
    for (let k = 0; k < tags.length; k++) {
      if (tagTestMatches(t, tags[k] as string)) {
        some = true;
        break;
      }
    }
    if (!some) return false;
  }
  return true;
}

function decisionOf(rule: LifecycleRule): LifecycleDecision {
  return rule.action.type === 'transition'
    ? { rulePriority: rule.rulePriority, action: { type: 'transition', targetStorageClass: 'archive' } }
    : { rulePriority: rule.rulePriority, action: { type: 'expire' } };
}

/**
 * The position (in `images`) of each of `digests` that is there, in one pass over the images: a small map
 * looked up 100,000 times costs far less than a map of 100,000 digests built.
 */
export function positionsOf(
  images: readonly LifecycleImage[],
  digests: Iterable<string>,
): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const digest of digests) wanted.set(digest, -1);
  if (wanted.size === 0) return wanted;
  for (let i = 0; i < images.length; i++) {
    const digest = (images[i] as LifecycleImage).digest;
    if (wanted.get(digest) === -1) wanted.set(digest, i);
  }
  for (const [digest, i] of wanted) if (i === -1) wanted.delete(digest);
  return wanted;
}

/**
 * Positions sorted by push time, oldest first, ties by digest. When the times span few enough milliseconds for
 * `(time - oldest) * 2^bits + position` to be exact in a double (about two years at 100,000 images), one native
 * numeric sort of those keys does it (several times faster than a sort with a comparator); otherwise a comparator.
 */
function sortOldestFirst(images: readonly LifecycleImage[], push: Float64Array): Uint32Array {
  const n = images.length;
  const byDigest = (a: number, b: number) => {
    const da = (images[a] as LifecycleImage).digest;
    const db = (images[b] as LifecycleImage).digest;
    return da < db ? -1 : da > db ? 1 : 0;
  };
  let oldest = Number.POSITIVE_INFINITY;
  let newest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = push[i] as number;
    if (t < oldest) oldest = t;
    if (t > newest) newest = t;
  }
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  const exact =
    n > 0 && Number.isInteger(oldest) && Number.isInteger(newest) && (newest - oldest + 1) * scale <= 2 ** 53;
  let order: Uint32Array;
  if (exact) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = push[i] as number;
      // A fractional millisecond (not from ECR, which has none) would break the packing: use the comparator.
      if (!Number.isInteger(t))
        return Uint32Array.from({ length: n }, (_, k) => k).sort(
          (a, b) => (push[a] as number) - (push[b] as number) || byDigest(a, b),
        );
      keys[i] = (t - oldest) * scale + i;
    }
    keys.sort();
    order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = (keys[k] as number) % scale;
  } else {
    return Uint32Array.from({ length: n }, (_, k) => k).sort(
      (a, b) => (push[a] as number) - (push[b] as number) || byDigest(a, b),
    );
  }
  // Equal times came out by position: order each such run by digest.
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && push[order[end] as number] === push[order[start] as number]) end++;
    if (end - start > 1) order.subarray(start, end).sort(byDigest);
    start = end;
  }
  return order;
}

/** Youngest first, ties by digest: the oldest-first order backwards, each run of equal times forwards. */
function youngestFirst(order: Uint32Array, push: Float64Array): Uint32Array {
  const n = order.length;
  const out = new Uint32Array(n);
  let k = 0;
  for (let end = n - 1; end >= 0; ) {
    let start = end;
    while (start > 0 && push[order[start - 1] as number] === push[order[end] as number]) start--;
    for (let j = start; j <= end; j++) out[k++] = order[j] as number;
    end = start - 1;
  }
  return out;
}

/** {@link evaluateLifecyclePolicy}'s answer by position in `images` (what the plan builds on). */
export interface PositionalEvaluation {
  /** Index into `decisions` of the rule that takes each image; -1: kept. */
  readonly takenBy: Int32Array;
  readonly decisions: readonly LifecycleDecision[];
  /** Images a rule would take but a kept index holds, by position. */
  readonly held: ReadonlyMap<number, { rulePriority: number; indexDigests: string[] }>;
  /** {@link pushTimeOf} of each image. */
  readonly push: Float64Array;
  /** Positions sorted oldest first (ties by digest). */
  oldestFirst(): Uint32Array;
  /** The indexes (positions) that reference each image (position), for images some index references. */
  readonly parents: ReadonlyMap<number, readonly number[]>;
}

/**
 * The evaluation by position. Sized for repositories of 100,000+ images: state lives in typed arrays indexed by
 * position rather than maps keyed by digest (digests are unique within a repository's listing), tag filters are
 * compiled once per rule, and the images are sorted once so every `imageCountMoreThan` window is a walk.
 * `positionOf` must hold at least every digest an index references (see {@link positionsOf}); built when absent.
 */
export function evaluatePositions(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: Date,
  positionOf?: ReadonlyMap<string, number>,
): PositionalEvaluation {
  const nowMs = now.getTime();
  const n = images.length;
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const decisions = rules.map(decisionOf);
  // What every rule reads, read once: images come in many shapes (optional keys), so each property read is a
  // slow megamorphic load, worth doing n times rather than n × rules times.
  const push = new Float64Array(n);
  const archived = new Uint8Array(n);
  const tagsOf: (readonly string[])[] = [];
  const tagged = new Uint8Array(n);
  const referencing: number[] = [];
  for (let i = 0; i < n; i++) {
    const image = images[i] as LifecycleImage;
    push[i] = pushTimeOf(image);
    archived[i] = image.storageClass === 'archive' ? 1 : 0;
    const tags = image.tags;
    tagsOf.push(tags);
    tagged[i] = tags.length > 0 ? 1 : 0;
    if (image.references?.length) referencing.push(i);
  }
  let sorted: Uint32Array | undefined;
  const oldestFirst = () => {
    sorted ??= sortOldestFirst(images, push);
    return sorted;
  };

  // Indexes first: a referenced image may be expired only when every index referencing it is expired, and
  // archived only when every such index is expired or archived (now or already). Repeat until stable, since
  // holding an index back holds its children back too.
  const parents = new Map<number, number[]>();
  const isChild = new Uint8Array(n);
  if (referencing.length > 0) {
    const where =
      positionOf ??
      positionsOf(
        images,
        referencing.flatMap((i) => images[i]?.references ?? []),
      );
    for (const i of referencing) {
      for (const child of (images[i] as LifecycleImage).references ?? []) {
        const c = where.get(child);
        if (c === undefined) continue;
        isChild[c] = 1;
        const list = parents.get(c);
        if (list) list.push(i);
        else parents.set(c, [i]);
      }
    }
  }

  const takenBy = new Int32Array(n).fill(-1);
  /** Index children taken, in the order they were taken (the order holds are looked at). */
  const children: number[] = [];
  /** Positions whose tag filter (and storage class) a higher-priority rule already matched. */
  const shielded = new Uint8Array(n);
  const selected = new Uint8Array(n);
  let youngest: Uint32Array | undefined;
  const minArchiveMs = LIFECYCLE_LIMITS.minArchiveDaysBeforeExpire * DAY_MS;
  // The tagged rules' filters, up to 31 of them, tested image by image (each image's tags read once, not once
  // per rule): bit b of `matched[i]` is the answer of the b-th tagged rule for image i (of its storage class).
  const testsOf = rules.map((rule) => (rule.selection.tagStatus === 'tagged' ? tagTests(rule) : undefined));
  const bitOf = new Int32Array(rules.length);
  const masked: { tests: readonly TagTest[]; archive: number; bit: number }[] = [];
  for (let r = 0; r < rules.length; r++) {
    const tests = testsOf[r];
    if (tests === undefined || masked.length === 31) continue;
    bitOf[r] = 1 << masked.length;
    masked.push({
      tests,
      archive: ruleStorageClass(rules[r] as LifecycleRule) === 'archive' ? 1 : 0,
      bit: bitOf[r] as number,
    });
  }
  const matched = new Int32Array(masked.length > 0 ? n : 0);
  if (masked.length > 0)
    for (let i = 0; i < n; i++) {
      if (tagged[i] === 0) continue;
      const tags = tagsOf[i] as readonly string[];
      let bits = 0;
      for (let b = 0; b < masked.length; b++) {
        const m = masked[b] as { tests: readonly TagTest[]; archive: number; bit: number };
        if (archived[i] === m.archive && tagsMatch(m.tests, tags)) bits |= m.bit;
      }
      matched[i] = bits;
    }
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r] as LifecycleRule;
    const archive = ruleStorageClass(rule) === 'archive' ? 1 : 0;
    const status = rule.selection.tagStatus;
    // 0 any, 1 untagged, 2 tagged: the tag status from the flags; only a tagged rule's filter reads the tags.
    const mode = status === 'any' ? 0 : status === 'untagged' ? 1 : 2;
    const tests = testsOf[r];
    const bit = bitOf[r] as number;
    const { countType, countNumber } = rule.selection;
    // 0 imageCountMoreThan (a window, walked below), 1 pushed, 2 pulled, 3 transitioned.
    const age =
      countType === 'sinceImagePushed'
        ? 1
        : countType === 'sinceImagePulled'
          ? 2
          : countType === 'sinceImageTransitioned'
            ? 3
            : 0;
    const limit = countNumber * DAY_MS;
    if (age === 0) selected.fill(0);
    for (let i = 0; i < n; i++) {
      if (archived[i] !== archive) continue;
      if (
        mode === 1
          ? tagged[i] === 1
          : mode === 2 &&
            (tagged[i] === 0 ||
              (bit !== 0
                ? ((matched[i] as number) & bit) === 0
                : tests === undefined || !tagsMatch(tests, tagsOf[i] as readonly string[])))
      )
        continue;
      if (age === 0) {
        selected[i] = 1;
        continue;
      }
      if (takenBy[i] === -1 && shielded[i] === 0) {
        let old: boolean;
        if (age === 1) old = nowMs - (push[i] as number) > limit;
        else if (age === 2) old = nowMs - pullTimeOf(images[i] as LifecycleImage) > limit;
        else {
          const at = (images[i] as LifecycleImage).transitionedAt?.getTime();
          old = at !== undefined && nowMs - at > limit && nowMs - at >= minArchiveMs;
        }
        if (old) {
          takenBy[i] = r;
          if (isChild[i] === 1) children.push(i);
        }
      }
      // Only this position's own check above read it: shielding now is shielding after the rule.
      shielded[i] = 1;
    }
    if (age === 0) {
      youngest ??= youngestFirst(oldestFirst(), push);
      let seen = 0;
      for (let k = 0; k < n; k++) {
        const i = youngest[k] as number;
        if (selected[i] === 1 && ++seen > countNumber && takenBy[i] === -1 && shielded[i] === 0) {
          takenBy[i] = r;
          if (isChild[i] === 1) children.push(i);
        }
      }
      for (let i = 0; i < n; i++) if (selected[i] === 1) shielded[i] = 1;
    }
  }

  const held = new Map<number, { rulePriority: number; indexDigests: string[] }>();
  let changed = children.length > 0;
  while (changed) {
    changed = false;
    for (const c of children) {
      const r = takenBy[c] as number;
      if (r === -1) continue;
      const expire = (decisions[r] as LifecycleDecision).action.type === 'expire';
      const blocking = (parents.get(c) ?? []).filter((index) => {
        const ir = takenBy[index] as number;
        if (expire) return ir === -1 || (decisions[ir] as LifecycleDecision).action.type !== 'expire';
        return ir === -1 && (images[index] as LifecycleImage).storageClass !== 'archive';
      });
      if (blocking.length > 0) {
        takenBy[c] = -1;
        held.set(c, {
          rulePriority: (decisions[r] as LifecycleDecision).rulePriority,
          indexDigests: blocking.map((index) => (images[index] as LifecycleImage).digest),
        });
        changed = true;
      }
    }
  }
  return { takenBy, decisions, held, push, oldestFirst, parents };
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
  const { takenBy, decisions, held } = evaluatePositions(policy, images, now);
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
