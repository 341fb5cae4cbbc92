import { isIndexMediaType } from './image-detail.ts';
import type { RepositoryImage } from './images.ts';
import type { LifecycleImage } from './lifecycle-evaluate.ts';
import { type MaskedFilter, type TagTest, tagsMatch, tagTestMatches } from './lifecycle-kernels.ts';
import type { LifecyclePolicy } from './lifecycle-policy.ts';
import { FRESH, type Scratch } from './scratch.ts';

/**
 * What the lifecycle engine and the plan read of every image, read in one pass into arrays by position.
 *
 * Why columns: a repository lists 100,000 images and more, as objects of several shapes (optional keys), so each
 * property read is a slow (megamorphic) load and the objects don't stay in cache between passes. One pass reads
 * them all; every rule, protection and order after it walks typed arrays.
 */
export interface ImageColumns {
  readonly n: number;
  readonly digests: readonly string[];
  readonly tags: readonly (readonly string[])[];
  /** 1 when the image has a tag. */
  readonly tagged: Uint8Array;
  /** The time that orders windows and ages `sinceImagePushed`: push time, or last activation for restored images. */
  readonly push: Float64Array;
  /** 1 when the image is in the archive storage class. */
  readonly archived: Uint8Array;
  /** `imageSizeInBytes` (0 when unknown). */
  readonly sizes: Float64Array;
  /** 1 for a plain image: neither an index nor a referrer. */
  readonly plain: Uint8Array;
  /** Positions of the images that reference others (an index whose manifest was read: `references`). */
  readonly referencing: readonly number[];
  /** Positions of the referrers (`subjectDigest`). */
  readonly referrers: readonly number[];
  /** True when some index's children are not known (its manifest wasn't read: a snapshot, an archived index). */
  readonly indexWithoutReferences: boolean;
  /** With a {@link TagScan}: the policy's filters' bits per image (see lifecycle-kernels.ts tagBits)… */
  readonly matched?: Int32Array;
  /** …of this policy. */
  readonly filtersOf?: LifecyclePolicy;
  /** With a {@link TagScan}: why a kept tag keeps the image, per position, e.g. `tag prod-1 matches … prod-*`. */
  readonly tagKeeps: ReadonlyMap<number, readonly string[]>;
  /** With a {@link TagScan}: the position of the image carrying each wanted tag. */
  readonly byTag: ReadonlyMap<string, number>;
}

/**
 * What else the pass tests on each tag, so that each tag string is read once in a plan (a pass over 100,000
 * images' tags costs more in memory reads than the tests in it).
 */
export interface TagScan {
  readonly policy: LifecyclePolicy;
  /** The policy's tagged-rule filters (lifecycle-kernels.ts policyFilters). */
  readonly filters: readonly MaskedFilter[];
  /** `keepTagPatterns`, compiled: a tag matching one keeps its image. */
  readonly keepers: readonly { readonly pattern: string; readonly test: TagTest }[];
  /** Tags whose image's position is wanted (uses that name a tag). */
  readonly wanted: ReadonlySet<string>;
}

/** Reads the columns of `images` in one pass (see {@link ImageColumns}). */
export function imageColumns(
  images: readonly (LifecycleImage | RepositoryImage)[],
  scan?: TagScan,
  scratch: Scratch = FRESH,
): ImageColumns {
  const n = images.length;
  const columns = {
    n,
    digests: scratch.list<string>(n),
    tags: scratch.list<readonly string[]>(n),
    tagged: scratch.u8(n),
    push: scratch.f64(n),
    archived: scratch.u8(n),
    sizes: scratch.f64(n),
    plain: scratch.u8(n),
    referencing: [] as number[],
    referrers: [] as number[],
    indexWithoutReferences: false,
    // Both keys always, not spread in when there is a scan: an object literal of one fixed shape keeps its
    // hidden class alive between plans. A shape built by a spread is reached only through transitions, which a
    // full collection may clear with the last plan's objects, taking the code optimized for it along (V8
    // deoptimizes it: "weak objects"), so the next plan would run unoptimized.
    matched: scan === undefined ? undefined : scratch.i32(n),
    filtersOf: scan?.policy,
    tagKeeps: new Map<number, string[]>(),
    byTag: new Map<string, number>(),
  };
  // The loop in a function of its own, so it is compiled whole rather than on the fly on every call.
  columns.indexWithoutReferences = fillColumns(images as readonly RepositoryImage[], columns);
  if (scan !== undefined) scanTags(scan, columns);
  return columns;
}

