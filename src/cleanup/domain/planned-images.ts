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
 * The images a plan takes, in order, held as columns — the images, each one's action and rule, the few notes —
 * rather than as an object per image: a plan of 100,000 images takes ~90,000, and an object each, all alive
 * until the plan is done with, cost the plan more than its lifecycle rules (measured: ~45 ms against ~6 ms for
 * the list of images alone). Reading an entry (`at`, iteration, `map`) makes its {@link PlannedImage} then; most
 * readers want only the count, the digests or a page of entries.
 */
export class PlannedImages implements Iterable<PlannedImage> {
  static readonly EMPTY = new PlannedImages([], new Uint8Array(0), new Int32Array(0), new Map());

  /**
   * @param images the images, in order
   * @param kinds 1 expire, 2 transition, by entry
   * @param rules the applied rule priority, by entry
   * @param notes the note of an entry, by entry index, for the few that have one
   */
  constructor(
    readonly images: readonly RepositoryImage[],
    private readonly kinds: Uint8Array,
    private readonly rules: Int32Array,
    private readonly notes: ReadonlyMap<number, string>,
  ) {}

  /** The list of these planned images (for lists not made by a plan: tests, a notice's subset). */
  static of(list: readonly PlannedImage[]): PlannedImages {
    const notes = new Map<number, string>();
    list.forEach((p, k) => {
      if (p.note !== undefined) notes.set(k, p.note);
    });
    return new PlannedImages(
      list.map((p) => p.image),
      Uint8Array.from(list, (p) => (p.action.type === 'EXPIRE' ? EXPIRE : TRANSITION)),
      Int32Array.from(list, (p) => p.appliedRulePriority),
      notes,
    );
  }

  get length(): number {
    return this.images.length;
  }

  /** The k-th entry, or undefined past the end. */
  at(k: number): PlannedImage | undefined {
    if (k < 0 || k >= this.images.length) return undefined;
    const image = this.images[k] as RepositoryImage;
    const action = this.kinds[k] === EXPIRE ? EXPIRE_ACTION : TRANSITION_ACTION;
    const appliedRulePriority = this.rules[k] as number;
    const note = this.notes.size === 0 ? undefined : this.notes.get(k);
    return note === undefined
      ? { image, action, appliedRulePriority }
      : { image, action, appliedRulePriority, note };
  }

  /** The digests, in order (no entry made). */
  digests(): string[] {
    return this.images.map((image) => image.digest);
  }

  map<T>(fn: (planned: PlannedImage, k: number) => T): T[] {
    const out = new Array<T>(this.images.length);
    for (let k = 0; k < this.images.length; k++) out[k] = fn(this.at(k) as PlannedImage, k);
    return out;
  }

  /** The entries `keep` accepts, in order. */
  filter(keep: (planned: PlannedImage) => boolean): PlannedImages {
    const chosen: number[] = [];
    for (let k = 0; k < this.images.length; k++) if (keep(this.at(k) as PlannedImage)) chosen.push(k);
    const notes = new Map<number, string>();
    chosen.forEach((k, j) => {
      const note = this.notes.get(k);
      if (note !== undefined) notes.set(j, note);
    });
    return new PlannedImages(
      chosen.map((k) => this.images[k] as RepositoryImage),
      Uint8Array.from(chosen, (k) => this.kinds[k] as number),
      Int32Array.from(chosen, (k) => this.rules[k] as number),
      notes,
    );
  }

  /** Entries `from` to `to` (exclusive), made. */
  slice(from = 0, to = this.images.length): PlannedImage[] {
    const out: PlannedImage[] = [];
    for (let k = Math.max(0, from); k < Math.min(to, this.images.length); k++)
      out.push(this.at(k) as PlannedImage);
    return out;
  }

  *[Symbol.iterator](): Iterator<PlannedImage> {
    for (let k = 0; k < this.images.length; k++) yield this.at(k) as PlannedImage;
  }

  /** As JSON (and to people): the entries. */
  toJSON(): PlannedImage[] {
    return this.slice();
  }
}
