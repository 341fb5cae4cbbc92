import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { positionsIn } from '../../src/cleanup/domain/image-columns.ts';
import { sortOldestFirst } from '../../src/cleanup/domain/lifecycle-kernels.ts';
import { withScratch } from '../../src/cleanup/domain/scratch.ts';

/**
 * The engine's fast kernels against the obvious way of doing the same: a comparator sort by (time, digest), and a
 * Map of every digest. Times are drawn to hit each radix digit (spans past 2^32 and 2^48 ms), ties, and the
 * fractional times that take the comparator path.
 */

const hex = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);

function comparatorOrder(digests: readonly string[], push: readonly number[]): number[] {
  return digests
    .map((_, i) => i)
    .sort((a, b) => {
      const byTime = (push[a] as number) - (push[b] as number);
      if (byTime !== 0) return byTime;
      const da = digests[a] as string;
      const db = digests[b] as string;
      return da < db ? -1 : da > db ? 1 : 0;
    });
}

const base = 1_700_000_000_000;
const time = fc.oneof(
  fc.integer({ min: 0, max: 5 }).map((k) => base + k),
  fc.integer({ min: 0, max: 2 ** 40 }).map((k) => base + k),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - base }).map((k) => base + k),
  fc.double({ min: base, max: base + 1000, noNaN: true }),
);

describe('sortOldestFirst', () => {
  it('orders by time then digest, as a comparator sort does', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(hex, { minLength: 0, maxLength: 300 }),
        fc.array(time, { minLength: 300, maxLength: 300 }),
        fc.boolean(),
        (digests, times, fractional) => {
          const push = times.slice(0, digests.length).map((t) => (fractional ? t : Math.floor(t)));
          const expected = comparatorOrder(digests, push);
          const fresh = [...sortOldestFirst(digests, Float64Array.from(push))];
          const scratched = withScratch((s) => [...sortOldestFirst(digests, Float64Array.from(push), s)]);
          expect(fresh).toEqual(expected);
          expect(scratched).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sorts 100,000 times spread over years, with ties', () => {
    const n = 100_000;
    const digests = Array.from({ length: n }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    const push = Array.from({ length: n }, (_, i) => base + ((i * 7919) % 50_000) * 1_300_000);
    expect([...sortOldestFirst(digests, Float64Array.from(push))]).toEqual(comparatorOrder(digests, push));
  });
});

describe('positionsIn', () => {
  it('finds exactly the wanted digests that are listed, at their positions', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(hex, { maxLength: 200 }),
        fc.array(fc.oneof(hex, fc.string({ maxLength: 5 })), { maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 50 }),
        (digests, strangers, picks) => {
          const wanted = [
            ...strangers,
            ...picks.flatMap((p) => (digests.length ? [digests[p % digests.length] as string] : [])),
          ];
          const expected = new Map<string, number>();
          for (const w of wanted) {
            const i = digests.indexOf(w);
            if (i !== -1) expected.set(w, i);
          }
          const found = positionsIn(digests, wanted);
          expect(new Map([...found].sort())).toEqual(new Map([...expected].sort()));
        },
      ),
      { numRuns: 300 },
    );
  });
});
