/**
 * Working memory for the typed arrays of one plan, kept between plans.
 *
 * Why: a plan of 100,000 images needs ~7 MB of typed arrays, which the allocator hands back to the operating
 * system when they are collected; the next plan then touches fresh pages, and on the virtual machines Lambda and
 * CI run on a first touch costs ~4 ms per MB (measured: a third of a plan's time went to page faults). Carving
 * the arrays from one buffer that stays allocated turns that into a memset.
 *
 * Safe because plans are synchronous and nothing a plan returns points into the buffer: the arrays are working
 * state only (plan.ts copies what it returns into plain objects). A nested plan gets a buffer of its own.
 */

/** Where a plan's typed arrays come from; every array is zero-filled, as `new XArray(n)` would be. */
export interface Scratch {
  u8(n: number): Uint8Array;
  i32(n: number): Int32Array;
  u32(n: number): Uint32Array;
  f64(n: number): Float64Array;
  /**
   * A plain array of length `n` (empty slots): for the columns of strings and lists. Kept between plans too —
   * filling a fresh 100,000-slot array costs ~3 ms of new memory, a kept one ~0.3 ms — and emptied after each
   * plan, so it never keeps a listing alive.
   */
  list<T>(n: number): T[];
}

/** Fresh arrays every time: for callers that keep what they get (an evaluation returned to its caller). */
export const FRESH: Scratch = {
  u8: (n) => new Uint8Array(n),
  i32: (n) => new Int32Array(n),
  u32: (n) => new Uint32Array(n),
  f64: (n) => new Float64Array(n),
  list: <T>(n: number) => new Array<T>(n),
};

/** At most this many plain arrays are kept (the plan asks for two). */
const KEEP_LISTS = 4;

/** Above this, a buffer is not kept after the plan: a one-off huge repository shouldn't pin its memory. */
const KEEP_AT_MOST = 64 * 1024 * 1024;

class Arena implements Scratch {
  private buffer: ArrayBuffer;
  private used = 0;
  /** Bytes asked for since the last reset, including what didn't fit (sizes the buffer for the next plan). */
  private asked = 0;

  /** Plain arrays: those handed out in this plan, then those idle. */
  private readonly lists: unknown[][] = [];
  private listsUsed = 0;

  constructor(bytes: number) {
    this.buffer = new ArrayBuffer(bytes);
  }

  list<T>(n: number): T[] {
    if (this.listsUsed === KEEP_LISTS) return new Array<T>(n);
    let list = this.lists[this.listsUsed];
    if (list === undefined) {
      list = new Array(n);
      this.lists.push(list);
    } else if (list.length !== n) {
      list.length = n;
    }
    this.listsUsed++;
    return list as T[];
  }

  /** The buffer and offset for `bytes` more, 8-byte aligned (Float64Array's alignment). */
  private take(bytes: number): { buffer: ArrayBuffer; at: number } {
    const at = (this.used + 7) & ~7;
    this.asked = ((this.asked + 7) & ~7) + bytes;
    if (at + bytes > this.buffer.byteLength) return { buffer: new ArrayBuffer(bytes), at: 0 };
    this.used = at + bytes;
    return { buffer: this.buffer, at };
  }

  u8(n: number): Uint8Array {
    const { buffer, at } = this.take(n);
    return new Uint8Array(buffer, at, n).fill(0);
  }

  i32(n: number): Int32Array {
    const { buffer, at } = this.take(n * 4);
    return new Int32Array(buffer, at, n).fill(0);
  }

  u32(n: number): Uint32Array {
    const { buffer, at } = this.take(n * 4);
    return new Uint32Array(buffer, at, n).fill(0);
  }

  f64(n: number): Float64Array {
    const { buffer, at } = this.take(n * 8);
    return new Float64Array(buffer, at, n).fill(0);
  }

  /** Ready for the next plan; false when it is not worth keeping. */
  reset(): boolean {
    for (let k = 0; k < this.listsUsed; k++) (this.lists[k] as unknown[]).fill(undefined);
    this.listsUsed = 0;
    if (this.asked > this.buffer.byteLength && this.asked <= KEEP_AT_MOST)
      this.buffer = new ArrayBuffer(this.asked);
    this.used = 0;
    this.asked = 0;
    return this.buffer.byteLength <= KEEP_AT_MOST;
  }
}

let idle: Arena | undefined;

/**
 * Runs `work` with the kept working memory (or, when a plan is already using it, a buffer of its own). Nothing
 * `work` returns may point into it.
 */
export function withScratch<T>(work: (scratch: Scratch) => T): T {
  const arena = idle ?? new Arena(0);
  idle = undefined;
  try {
    return work(arena);
  } finally {
    if (arena.reset()) idle = arena;
  }
}
