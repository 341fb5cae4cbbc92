import { wildcardMatch } from '../../shared/wildcard.ts';
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

function olderThanDays(time: number, days: number, now: number): boolean {
  return now - time > days * DAY_MS;
}

/** The images a rule marks (its count or age condition), ignoring other rules. */
function marks(rule: LifecycleRule, selected: readonly LifecycleImage[], now: number): LifecycleImage[] {
  const { countType, countNumber } = rule.selection;
  switch (countType) {
    case 'imageCountMoreThan':
      return [...selected]
        .sort(
          (a, b) => pushTimeOf(b) - pushTimeOf(a) || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0),
        )
        .slice(countNumber);
    case 'sinceImagePushed':
      return selected.filter((i) => olderThanDays(pushTimeOf(i), countNumber, now));
    case 'sinceImagePulled':
      return selected.filter((i) => olderThanDays(pullTimeOf(i), countNumber, now));
    case 'sinceImageTransitioned':
      return selected.filter(
        (i) =>
          i.transitionedAt !== undefined &&
          olderThanDays(i.transitionedAt.getTime(), countNumber, now) &&
          now - i.transitionedAt.getTime() >= LIFECYCLE_LIMITS.minArchiveDaysBeforeExpire * DAY_MS,
      );
  }
}

function decisionOf(rule: LifecycleRule): LifecycleDecision {
  return rule.action.type === 'transition'
    ? { rulePriority: rule.rulePriority, action: { type: 'transition', targetStorageClass: 'archive' } }
    : { rulePriority: rule.rulePriority, action: { type: 'expire' } };
}

/**
 * Which rule, if any, takes each image. `policy` is a parsed policy (see parseLifecyclePolicy); `now` is the
 * evaluation time.
 */
export function evaluateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: Date,
): LifecycleEvaluation {
  const nowMs = now.getTime();
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const taken = new Map<string, LifecycleDecision>();
  /** Images whose tag filter (and storage class) a higher-priority rule already matched. */
  const shielded = new Set<string>();

  for (const rule of rules) {
    const selected = images.filter((image) => ruleSelects(rule, image));
    const decision = decisionOf(rule);
    for (const image of marks(rule, selected, nowMs)) {
      if (!taken.has(image.digest) && !shielded.has(image.digest)) taken.set(image.digest, decision);
    }
    for (const image of selected) shielded.add(image.digest);
  }

  // Indexes first: a referenced image may be expired only when every index referencing it is expired, and
  // archived only when every such index is expired or archived (now or already). Repeat until stable, since
  // holding an index back holds its children back too.
  const parents = new Map<string, LifecycleImage[]>();
  for (const image of images)
    for (const child of image.references ?? []) {
      const list = parents.get(child);
      if (list) list.push(image);
      else parents.set(child, [image]);
    }
  const held = new Map<string, { rulePriority: number; indexDigests: string[] }>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const [digest, decision] of taken) {
      const blocking = (parents.get(digest) ?? []).filter((index) => {
        const indexDecision = taken.get(index.digest);
        if (decision.action.type === 'expire') return indexDecision?.action.type !== 'expire';
        return indexDecision === undefined && index.storageClass !== 'archive';
      });
      if (blocking.length > 0) {
        taken.delete(digest);
        held.set(digest, {
          rulePriority: decision.rulePriority,
          indexDigests: blocking.map((i) => i.digest),
        });
        changed = true;
      }
    }
  }

  const results: LifecycleImageResult[] = images.map((image) => {
    const heldBy = held.get(image.digest);
    return {
      digest: image.digest,
      decision: taken.get(image.digest) ?? null,
      ...(heldBy ? { heldBy } : {}),
    };
  });
  return {
    images: results,
    expired: results.filter((r) => r.decision?.action.type === 'expire').map((r) => r.digest),
    transitioned: results.filter((r) => r.decision?.action.type === 'transition').map((r) => r.digest),
  };
}
