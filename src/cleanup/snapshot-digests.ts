/**
 * The snapshot scanner's duplicate-digest table (snapshot-scan.ts): an open-addressing table of image positions
 * (+1) by a hash of each digest's bytes, hashed while they are in cache as the entry is read, and each image's hash
 * for growing it. A Set of the 100,000 digest strings cost ~45 ms more, hashing strings no longer in cache.
 */
import type { RepositoryImage } from './domain/images.ts';

/** A digest's place is found within this many probes, or the table gives up (a crafted file). */
const MAX_PROBES = 64;

export class DigestTable {
  private slots = new Int32Array(1 << 12);
  private readonly hashes: number[] = [];

  /**
   * Adds `images[position]` (position: the next one, `images.length` before it is pushed) under `hash`. False when
   * its digest is already there, or when more digests collide than real ones ever do: either way the scanner
   * leaves the file to the general reader.
   */
  add(images: readonly RepositoryImage[], image: RepositoryImage, hash: number): boolean {
    const position = this.hashes.length;
    if ((position + 1) * 2 > this.slots.length) this.grow();
    this.hashes.push(hash);
    const { slots } = this;
    const mask = slots.length - 1;
    for (let at = hash & mask, probes = 0; ; at = (at + 1) & mask, probes++) {
      const held = slots[at] as number;
      if (held === 0) {
        slots[at] = position + 1;
        return true;
      }
      if (probes === MAX_PROBES) return false;
      // The same hash, then the same digest. The hashes first: the image they would otherwise read is rarely
      // still in cache.
      if (this.hashes[held - 1] === hash && (images[held - 1] as RepositoryImage).digest === image.digest)
        return false;
    }
  }

  /** Doubles the table, placing every image again by its hash. */
  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let i = 0; i < this.hashes.length; i++) {
      let at = (this.hashes[i] as number) & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = i + 1;
    }
    this.slots = slots;
  }
}
