import { wildcardToRegExp } from '../../shared/wildcard.ts';
import { type LifecycleRule, ruleStorageClass } from './lifecycle-policy.ts';
import { FRESH, type Scratch } from './scratch.ts';

/**
 * The lifecycle engine's loops over every image, one small function each (lifecycle-evaluate.ts calls them).
 *
 * Why small functions: each runs once or once per rule per plan over 100,000 positions. Inside one large
 * function every loop was compiled on the fly (on-stack replacement) on every plan, and deoptimised whenever a
 * later loop lacked type feedback; a small function is compiled whole after its first calls and stays so.
 * They read and write typed arrays by position only.
 */

/**
 * One entry of a compiled tag filter: `kind` 0 equal to `a`, 1 starts with `a` and ends with `b` (no overlap),
 * 2 contains `a`, 3 matches `re`, 4 starts with `a`. One shape for every entry, tested by one function.
 */
export interface TagTest {
  readonly kind: number;
  readonly a: string;
  readonly b: string;
  readonly re: RegExp | undefined;
}

/** Whether one tag passes one compiled entry. */
export function tagTestMatches(t: TagTest, tag: string): boolean {
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
 * A rule's tag filter (for a tagged rule) compiled once, not per image: each entry of the list must match some
 * tag of the image (a prefix, or an ECR wildcard). A wildcard is a plain string operation for `abc`, `abc*`,
 * `*abc`, `*abc*`, `a*b`, a RegExp otherwise; undefined: a tagged rule without a list, which matches nothing.
 */
export function tagTests(rule: LifecycleRule): TagTest[] | undefined {
  const s = rule.selection;
  if (s.tagPatternList) return s.tagPatternList.map(wildcardTest);
  return s.tagPrefixList?.map((p): TagTest => ({ kind: 4, a: p, b: '', re: undefined }));
}

/** An ECR wildcard (`*` any run of characters) compiled to a {@link TagTest}: the same answers as its RegExp. */
export function wildcardTest(pattern: string): TagTest {
  const parts = pattern.split('*');
  const [first = '', middle = '', last] = parts;
  if (parts.length === 1) return { kind: 0, a: pattern, b: '', re: undefined };
  if (parts.length === 2) return { kind: 1, a: first, b: middle, re: undefined };
  if (parts.length === 3 && first === '' && last === '') return { kind: 2, a: middle, b: '', re: undefined };
  return { kind: 3, a: '', b: '', re: wildcardToRegExp(pattern) };
}

/** The tagged rules' filters of a policy, by priority, each with its bit (up to 31; the rest are tested apart). */
export function policyFilters(rules: readonly LifecycleRule[]): {
  readonly testsOf: readonly (readonly TagTest[] | undefined)[];
  readonly bitOf: Int32Array;
  readonly filters: readonly MaskedFilter[];
} {
  const testsOf = rules.map((rule) => (rule.selection.tagStatus === 'tagged' ? tagTests(rule) : undefined));
  const bitOf = new Int32Array(rules.length);
  const filters: MaskedFilter[] = [];
  for (let r = 0; r < rules.length; r++) {
    const tests = testsOf[r];
    if (tests === undefined || filters.length === 31) continue;
    bitOf[r] = 1 << filters.length;
    filters.push({
      tests,
      archive: ruleStorageClass(rules[r] as LifecycleRule) === 'archive' ? 1 : 0,
      bit: bitOf[r] as number,
    });
  }
  return { testsOf, bitOf, filters };
}

/** AND over the entries, ANY over the (non-empty) tags. */
export function tagsMatch(tests: readonly TagTest[], tags: readonly string[]): boolean {
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

/** A tagged rule's compiled filter, the storage class it looks at (1 archive) and its bit in {@link tagBits}. */
export interface MaskedFilter {
  readonly tests: readonly TagTest[];
  readonly archive: number;
  readonly bit: number;
}

/**
 * The tagged rules' filters (up to 31), tested image by image so each image's tags are read once, not once per
 * rule: bit b of the answer at i is the b-th filter's answer for image i (in that filter's storage class).
 */
export function tagBits(
  filters: readonly MaskedFilter[],
  tagged: Uint8Array,
  archived: Uint8Array,
  tagsOf: readonly (readonly string[])[],
  scratch: Scratch = FRESH,
): Int32Array {
  const n = tagged.length;
  const matched = scratch.i32(n);
  for (let i = 0; i < n; i++) {
    if (tagged[i] === 0) continue;
    const tags = tagsOf[i] as readonly string[];
    let bits = 0;
    for (let b = 0; b < filters.length; b++) {
      const f = filters[b] as MaskedFilter;
      if (archived[i] === f.archive && tagsMatch(f.tests, tags)) bits |= f.bit;
    }
    matched[i] = bits;
  }
  return matched;
}

/** A rule's selection, ready to test: storage class (1 archive), tag status and its filter. */
export interface Selection {
  readonly archive: number;
  /** 0 any, 1 untagged, 2 tagged. */
  readonly mode: number;
  /** The filter's bit in the {@link tagBits} answer; 0 when the filter is tested directly. */
  readonly bit: number;
  readonly tests: readonly TagTest[] | undefined;
}

/** `selected[i]` = 1 when the rule's selection (storage class, tag status, tag filter) matches image i, else 0. */
export function select(
  selected: Uint8Array,
  s: Selection,
  archived: Uint8Array,
  tagged: Uint8Array,
  matched: Int32Array,
  tagsOf: readonly (readonly string[])[],
): void {
  const n = selected.length;
  const { archive, mode, bit, tests } = s;
  if (mode === 0) for (let i = 0; i < n; i++) selected[i] = archived[i] === archive ? 1 : 0;
  else if (mode === 1)
    for (let i = 0; i < n; i++) selected[i] = archived[i] === archive && tagged[i] === 0 ? 1 : 0;
  else if (bit !== 0)
    for (let i = 0; i < n; i++)
      selected[i] = archived[i] === archive && ((matched[i] as number) & bit) !== 0 ? 1 : 0;
  else
    for (let i = 0; i < n; i++)
      selected[i] =
        archived[i] === archive &&
        tagged[i] === 1 &&
        tests !== undefined &&
        tagsMatch(tests, tagsOf[i] as readonly string[])
          ? 1
          : 0;
}

/** What a rule takes, and the children of indexes among them (in the order taken: the hold pass reads them). */
export interface Taking {
  readonly takenBy: Int32Array;
  readonly shielded: Uint8Array;
  readonly isChild: Uint8Array;
  readonly children: number[];
}

function take(t: Taking, i: number, rule: number): void {
  t.takenBy[i] = rule;
  if (t.isChild[i] === 1) t.children.push(i);
}

/** Rule `rule` takes each selected image, not taken nor shielded, whose `times` is more than `limit` before `now`. */
export function takeOlder(
  t: Taking,
  selected: Uint8Array,
  times: Float64Array,
  now: number,
  limit: number,
  rule: number,
): void {
  const { takenBy, shielded } = t;
  for (let i = 0; i < selected.length; i++)
    if (selected[i] === 1 && takenBy[i] === -1 && shielded[i] === 0 && now - (times[i] as number) > limit)
      take(t, i, rule);
}

/** The selected images neither taken nor shielded: those an age rule reads more of. */
export function eligible(t: Taking, selected: Uint8Array): number[] {
  const out: number[] = [];
  const { takenBy, shielded } = t;
  for (let i = 0; i < selected.length; i++)
    if (selected[i] === 1 && takenBy[i] === -1 && shielded[i] === 0) out.push(i);
  return out;
}

/** `imageCountMoreThan`: walking youngest first, rule `rule` takes the selected images past the first `keep`. */
export function takeBeyond(
  t: Taking,
  selected: Uint8Array,
  youngest: Uint32Array,
  keep: number,
  rule: number,
): void {
  const { takenBy, shielded } = t;
  let seen = 0;
  for (let k = 0; k < youngest.length; k++) {
    const i = youngest[k] as number;
    if (selected[i] === 1 && ++seen > keep && takenBy[i] === -1 && shielded[i] === 0) take(t, i, rule);
  }
}

/** After a rule: what it selected can't be taken by a lower-priority rule. */
export function shield(shielded: Uint8Array, selected: Uint8Array): void {
  for (let i = 0; i < selected.length; i++) if (selected[i] === 1) shielded[i] = 1;
}

/**
 * Positions sorted by push time, oldest first, ties by digest. When the times are whole milliseconds (ECR's
 * always are), a stable radix sort of the times relative to the oldest, 16 bits a pass, skipping the passes where
 * every image has the same digit (a listing spanning years needs three): several times faster than the engine's
 * native numeric sort of 100,000 keys, and positions of equal times stay in position order. Otherwise a comparator.
 */
export function sortOldestFirst(
  digests: readonly string[],
  push: Float64Array,
  scratch: Scratch = FRESH,
): Uint32Array {
  const n = digests.length;
  const byDigest = (a: number, b: number) => {
    const da = digests[a] as string;
    const db = digests[b] as string;
    return da < db ? -1 : da > db ? 1 : 0;
  };
  let oldest = Number.POSITIVE_INFINITY;
  let newest = Number.NEGATIVE_INFINITY;
  let whole = true;
  for (let i = 0; i < n; i++) {
    const t = push[i] as number;
    if (t < oldest) oldest = t;
    if (t > newest) newest = t;
    // A fractional millisecond (not from ECR, which has none) has no place in the radix digits.
    if (!Number.isInteger(t)) whole = false;
  }
  if (!(n > 0 && whole && newest - oldest < 2 ** 53)) {
    return Uint32Array.from({ length: n }, (_, k) => k).sort(
      (a, b) => (push[a] as number) - (push[b] as number) || byDigest(a, b),
    );
  }
  const order = radixOrder(push, oldest, scratch);
  // Equal times came out by position: order each such run by digest.
  for (let start = 0; start < n; ) {
    const end = runEnd(order, push, start);
    if (end - start > 1) order.subarray(start, end).sort(byDigest);
    start = end;
  }
  return order;
}

const DIGIT_BITS = 16;
const DIGITS = 1 << DIGIT_BITS;
const TWO_TO_32 = 2 ** 32;

/**
 * Positions ordered by `push[i] - oldest` (whole, below 2^53), stable: least significant 16-bit digit first,
 * over the low and high 32-bit words of each relative time (split by multiplication, exact, as `%` on doubles
 * is a slow library call).
 */
function radixOrder(push: Float64Array, oldest: number, scratch: Scratch): Uint32Array {
  const n = push.length;
  const low = scratch.u32(n);
  const high = scratch.u32(n);
  splitWords(push, oldest, low, high);
  let order = scratch.u32(n);
  let spare = scratch.u32(n);
  const counts = scratch.u32(DIGITS);
  positionsInOrder(order);
  // The loops are in functions that end with them: a plan runs each once, V8 compiles a loop as it runs (on-stack
  // replacement), and code of that compilation met after the loop deoptimized it in every plan (measured: twice a
  // plan here), so the next plan started the loops unoptimized again.
  for (const [words, shift] of [
    [low, 0],
    [low, DIGIT_BITS],
    [high, 0],
    [high, DIGIT_BITS],
  ] as const) {
    if (!radixPass(words, shift, order, spare, counts)) continue;
    const sorted = spare;
    spare = order;
    order = sorted;
  }
  return order;
}

/** 0, 1, 2… */
function positionsInOrder(order: Uint32Array): void {
  for (let i = 0; i < order.length; i++) order[i] = i;
}

/** The low and high 32-bit words of each `push[i] - oldest` (split by multiplication: `%` on doubles is slow). */
function splitWords(push: Float64Array, oldest: number, low: Uint32Array, high: Uint32Array): void {
  for (let i = 0; i < push.length; i++) {
    const relative = (push[i] as number) - oldest;
    const h = Math.floor(relative / TWO_TO_32);
    high[i] = h;
    low[i] = relative - h * TWO_TO_32;
  }
}

/**
 * One stable counting pass over the 16-bit digit of `words` at `shift`: `order` into `into`. False (and nothing
 * written) when every image has the same digit, so the pass would change nothing.
 */
function radixPass(
  words: Uint32Array,
  shift: number,
  order: Uint32Array,
  into: Uint32Array,
  counts: Uint32Array,
): boolean {
  const n = order.length;
  counts.fill(0);
  // Counting needs no order: read the words front to back.
  for (let i = 0; i < n; i++) {
    const d = ((words[i] as number) >>> shift) & (DIGITS - 1);
    counts[d] = (counts[d] as number) + 1;
  }
  if (counts[((words[0] as number) >>> shift) & (DIGITS - 1)] === n) return false;
  let start = 0;
  for (let d = 0; d < DIGITS; d++) {
    const count = counts[d] as number;
    counts[d] = start;
    start += count;
  }
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    const d = ((words[i] as number) >>> shift) & (DIGITS - 1);
    const at = counts[d] as number;
    into[at] = i;
    counts[d] = at + 1;
  }
  return true;
}

/** The end of the run of equal push times starting at `start` in `order`. */
function runEnd(order: Uint32Array, push: Float64Array, start: number): number {
  const t = push[order[start] as number];
  let end = start + 1;
  while (end < order.length && push[order[end] as number] === t) end++;
  return end;
}

/** Youngest first, ties by digest: the oldest-first order backwards, each run of equal times forwards. */
export function youngestFirst(order: Uint32Array, push: Float64Array, scratch: Scratch = FRESH): Uint32Array {
  const n = order.length;
  const out = scratch.u32(n);
  let k = 0;
  for (let end = n - 1; end >= 0; ) {
    let start = end;
    while (start > 0 && push[order[start - 1] as number] === push[order[end] as number]) start--;
    for (let j = start; j <= end; j++) out[k++] = order[j] as number;
    end = start - 1;
  }
  return out;
}
