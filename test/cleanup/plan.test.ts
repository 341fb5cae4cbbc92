import { describe, expect, it } from 'vitest';
import type { RepositoryImage } from '../../src/cleanup/domain/images.ts';
import { parseLifecyclePolicyOrThrow } from '../../src/cleanup/domain/lifecycle-policy.ts';
import {
  capRefusal,
  monthlyCostUsd,
  planRepository,
  type RepositoryPlanInput,
} from '../../src/cleanup/domain/plan.ts';

const NOW = new Date('2026-11-27T12:00:00Z');
const DAY = 86_400_000;
const GB = 1024 ** 3;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function image(name: string, daysOld: number, extra: Partial<RepositoryImage> = {}): RepositoryImage {
  return {
    digest: `sha256:${name.padEnd(64, '0')}`,
    tags: [],
    pushedAt: NOW.getTime() - daysOld * DAY,
    storageClass: 'standard',
    sizeBytes: GB,
    manifestMediaType: MANIFEST,
    ...extra,
  };
}
const d = (name: string) => `sha256:${name.padEnd(64, '0')}`;

/** Expire untagged images older than 1 day; keep the 2 newest tagged. */
const POLICY = parseLifecyclePolicyOrThrow({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 },
      action: { type: 'expire' },
    },
  ],
});

function input(images: RepositoryImage[], over: Partial<RepositoryPlanInput> = {}): RepositoryPlanInput {
  return {
    repositoryName: 'orders-api-dev',
    images,
    policy: POLICY,
    protect: { minAgeDays: 0, keepTagPatterns: [] },
    uses: [],
    doubts: [],
    maxDeletions: { images: 1000, percent: 100 },
    pricePerGbMonth: 0.1,
    now: NOW,
    ...over,
  };
}

const expiringOf = (plan: ReturnType<typeof planRepository>) => plan.expiring.map((p) => p.image.digest);
const protectedOf = (plan: ReturnType<typeof planRepository>) =>
  Object.fromEntries(plan.protected.map((p) => [p.image.digest, p.reasons]));

