import type { RepositoryImage } from './images.ts';
import { EXPIRE, PlannedImages, ProtectedImages, TRANSITION } from './planned-images.ts';
import type { Scratch } from './scratch.ts';

/**
 * The plan's loops over every image (plan.ts calls them), one small function each: each runs once per plan over
 * 100,000 positions, and a small function is compiled whole after its first calls, where a loop inside one large
 * function was compiled on the fly (on-stack replacement) on every plan. They read typed arrays by position.
 */

/** `takenType` values: not taken, or what is done to the image (planned-images.ts). */
export const NONE = 0;
export { EXPIRE, TRANSITION };

/**
 * The order to delete the flagged positions in: oldest first, but a referrer (signature, SBOM) before its subject
 * and an index before the manifests it lists, so nothing is ever left pointing at a deleted image. Walks the
 * evaluation's oldest-first order rather than sorting again, so the result never depends on the input's order.
 */
export function orderDeletions(
  inSet: Uint8Array,
  subjectOf: Int32Array,
  childrenOf: ReadonlyMap<number, readonly number[]>,
  oldestFirst: () => Uint32Array,
  scratch: Scratch,
): Int32Array {
  const n = inSet.length;
  if (!inSet.includes(1)) return new Int32Array(0);
  /** Images (in the set) that must go before the key. */
  const before = new Map<number, number[]>();
  const hasBefore = scratch.u8(n);
  const mustPrecede = (t: number, i: number) => {
    if (t !== -1 && inSet[t] === 1) append(before, t, i, hasBefore);
  };
  // Built in the sorted order, so the result never depends on the input's order.
  const sorted = oldestFirst();
  for (let k = 0; k < n; k++) {
    const i = sorted[k] as number;
    if (inSet[i] === 0) continue;
    const children = childrenOf.size > 0 ? childrenOf.get(i) : undefined;
    if (children !== undefined)
      for (let c = 0; c < children.length; c++) mustPrecede(children[c] as number, i);
    if (subjectOf[i] !== -1) mustPrecede(subjectOf[i] as number, i);
  }
  const walk: DeletionWalk = {
    before,
    hasBefore,
    state: scratch.u8(n),
    out: scratch.i32(n),
    count: 0,
  };
  for (let k = 0; k < n; k++) {
    const i = sorted[k] as number;
    if (inSet[i] === 0 || walk.state[i] !== 0) continue;
    if (hasBefore[i] === 1) visit(walk, i);
    else {
      walk.state[i] = 2;
      walk.out[walk.count++] = i;
    }
  }
  return walk.out.subarray(0, walk.count);
}

/** A depth-first walk putting what must go first before each image. */
interface DeletionWalk {
  readonly before: ReadonlyMap<number, readonly number[]>;
  readonly hasBefore: Uint8Array;
  /** 0 new, 1 visiting, 2 done. */
  readonly state: Uint8Array;
  readonly out: Int32Array;
  count: number;
}

function visit(walk: DeletionWalk, i: number): void {
  if (walk.state[i] !== 0) return; // done, or a cycle (impossible with content addressing)
  walk.state[i] = 1;
  if (walk.hasBefore[i] === 1) {
    const firsts = walk.before.get(i) ?? [];
    for (let k = 0; k < firsts.length; k++) visit(walk, firsts[k] as number);
  }
  walk.state[i] = 2;
  walk.out[walk.count++] = i;
}

/** Appends to the list of `key`, and flags the key (a position) in `has` when given. */
export function append<K, V>(map: Map<K, V[]>, key: K, value: V, has?: Uint8Array): void {
  if (has !== undefined) has[key as number] = 1;
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * The evaluation's answer as what the plan changes: the kind (NONE, EXPIRE, TRANSITION) and rule priority of
 * each image taken, and the positions taken in order, with room for referrers that join them later.
 */
export class Taken {
  constructor(
    readonly takenType: Uint8Array,
    readonly takenRule: Int32Array,
    /** Positions taken, in order; room for `takenType.length` (referrers join later). */
    readonly positions: Int32Array,
    /** How many of `positions` the evaluation took. */
    readonly count: number,
  ) {}
}

/** {@link Taken} from the evaluation's rule index per position (-1: kept) and the decisions' kinds and rules. */
export function takenOf(
  takenBy: Int32Array,
  decisionType: Uint8Array,
  decisionRule: Int32Array,
  scratch: Scratch,
): Taken {
  const n = takenBy.length;
  const takenType = scratch.u8(n);
  const takenRule = scratch.i32(n);
  // Each image is taken at most once, so `n` is room enough.
  const positions = scratch.i32(n);
  const count = fillTaken(takenBy, decisionType, decisionRule, takenType, takenRule, positions);
  return new Taken(takenType, takenRule, positions, count);
}

/**
 * {@link takenOf}'s loop, in a function that ends with it: run once a plan, the loop is compiled as it runs (on-stack
 * replacement), and code of that compilation met after it deoptimized takenOf in every plan. How many were taken.
 */
function fillTaken(
  takenBy: Int32Array,
  decisionType: Uint8Array,
  decisionRule: Int32Array,
  takenType: Uint8Array,
  takenRule: Int32Array,
  positions: Int32Array,
): number {
  let count = 0;
  for (let i = 0; i < takenBy.length; i++) {
    const r = takenBy[i] as number;
    if (r === -1) continue;
    takenType[i] = decisionType[r] as number;
    takenRule[i] = decisionRule[r] as number;
    positions[count++] = i;
  }
  return count;
}

/** The first `count` of `positions` flagged in `flags`, in order. */
export function pick(positions: Int32Array, count: number, flags: Uint8Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < count; k++) if (flags[positions[k] as number] === 1) out.push(positions[k] as number);
  return out;
}

