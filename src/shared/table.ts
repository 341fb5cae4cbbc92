/**
 * The single DynamoDB table (serverless.yml `SentinelTable`: string keys `pk` and `sk`, no index): every
 * entity's key prefixes and access patterns in one place, and the key builders adapters use. A new entity
 * takes prefixes no other entity uses (test/shared/table.test.ts checks). Keys are stored data: changing a
 * prefix orphans every item written with the old one.
 *
 * | entity (owner)             | pk                              | sk                   |
 * |----------------------------|---------------------------------|----------------------|
 * | image (inventory)          | `REPO#<repository>`             | `IMAGE#<digest>`     |
 * | verdict (scan-gate)        | `VERDICT#<repository>#<digest>` | `LATEST`             |
 * | verdict history (scan-gate)| `VERDICT#<repository>#<digest>` | `EVAL#<evaluatedAt>` |
 * | promotion (reserved)       | `PROMOTION#…`                   |                      |
 * | cleanup (reserved)         | `CLEANUP#…`                     |                      |
 * | compliance (reserved)      | `COMPLIANCE#…`                  |                      |
 *
 * Verdicts have a partition per image rather than items in the inventory's `REPO#<repository>` partition:
 * a repository's inventory query stays free of verdicts, and a busy repository's writes spread out. Neither a
 * repository name nor a digest can contain `#`, so every key is unambiguous.
 */

/** One entity (or family of items sharing a partition) in the table. */
export interface TableEntity {
  /** The capability whose adapter reads and writes these items. */
  owner: string;
  /** Every partition key of the entity starts with this. */
  pkPrefix: string;
  /** Sort keys (or their prefixes) by what they hold; none while reserved. */
  sk: Readonly<Record<string, string>>;
  /** How the items are written and read; none while reserved. */
  accessPatterns: readonly string[];
}

export const TABLE_ENTITIES = {
  image: {
    owner: 'inventory',
    pkPrefix: 'REPO#',
    sk: { image: 'IMAGE#' },
    accessPatterns: ['record a pushed image: UpdateItem by repository and digest (tags only grow)'],
  },
  verdict: {
    owner: 'scan-gate',
    pkPrefix: 'VERDICT#',
    sk: { latest: 'LATEST', history: 'EVAL#' },
    accessPatterns: [
      "an image's latest verdict: GetItem sk LATEST (consistent read)",
      'store an evaluation: BatchWriteItem of LATEST and EVAL#<evaluatedAt>',
      "an image's evaluations, oldest first: Query begins_with(sk, EVAL#)",
    ],
  },
  promotion: { owner: 'promotion', pkPrefix: 'PROMOTION#', sk: {}, accessPatterns: [] },
  cleanup: { owner: 'cleanup', pkPrefix: 'CLEANUP#', sk: {}, accessPatterns: [] },
  compliance: { owner: 'compliance', pkPrefix: 'COMPLIANCE#', sk: {}, accessPatterns: [] },
} as const satisfies Readonly<Record<string, TableEntity>>;

/** The primary key of one item. */
export interface TableKey {
  pk: string;
  sk: string;
}

const { image, verdict } = TABLE_ENTITIES;

/** An image record of the inventory: one partition per repository, one item per digest. */
export function imageKey(repositoryName: string, imageDigest: string): TableKey {
  return { pk: `${image.pkPrefix}${repositoryName}`, sk: `${image.sk.image}${imageDigest}` };
}

/** The verdicts of one image: its latest evaluation and every evaluation as history. */
export const verdictKeys = {
  partition: (repositoryName: string, imageDigest: string): string =>
    `${verdict.pkPrefix}${repositoryName}#${imageDigest}`,
  latest: (repositoryName: string, imageDigest: string): TableKey => ({
    pk: verdictKeys.partition(repositoryName, imageDigest),
    sk: verdict.sk.latest,
  }),
  history: (repositoryName: string, imageDigest: string, evaluatedAt: string): TableKey => ({
    pk: verdictKeys.partition(repositoryName, imageDigest),
    sk: `${verdict.sk.history}${evaluatedAt}`,
  }),
  /** What every history item's sk begins with (for a Query). */
  historyPrefix: verdict.sk.history,
};
