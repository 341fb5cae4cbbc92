import { describe, expect, it } from 'vitest';
import type { RepositoryImage } from '../../src/cleanup/domain/images.ts';
import { DigestTable } from '../../src/cleanup/snapshot-digests.ts';

const image = (n: number) => ({ digest: `sha256:${n.toString(16).padStart(64, '0')}` }) as RepositoryImage;

/** Adds images 0… with `hashOf(n)`, as the scanner does; the answer of each add. */
function addAll(count: number, hashOf: (n: number) => number, at = (n: number) => image(n)): boolean[] {
  const table = new DigestTable();
  const images: RepositoryImage[] = [];
  const answers: boolean[] = [];
  for (let n = 0; n < count; n++) {
    const next = at(n);
    answers.push(table.add(images, next, hashOf(n)));
    images.push(next);
  }
  return answers;
}

describe('the snapshot scanner’s duplicate-digest table', () => {
  it('takes 100,000 distinct digests, growing as it goes', () => {
    expect(addAll(100_000, (n) => Math.imul(n, 2654435761) & 0x3fffffff).every(Boolean)).toBe(true);
  });

  it('refuses a digest seen before, even many entries later', () => {
    const answers = addAll(
      5_000,
      (n) => (n === 4_999 ? 7 : n),
      (n) => image(n === 4_999 ? 7 : n),
    );
    expect(answers.indexOf(false)).toBe(4_999);
  });

  it('keeps digests apart that share a hash', () => {
    expect(addAll(40, () => 12345).every(Boolean)).toBe(true);
  });

  it('gives up when more digests share a hash than real ones ever do (a crafted file)', () => {
    expect(addAll(80, () => 12345).indexOf(false)).toBe(65);
  });
});
