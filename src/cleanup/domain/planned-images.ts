import type { RepositoryImage } from './images.ts';

/** What a plan does to an image, in GetLifecyclePolicyPreview's words. */
export type PlanActionType = 'EXPIRE' | 'TRANSITION';

/** One image a plan takes, as consumers read it (made when read: see {@link PlannedImages}). */
export interface PlannedImage {
  readonly image: RepositoryImage;
  readonly action: { readonly type: PlanActionType; readonly targetStorageClass?: 'ARCHIVE' };
  /** The rule that takes the image (for a referrer taken with its subject: the subject's rule). */
  readonly appliedRulePriority: number;
  /** Why an image the policy didn't select goes anyway, e.g. `referrer of sha256:… (expiring)`. */
  readonly note?: string;
}

/** What a plan does to each image, as the plan's columns hold it (`kinds`; plan-kernels.ts adds NONE = 0). */
export const EXPIRE = 1;
export const TRANSITION = 2;

const EXPIRE_ACTION: PlannedImage['action'] = Object.freeze({ type: 'EXPIRE' });
const TRANSITION_ACTION: PlannedImage['action'] = Object.freeze({
  type: 'TRANSITION',
  targetStorageClass: 'ARCHIVE',
});

/**
 * A list whose entries are made when read, from columns a plan fills: `length` and `at` by the subclass, the
 * rest (iteration, `map`, `slice`, JSON) here.
 */
abstract class ListMadeOnRead<T> implements Iterable<T> {
  abstract get length(): number;

  /** The k-th entry, or undefined past the end. */
  abstract at(k: number): T | undefined;

  map<R>(fn: (item: T, k: number) => R): R[] {
    const out = new Array<R>(this.length);
    for (let k = 0; k < this.length; k++) out[k] = fn(this.at(k) as T, k);
    return out;
  }

  /** Entries `from` to `to` (exclusive), made. */
  slice(from = 0, to = this.length): T[] {
    const out: T[] = [];
    for (let k = Math.max(0, from); k < Math.min(to, this.length); k++) out.push(this.at(k) as T);
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let k = 0; k < this.length; k++) yield this.at(k) as T;
  }

  /** As JSON (and to people): the entries. */
  toJSON(): T[] {
    return this.slice();
  }
}

/**
 * The images a plan takes, in order, held as columns — positions in the repository's listing, each one's action
 * and rule, the few notes — rather than as an object per image: a plan of 100,000 images takes ~90,000, and an
 * object each, all alive until the plan is done with, cost the plan more than its lifecycle rules (measured:
 * ~45 ms against ~6 ms for the list of images alone; positions instead of that list save its ~3 ms of fresh
 * memory too). Reading an entry (`at`, iteration, `map`) makes its {@link PlannedImage} then; most readers want
 * only the count, the digests or a page of entries.
 */
export class PlannedImages extends ListMadeOnRead<PlannedImage> {
  static readonly EMPTY = new PlannedImages(
    [],
    new Int32Array(0),
    new Uint8Array(0),
    new Int32Array(0),
    new Map(),
  );

  private listed: readonly RepositoryImage[] | undefined;

  /**
   * @param source the repository's listing the positions point into (kept as given, not copied)
   * @param positions the entries' positions in `source`, in order
   * @param kinds 1 expire, 2 transition, by entry
   * @param rules the applied rule priority, by entry
   * @param notes the note of an entry, by entry index, for the few that have one
   */
  constructor(
    private readonly source: readonly RepositoryImage[],
    private readonly positions: Int32Array,
    private readonly kinds: Uint8Array,
    private readonly rules: Int32Array,
    private readonly notes: ReadonlyMap<number, string>,
  ) {
    super();
  }

  /** The list of these planned images (for lists not made by a plan: tests, a notice's subset). */
  static of(list: readonly PlannedImage[]): PlannedImages {
    const notes = new Map<number, string>();
    list.forEach((p, k) => {
      if (p.note !== undefined) notes.set(k, p.note);
    });
    return new PlannedImages(
      list.map((p) => p.image),
      Int32Array.from(list, (_, k) => k),
      Uint8Array.from(list, (p) => (p.action.type === 'EXPIRE' ? EXPIRE : TRANSITION)),
      Int32Array.from(list, (p) => p.appliedRulePriority),
      notes,
    );
  }

  get length(): number {
    return this.positions.length;
  }

  /** The images, in order (listed on first use). */
  get images(): readonly RepositoryImage[] {
    this.listed ??= Array.from(this.positions, (i) => this.source[i] as RepositoryImage);
    return this.listed;
  }

  at(k: number): PlannedImage | undefined {
    if (k < 0 || k >= this.positions.length) return undefined;
    const image = this.source[this.positions[k] as number] as RepositoryImage;
    const action = this.kinds[k] === EXPIRE ? EXPIRE_ACTION : TRANSITION_ACTION;
    const appliedRulePriority = this.rules[k] as number;
    const note = this.notes.size === 0 ? undefined : this.notes.get(k);
    return note === undefined
      ? { image, action, appliedRulePriority }
      : { image, action, appliedRulePriority, note };
  }

  /** The digests, in order (no entry made). */
  digests(): string[] {
    return Array.from(this.positions, (i) => (this.source[i] as RepositoryImage).digest);
  }

  /** The entries `keep` accepts, in order. */
  filter(keep: (planned: PlannedImage) => boolean): PlannedImages {
    const chosen: number[] = [];
    for (let k = 0; k < this.positions.length; k++) if (keep(this.at(k) as PlannedImage)) chosen.push(k);
    const notes = new Map<number, string>();
    chosen.forEach((k, j) => {
      const note = this.notes.get(k);
      if (note !== undefined) notes.set(j, note);
    });
    return new PlannedImages(
      this.source,
      Int32Array.from(chosen, (k) => this.positions[k] as number),
      Uint8Array.from(chosen, (k) => this.kinds[k] as number),
      Int32Array.from(chosen, (k) => this.rules[k] as number),
      notes,
    );
  }
}

/** An image a plan would take but keeps, and why (made when read: see {@link ProtectedImages}). */
export interface ProtectedImage {
  readonly image: RepositoryImage;
  /** The rule that would have taken the image. */
  readonly appliedRulePriority: number;
  /** Every reason it is kept, e.g. `in use: ECS task … runs it`, `younger than 7 days`. */
  readonly reasons: readonly string[];
}

/**
 * The images a plan keeps from its rules, in listing order, as columns (positions, rules, and each one's list of
 * reasons, shared between images): a snapshot that hides its indexes' children keeps ~45,000 of 100,000, and an
 * object each made up front was a sixth of such a plan (measured).
 */
export class ProtectedImages extends ListMadeOnRead<ProtectedImage> {
  static readonly EMPTY = new ProtectedImages([], new Int32Array(0), new Int32Array(0), []);

  /**
   * @param source the repository's listing the positions point into
   * @param positions the entries' positions in `source`, in order
   * @param rules the rule that would take each, by entry
   * @param reasons each entry's reasons (lists may be shared between entries; never changed)
   */
  constructor(
    private readonly source: readonly RepositoryImage[],
    private readonly positions: Int32Array,
    private readonly rules: Int32Array,
    private readonly reasons: readonly (readonly string[])[],
  ) {
    super();
  }

  get length(): number {
    return this.positions.length;
  }

  at(k: number): ProtectedImage | undefined {
    if (k < 0 || k >= this.positions.length) return undefined;
    return {
      image: this.source[this.positions[k] as number] as RepositoryImage,
      appliedRulePriority: this.rules[k] as number,
      reasons: this.reasons[k] as readonly string[],
    };
  }
}