describe('planRepository', () => {
  it('expires what the policy takes and prices it in GB-months', () => {
    const plan = planRepository(
      input([
        image('a', 10),
        image('b', 5, { tags: ['v2'] }),
        image('c', 3, { tags: ['v3'] }),
        image('e', 1, { tags: ['v4'] }),
      ]),
    );
    expect(plan.status).toBe('planned');
    expect(expiringOf(plan)).toEqual([d('a'), d('b')]);
    expect(plan.expiring.map((p) => p.appliedRulePriority)).toEqual([1, 2]);
    expect(plan.bytesReclaimed).toBe(2 * GB);
    expect(plan.monthlySavingsUsd).toBe(0.2);
    expect(plan.keptCount).toBe(2);
  });

  it('keeps an image in use by digest, and one in use by tag resolved to the digest carrying it now', () => {
    const plan = planRepository(
      input(
        [
          image('a', 10, { tags: ['old'] }),
          image('b', 9, { tags: ['v1'] }),
          image('c', 3, { tags: ['v2'] }),
          image('e', 2, { tags: ['v3'] }),
        ],
        {
          uses: [
            {
              repositoryName: 'orders-api-dev',
              digest: d('a'),
              reason: 'ECS task t1 (cluster prod) runs it',
            },
            { repositoryName: 'orders-api-dev', tag: 'v1', reason: 'Lambda function f:3 uses it' },
            { repositoryName: 'other-repo', digest: d('c'), reason: 'not this repository' },
          ],
        },
      ),
    );
    expect(expiringOf(plan)).toEqual([]);
    expect(protectedOf(plan)).toEqual({
      [d('a')]: ['ECS task t1 (cluster prod) runs it'],
      [d('b')]: ['Lambda function f:3 uses it'],
    });
  });

  it.each([
    ['minAgeDays', { minAgeDays: 30, keepTagPatterns: [] }, 'younger than 30 days (minAgeDays)'],
    [
      'keepTagPatterns',
      { minAgeDays: 0, keepTagPatterns: ['release-*'] },
      'tag release-1 matches keepTagPatterns release-*',
    ],
  ])('keeps what %s protects and says why', (_name, protect, reason) => {
    const plan = planRepository(
      input(
        [
          image('a', 20, { tags: ['release-1'] }),
          image('b', 3, { tags: ['x'] }),
          image('c', 2, { tags: ['y'] }),
        ],
        {
          protect,
        },
      ),
    );
    expect(expiringOf(plan)).toEqual([]);
    expect(protectedOf(plan)[d('a')]).toEqual([reason]);
  });

  it('skips a repository on doubt, whole, and only the repositories the doubt names', () => {
    const images = [image('a', 10)];
    const doubt = { signal: 'ecs', reason: 'AccessDeniedException on ListTasks' };
    const all = planRepository(input(images, { doubts: [doubt] }));
    expect(all).toMatchObject({ status: 'skipped', keptCount: 1 });
    expect(all.expiring.length + all.transitioning.length).toBe(0);
    expect(all.reason).toBe('not cleaned on doubt: ecs: AccessDeniedException on ListTasks');
    const other = planRepository(input(images, { doubts: [{ ...doubt, repositoryName: 'another' }] }));
    expect(other.status).toBe('planned');
    expect(expiringOf(other)).toEqual([d('a')]);
  });

  it('keeps the children of a kept index and deletes an expiring index before its children', () => {
    const keptIndex = image('k', 1, {
      tags: ['v9'],
      manifestMediaType: INDEX,
      references: [d('k1'), d('k2')],
    });
    const goneIndex = image('g', 30, { manifestMediaType: INDEX, references: [d('g1')] });
    const plan = planRepository(
      input([image('k1', 10), image('k2', 10), image('g1', 30), goneIndex, keptIndex]),
    );
    expect(expiringOf(plan)).toEqual([d('g'), d('g1')]);
    expect(protectedOf(plan)).toEqual({
      [d('k1')]: [`child of kept index ${d('k')}`],
      [d('k2')]: [`child of kept index ${d('k')}`],
    });
  });

  it('keeps the children of an index that a protection keeps', () => {
    const index = image('i', 30, { tags: ['v1'], manifestMediaType: INDEX, references: [d('c1')] });
    const plan = planRepository(
      input([index, image('c1', 30), image('n1', 2, { tags: ['n1'] }), image('n2', 1, { tags: ['n2'] })], {
        uses: [{ repositoryName: 'orders-api-dev', tag: 'v1', reason: 'ECS service web runs it' }],
      }),
    );
    expect(expiringOf(plan)).toEqual([]);
    expect(protectedOf(plan)).toEqual({
      [d('i')]: ['ECS service web runs it'],
      [d('c1')]: [`child of kept index ${d('i')}`],
    });
  });

  it('takes a referrer with its expiring subject (referrer first) and keeps one whose subject stays', () => {
    const subjectGone = image('s', 30, { tags: ['v1'] });
    const signatureGone = image('sig1', 1, {
      subjectDigest: d('s'),
      artifactMediaType: 'application/vnd.cncf.notary.signature',
    });
    const subjectKept = image('t', 2, { tags: ['v2'] });
    const sbomKept = image('sbom', 29, { subjectDigest: d('t') });
    const plan = planRepository(
      input([subjectGone, signatureGone, subjectKept, sbomKept, image('u', 1, { tags: ['v3'] })], {
        policy: parseLifecyclePolicyOrThrow({
          rules: [
            {
              rulePriority: 1,
              selection: {
                tagStatus: 'untagged',
                countType: 'sinceImagePushed',
                countUnit: 'days',
                countNumber: 7,
              },
              action: { type: 'expire' },
            },
            {
              rulePriority: 2,
              selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 3 },
              action: { type: 'expire' },
            },
          ],
        }),
      }),
    );
    expect(expiringOf(plan)).toEqual([d('sig1'), d('s')]);
    expect(plan.expiring.at(0)).toMatchObject({
      appliedRulePriority: 2,
      note: `referrer of ${d('s')} (expiring)`,
    });
    expect(protectedOf(plan)).toEqual({ [d('sbom')]: [`referrer of kept image ${d('t')}`] });
  });

  it('refuses a repository over the cap and deletes nothing of it', () => {
    const images = [image('a', 10), image('b', 10), image('c', 10), image('e', 0, { tags: ['x'] })];
    const plan = planRepository(input(images, { maxDeletions: { images: 1000, percent: 50 } }));
    expect(plan.status).toBe('refused');
    expect(plan.reason).toBe('would delete 3 of 4 images (75%), over the cap of 50% (maxDeletions.percent)');
  });

  it.each([
    ['a snapshot', true],
    ['an index whose manifest was not read', undefined],
  ])('protects untagged images when what an index references is unknown: %s', (_case, unknown) => {
    const plan = planRepository(
      input([image('i', 0, { tags: ['v1'], manifestMediaType: INDEX }), image('u', 10)], {
        ...(unknown ? { indexChildrenUnknown: unknown } : {}),
      }),
    );
    expect(expiringOf(plan)).toEqual([]);
    expect(protectedOf(plan)[d('u')]).toEqual([
      'may be an index child: what an index here references is unknown (snapshot, archived index)',
    ]);
  });

  it('plans a transition to archive and keeps running images out of it', () => {
    const policy = parseLifecyclePolicyOrThrow({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
      ],
    });
    const plan = planRepository(
      input([image('a', 60), image('b', 60)], {
        policy,
        uses: [{ repositoryName: 'orders-api-dev', digest: d('b'), reason: 'Lambda function f:1 uses it' }],
      }),
    );
    expect(plan.transitioning.map((p) => [p.image.digest, p.action])).toEqual([
      [d('a'), { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' }],
    ]);
    expect(plan.bytesTransitioned).toBe(GB);
    expect(plan.bytesReclaimed).toBe(0);
    expect(protectedOf(plan)).toEqual({ [d('b')]: ['Lambda function f:1 uses it'] });
  });
});

describe('capRefusal', () => {
  it.each([
    [0, 10, undefined],
    [5, 10, undefined],
    [6, 10, 'would delete 6 of 10 images (60%), over the cap of 50% (maxDeletions.percent)'],
    [101, 1000, 'would delete 101 of 1000 images, over the cap of 100 per run (maxDeletions.images)'],
  ])('%i of %i images', (deletions, count, expected) => {
    expect(capRefusal(deletions, count, { images: 100, percent: 50 })).toBe(expected);
  });
});

describe('monthlyCostUsd', () => {
  it('prices GB = 2^30 bytes per month, rounded to the cent', () => {
    expect(monthlyCostUsd(10 * GB, 0.1)).toBe(1);
    expect(monthlyCostUsd(1.234 * GB, 0.1)).toBe(0.12);
  });
});