/** The {@link TagScan} over every tagged image's tags. */
function scanTags(
  scan: TagScan,
  c: {
    tags: readonly (readonly string[])[];
    archived: Uint8Array;
    matched?: Int32Array;
    tagKeeps: Map<number, string[]>;
    byTag: Map<string, number>;
  },
): void {
  const { filters, keepers, wanted } = scan;
  const matched = c.matched as Int32Array;
  for (let i = 0; i < c.tags.length; i++) {
    const tags = c.tags[i] as readonly string[];
    if (tags.length === 0) continue;
    let bits = 0;
    for (let b = 0; b < filters.length; b++) {
      const f = filters[b] as MaskedFilter;
      if (c.archived[i] === f.archive && tagsMatch(f.tests, tags)) bits |= f.bit;
    }
    matched[i] = bits;
    for (let t = 0; t < tags.length; t++) {
      const tag = tags[t] as string;
      // Indexed, not for…of: an iterator per tag is 2 MB of garbage per plan of 100,000 images.
      for (let k = 0; k < keepers.length; k++) {
        const keeper = keepers[k] as TagScan['keepers'][number];
        if (!tagTestMatches(keeper.test, tag)) continue;
        const reason = `tag ${tag} matches keepTagPatterns ${keeper.pattern}`;
        const list = c.tagKeeps.get(i);
        if (list === undefined) c.tagKeeps.set(i, [reason]);
        else list.push(reason);
        break;
      }
      if (wanted.size > 0 && wanted.has(tag)) c.byTag.set(tag, i);
    }
  }
}

/** Fills the columns from the images; true when some index's children are not known. */
function fillColumns(
  images: readonly RepositoryImage[],
  c: {
    digests: string[];
    tags: (readonly string[])[];
    tagged: Uint8Array;
    push: Float64Array;
    archived: Uint8Array;
    sizes: Float64Array;
    plain: Uint8Array;
    referencing: number[];
    referrers: number[];
  },
): boolean {
  let indexWithoutReferences = false;
  for (let i = 0; i < images.length; i++) {
    const image = images[i] as RepositoryImage;
    c.digests[i] = image.digest;
    const imageTags = image.tags;
    c.tags[i] = imageTags;
    c.tagged[i] = imageTags.length > 0 ? 1 : 0;
    // The push column (last activation, else push time) as two stores: one value of either time, the activation
    // time a field that may be absent, made V8 box each push time in a fresh heap number, 1.7 MB per plan.
    const activated = image.lastActivatedAt;
    if (activated === undefined) c.push[i] = image.pushedAt;
    else c.push[i] = activated;
    c.archived[i] = image.storageClass === 'archive' ? 1 : 0;
    c.sizes[i] = image.sizeBytes;
    const { references, subjectDigest } = image;
    const index = isIndexMediaType(image.manifestMediaType);
    if (references?.length) c.referencing.push(i);
    if (index && references === undefined) indexWithoutReferences = true;
    if (subjectDigest !== undefined) c.referrers.push(i);
    c.plain[i] = index || subjectDigest !== undefined ? 0 : 1;
  }
  return indexWithoutReferences;
}

/**
 * The position of each of `wanted` that is among `digests`, in one pass: a small map looked up 100,000 times costs
 * far less than a map of 100,000 digests built. Digests are unique within a repository's listing.
 *
 * Most listed digests are not wanted, so each first meets a 64-Kibit filter of the wanted digests' last
 * characters (8 KiB, in the processor's nearest cache): reading four characters costs less than a lookup in a
 * map of thousands, which would mostly miss.
 */
export function positionsIn(digests: readonly string[], wanted: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
  // Indexed and forEach: an iterator per step is garbage, thousands of times a plan.
  for (let k = 0; k < wanted.length; k++) found.set(wanted[k] as string, -1);
  if (found.size === 0) return found;
  const filter = new Int32Array(FILTER_BITS / 32);
  found.forEach((_, digest) => {
    const h = tailHash(digest);
    filter[h >>> 5] = (filter[h >>> 5] as number) | (1 << (h & 31));
  });
  for (let i = 0; i < digests.length; i++) {
    const digest = digests[i] as string;
    const h = tailHash(digest);
    if (((filter[h >>> 5] as number) & (1 << (h & 31))) === 0) continue;
    if (found.get(digest) === -1) found.set(digest, i);
  }
  found.forEach((i, digest) => {
    if (i === -1) found.delete(digest);
  });
  return found;
}

const FILTER_BITS = 1 << 16;

/** 16 bits from a string's last four characters (a digest's last hex digits), or its length when shorter. */
function tailHash(s: string): number {
  const n = s.length;
  if (n < 4) return n;
  const h =
    s.charCodeAt(n - 1) * 29_791 + s.charCodeAt(n - 2) * 961 + s.charCodeAt(n - 3) * 31 + s.charCodeAt(n - 4);
  return h & (FILTER_BITS - 1);
}
