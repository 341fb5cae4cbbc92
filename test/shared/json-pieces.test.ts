import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../src/shared/cli.ts';

/** writeJson prints in pieces; joined, they must be exactly what one JSON.stringify(value, null, 2) prints. */
describe('jsonPieces', () => {
  const images = Array.from({ length: 450 }, (_, i) => ({
    digest: `sha256:${i}`,
    tags: i % 2 ? [] : ['v'],
    n: i,
  }));
  it.each([
    [
      'a plan-like document with long arrays',
      { now: 'x', previewResults: images, protected: [], summary: { a: 1 } },
    ],
    ['an array exactly one slice long', { list: images.slice(0, 200) }],
    ['a slice and one more', { list: images.slice(0, 201) }],
    ['properties JSON leaves out', { a: undefined, b: () => 1, c: null, d: [undefined] }],
    ['an empty object', {}],
    ['only left-out properties', { a: undefined }],
    ['a top-level array', images],
    ['a string', 'text "quoted"\n'],
    ['an object with toJSON', { toJSON: () => ({ replaced: true }) }],
    ['a Date', new Date('2026-11-27T00:00:00Z')],
  ])('%s', (_case, value) => {
    expect([...jsonPieces(value)].join('')).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });
});