/** What {@link plannedAt} reads to describe each image taken. */
export interface Outcome {
  readonly images: readonly RepositoryImage[];
  readonly takenType: Uint8Array;
  readonly takenRule: Int32Array;
  readonly notes: ReadonlyMap<number, string>;
  /** 1 at the positions `notes` has an entry for: tested per image, where a map lookup per image cost ~4 ms. */
  readonly noted: Uint8Array;
  readonly sizes: Float64Array;
}

/** The planned images at `positions`, in that order, and their bytes. */
export function plannedAt(o: Outcome, positions: Int32Array): { list: PlannedImages; bytes: number } {
  const count = positions.length;
  // Returned with the plan: not scratch.
  const at = Int32Array.from(positions);
  const kinds = new Uint8Array(count);
  const rules = new Int32Array(count);
  const notes = new Map<number, string>();
  let bytes = 0;
  for (let k = 0; k < count; k++) {
    const i = positions[k] as number;
    kinds[k] = o.takenType[i] as number;
    rules[k] = o.takenRule[i] as number;
    if (o.noted[i] === 1) notes.set(k, o.notes.get(i) as string);
    bytes += o.sizes[i] as number;
  }
  return { list: new PlannedImages(o.images, at, kinds, rules, notes), bytes };
}

/** Flags (1) the taken positions that expire. */
export function expiringSet(
  positions: Int32Array,
  count: number,
  takenType: Uint8Array,
  scratch: Scratch,
): Uint8Array {
  const inSet = scratch.u8(takenType.length);
  for (let k = 0; k < count; k++) {
    const i = positions[k] as number;
    if (takenType[i] === EXPIRE) inSet[i] = 1;
  }
  return inSet;
}

/** The positions taken as `type`, in position order. */
export function positionsOfType(takenType: Uint8Array, type: number, scratch: Scratch): Int32Array {
  let count = 0;
  for (let i = 0; i < takenType.length; i++) if (takenType[i] === type) count++;
  const out = scratch.i32(count);
  for (let i = 0, k = 0; i < takenType.length; i++) if (takenType[i] === type) out[k++] = i;
  return out;
}

/**
 * Reasons by position, each position holding the id of an interned list. Thousands of images share one list
 * (`younger than 7 days`, `may be an index child…`), so a list per image — and a map entry for each — was a
 * plan's largest allocation when a snapshot hides its indexes' children (measured: the two maps were a fifth of
 * such a plan). Lists are frozen and shared between images: nothing a plan returns may change them.
 */
export class ReasonLists {
  /**
   * Kept for the module's life: it keeps the class's hidden class alive. Otherwise a plan's own instances are its
   * only users, and a full collection between plans clears it together with the code optimized for it (V8
   * deoptimizes that code: "weak objects"), so the next plan would start unoptimized.
   */
  static readonly SHAPE = new ReasonLists(new Int32Array(0));

  /** 0: no reason. */
  readonly ids: Int32Array;
  private readonly lists: (readonly string[])[] = [Object.freeze([])];
  /** From a list, by a reason added to it, to the list with it. */
  private readonly edges: (Map<string, number> | undefined)[] = [undefined];

  constructor(ids: Int32Array) {
    this.ids = ids;
  }

  /** Adds `reason` to position `i`'s list, once. */
  add(i: number, reason: string): void {
    const id = this.ids[i] as number;
    let edges = this.edges[id];
    let to = edges?.get(reason);
    if (to === undefined) {
      const list = this.lists[id] as readonly string[];
      if (list.includes(reason)) to = id;
      else {
        to = this.lists.length;
        this.lists.push(Object.freeze([...list, reason]));
        this.edges.push(undefined);
      }
      if (edges === undefined) {
        edges = new Map();
        this.edges[id] = edges;
      }
      edges.set(reason, to);
    }
    this.ids[i] = to;
  }

  has(i: number): boolean {
    return this.ids[i] !== 0;
  }

  /** Position `i`'s reasons (empty when none), in the order added. */
  of(i: number): readonly string[] {
    return this.lists[this.ids[i] as number] as readonly string[];
  }
}

/** The protected images, in listing order: those `kept` gives reasons for, with the rule that would take each. */
export function protectedOf(
  images: readonly RepositoryImage[],
  kept: ReasonLists,
  keptRule: Int32Array,
): ProtectedImages {
  const { ids } = kept;
  let count = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== 0) count++;
  // Returned with the plan: not scratch.
  const positions = new Int32Array(count);
  const rules = new Int32Array(count);
  const reasons = new Array<readonly string[]>(count);
  for (let i = 0, k = 0; i < ids.length; i++) {
    if (ids[i] === 0) continue;
    positions[k] = i;
    rules[k] = keptRule[i] as number;
    reasons[k++] = kept.of(i);
  }
  return new ProtectedImages(images, positions, rules, reasons);
}
