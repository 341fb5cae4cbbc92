import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RepositorySnapshot, readSnapshot, readSnapshotBytes } from '../../src/cleanup/snapshot.ts';
import { scanSnapshot } from '../../src/cleanup/snapshot-scan.ts';
import { bytesReader } from './snapshot-fixtures.ts';

/**
 * The byte scanner behind `cleanup plan --snapshot`: it must take the usual listing (that is its point), and
 * on anything else step aside so the text path answers — test/cleanup/snapshot.test.ts checks every case there
 * gives the same snapshot or error both ways; here, which path answers and that random listings agree.
 */

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function entry(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    registryId: '123456789012',
    repositoryName: 'orders-api',
    imageDigest: digestOf(n),
    imageTags: [`v${n}`],
    imageSizeInBytes: 1000 + n,
    imagePushedAt: '2026-11-20T10:00:00+00:00',
    imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactMediaType: 'application/vnd.oci.image.config.v1+json',
    imageStatus: 'ACTIVE',
    ...overrides,
  };
}

const listing = (entries: Record<string, unknown>[], extra: Record<string, unknown> = {}, indent = 4) =>
  JSON.stringify({ imageDetails: entries, ...extra }, null, indent);

function scan(text: string, pieceSize?: number) {
  return scanSnapshot(bytesReader(Buffer.from(text), pieceSize)());
}

describe('the scanner takes the usual listing', () => {
  it.each([
    ['CLI v2 output', listing([entry(1), entry(2, { imageTags: undefined })])],
    ['compact JSON', listing([entry(1)], {}, 0)],
    ['epoch seconds (CLI v1)', listing([entry(1, { imagePushedAt: 1795168800.5 })])],
    [
      'pages one after another',
      `${listing([entry(1)])}\n${listing([entry(2)], { nextToken: 'x' })}\n${listing([entry(3)])}`,
    ],
    ['the imageDetails array alone', JSON.stringify([entry(1), entry(2)], null, 2)],
    [
      'fields it does not read, of any shape',
      listing([
        entry(1, {
          imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
          imageScanFindingsSummary: {
            findingSeverityCounts: { HIGH: 2 },
            scanned: true,
            note: null,
            x: [1.5e3, -2, []],
          },
        }),
      ]),
    ],
    ['UTF-8 text', listing([entry(1, { imageTags: ['vé-1', '版本'] })])],
  ])('%s', (_label, text) => {
    const scanned = scan(text);
    expect(scanned).toBeDefined();
    expect(scanned).toEqual(readSnapshot(text, 's.json'));
  });

  it('reads a listing larger than its window in pieces of any size', () => {
    const entries = Array.from({ length: 4000 }, (_, n) => entry(n, { imageTags: [`v${n}`, `build-${n}`] }));
    const text = listing(entries);
    expect(text.length).toBeGreaterThan(2 * 1024 * 1024);
    const expected = readSnapshot(text, 's.json');
    for (const piece of [1 << 20, 4093, 997]) expect(scan(text, piece)).toEqual(expected);
    const small = listing(entries.slice(0, 3));
    expect(scan(small, 1)).toEqual(readSnapshot(small, 's.json'));
  });
});

describe('the scanner steps aside for anything else', () => {
  it.each([
    ['an escape in a string', listing([entry(1, { imageTags: ['a"b'] })])],
    [
      'a repeated key',
      listing([entry(1)]).replace(
        '"imageStatus": "ACTIVE"',
        '"imageStatus": "ACTIVE", "imageStatus": "ARCHIVED"',
      ),
    ],
    ['a digest listed twice', `${listing([entry(1)])}${listing([entry(1)])}`],
    ['a byte-order mark', `\ufeff${listing([entry(1)])}`],
    ['a truncated listing', listing([entry(1)], { NextToken: 'eyJ9' })],
    ['two repositories', listing([entry(1), entry(2, { repositoryName: 'payments-api' })])],
    ['an entry larger than its window', listing([entry(1, { padding: 'x'.repeat(2 * 1024 * 1024) })])],
    [
      'a number with a leading zero',
      listing([entry(1)]).replace('"imageSizeInBytes": 1001', '"imageSizeInBytes": 01001'),
    ],
    ['a null field', listing([entry(1, { registryId: null })])],
    ['no images', listing([])],
    ['not JSON', '{"imageDetails": ['],
  ])('%s', (_label, text) => {
    expect(scan(text)).toBeUndefined();
  });
});

/** Both readers, as the CLI uses them: the same snapshot or the same error. */
function bothWays(text: string): { snapshot?: RepositorySnapshot; error?: string } {
  const outcome = (reader: () => RepositorySnapshot) => {
    try {
      return { snapshot: reader() };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const asText = outcome(() => readSnapshot(text, 's.json'));
  expect(outcome(() => readSnapshotBytes(bytesReader(Buffer.from(text), 61), 's.json'))).toEqual(asText);
  return asText;
}

describe('random listings read the same both ways', () => {
  const tag = fc.string({
    unit: fc.constantFrom('a', 'b', '1', '-', '.', '_', 'é', '"', '\\', '\n', '€'),
    minLength: 1,
    maxLength: 6,
  });
  const time = fc.oneof(
    fc.constantFrom('2026-11-20T10:00:00+00:00', '2026-11-20T10:00:00Z', '2026-02-29T10:00:00+00:00', 'soon'),
    fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }),
    fc.double({ min: 1_600_000_000, max: 1_900_000_000, noNaN: true }),
  );
  const randomEntry = fc.record(
    {
      n: fc.integer({ min: 0, max: 20 }),
      imageTags: fc.array(tag, { maxLength: 3 }),
      imageSizeInBytes: fc.oneof(fc.nat(), fc.constant(-1), fc.constant(1.5)),
      imagePushedAt: time,
      lastRecordedPullTime: time,
      imageStatus: fc.constantFrom('ACTIVE', 'ARCHIVED', 'ACTIVATING', 'FROZEN'),
      repositoryName: fc.constantFrom('orders-api', 'orders-api', 'orders-api', 'payments'),
      extra: fc.jsonValue({ maxDepth: 2 }),
      // Keys in another order than the entries before: the scanner guesses each key from the last entry's order.
      reversed: fc.boolean(),
    },
    { requiredKeys: ['n'] },
  );
  it('agree on the snapshot or on the error', () => {
    fc.assert(
      fc.property(
        fc.array(randomEntry, { minLength: 0, maxLength: 6 }),
        fc.constantFrom(0, 2, 4),
        fc.boolean(),
        (entries, indent, bare) => {
          const details = entries.map(({ n, extra, reversed, ...fields }) => {
            const detail = { ...entry(n), ...fields, extra };
            return reversed ? Object.fromEntries(Object.entries(detail).reverse()) : detail;
          });
          bothWays(bare ? JSON.stringify(details, null, indent) : listing(details, {}, indent));
        },
      ),
      { numRuns: 300 },
    );
  });
});
