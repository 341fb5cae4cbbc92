import { describe, expect, it } from 'vitest';
import {
  evaluateLifecyclePolicy,
  type LifecycleEvaluation,
  type LifecycleImage,
  pullTimeOf,
} from '../../src/cleanup/domain/lifecycle-evaluate.ts';
import { parseLifecyclePolicyOrThrow } from '../../src/cleanup/domain/lifecycle-policy.ts';

/**
 * ECR lifecycle semantics. The "AWS example" cases are the ECR user guide's lifecycle policy examples
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html; the 2023 text with
 * tagPrefixList is awsdocs/amazon-ecr-user-guide doc_source/lifecycle_policy_examples.md, the current one uses
 * tagPatternList), each with the outcome AWS describes.
 */

const NOW = new Date('2026-11-27T12:00:00.000Z');
const DAY = 86_400_000;

/** Epoch milliseconds, as the engine takes image times. */
function daysAgo(days: number): number {
  return NOW.getTime() - days * DAY;
}

function image(
  name: string,
  tags: string[],
  pushedDaysAgo: number,
  extra: Partial<LifecycleImage> = {},
): LifecycleImage {
  return {
    digest: `sha256:${name}`,
    tags,
    pushedAt: daysAgo(pushedDaysAgo),
    storageClass: 'standard',
    ...extra,
  };
}

function evaluate(policy: unknown, images: LifecycleImage[], now = NOW): LifecycleEvaluation {
  return evaluateLifecyclePolicy(parseLifecyclePolicyOrThrow(policy), images, now);
}

/** `name → "expire@1"`, `"transition@2"` or `"keep"`. */
function outcome(result: LifecycleEvaluation): Record<string, string> {
  return Object.fromEntries(
    result.images.map((r) => [
      r.digest.replace('sha256:', ''),
      r.decision ? `${r.decision.action.type}@${r.decision.rulePriority}` : 'keep',
    ]),
  );
}

type Filter = { tagPrefixList: string[] } | { tagPatternList: string[] };

function countRule(priority: number, filter: Filter, count: number) {
  return {
    rulePriority: priority,
    description: `Rule ${priority}`,
    selection: { tagStatus: 'tagged', ...filter, countType: 'imageCountMoreThan', countNumber: count },
    action: { type: 'expire' },
  };
}

describe('AWS examples: filtering on image age and count', () => {
  it('expire prod* images older than 14 days (tagPatternList)', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          description: 'Expire images older than 14 days',
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['prod*'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 14,
          },
          action: { type: 'expire' },
        },
      ],
    };
    const images = [
      image('old-prod', ['prod-1'], 15),
      image('new-prod', ['prod-2'], 13),
      image('old-dev', ['dev-1'], 30),
      image('old-untagged', [], 30),
      image('exactly-14', ['prod-3'], 14),
    ];
    expect(outcome(evaluate(policy, images))).toEqual({
      'old-prod': 'expire@1',
      'new-prod': 'keep',
      'old-dev': 'keep',
      'old-untagged': 'keep',
      'exactly-14': 'keep',
    });
  });

  it('expire untagged images older than 14 days (2023 version)', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          description: 'Expire images older than 14 days',
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 14,
          },
          action: { type: 'expire' },
        },
      ],
    };
    const images = [image('a', [], 20), image('b', [], 3), image('c', ['v1'], 20)];
    expect(evaluate(policy, images).expired).toEqual(['sha256:a']);
  });

  it('keep only one untagged image, expire all others (the youngest is kept)', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          description: 'Keep only one untagged image, expire all others',
          selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    };
    const images = [image('u1', [], 5), image('u2', [], 1), image('u3', [], 9), image('t', ['latest'], 50)];
    expect(outcome(evaluate(policy, images))).toEqual({
      u1: 'expire@1',
      u2: 'keep',
      u3: 'expire@1',
      t: 'keep',
    });
  });
});

describe('AWS examples: filtering on multiple rules', () => {
  const repository = () => [
    image('A', ['beta-1', 'prod-1'], 10),
    image('B', ['beta-2', 'prod-2'], 9),
    image('C', ['beta-3'], 8),
  ];
  const filters: Record<string, (p: string) => Filter> = {
    tagPrefixList: (p) => ({ tagPrefixList: [p] }),
    tagPatternList: (p) => ({ tagPatternList: [`${p}*`] }),
  };

  for (const [kind, filter] of Object.entries(filters)) {
    it(`Example A (${kind}): rule 1 prod keeps 1, rule 2 beta keeps 1 → only Image A is expired`, () => {
      // Rule 2 marks A and B; A is already taken by rule 1, and B matches rule 1's tag filter, so it is skipped.
      const policy = { rules: [countRule(1, filter('prod'), 1), countRule(2, filter('beta'), 1)] };
      expect(outcome(evaluate(policy, repository()))).toEqual({ A: 'expire@1', B: 'keep', C: 'keep' });
    });

    it(`Example B (${kind}): priorities swapped → Images A and B are expired`, () => {
      const policy = { rules: [countRule(1, filter('beta'), 1), countRule(2, filter('prod'), 1)] };
      expect(outcome(evaluate(policy, repository()))).toEqual({ A: 'expire@1', B: 'expire@1', C: 'keep' });
    });
  }
});

describe('AWS examples: filtering on multiple tags in a single rule', () => {
  for (const filter of [{ tagPrefixList: ['alpha', 'beta'] }, { tagPatternList: ['alpha*', 'beta*'] }]) {
    const kind = Object.keys(filter)[0];

    it(`Example A (${kind}): images must match all listed tags → Image C is expired`, () => {
      const policy = {
        rules: [
          {
            rulePriority: 1,
            description: 'Rule 1',
            selection: {
              tagStatus: 'tagged',
              ...filter,
              countType: 'sinceImagePushed',
              countNumber: 5,
              countUnit: 'days',
            },
            action: { type: 'expire' },
          },
        ],
      };
      const images = [
        image('A', ['alpha-1'], 12),
        image('B', ['beta-1'], 11),
        image('C', ['alpha-2', 'beta-2'], 10),
        image('D', ['alpha-3'], 4),
        image('E', ['beta-3'], 3),
        image('F', ['alpha-4', 'beta-4'], 2),
      ];
      expect(evaluate(policy, images).expired).toEqual(['sha256:C']);
    });

    it(`Example B (${kind}): tags are not exclusive → Images A and B are expired`, () => {
      const policy = {
        rules: [
          {
            rulePriority: 1,
            description: 'Rule 1',
            selection: { tagStatus: 'tagged', ...filter, countType: 'imageCountMoreThan', countNumber: 1 },
            action: { type: 'expire' },
          },
        ],
      };
      const images = [
        image('A', ['alpha-1', 'beta-1', 'gamma-1'], 10),
        image('B', ['alpha-2', 'beta-2'], 9),
        image('C', ['alpha-3', 'beta-3', 'gamma-2'], 8),
      ];
      expect(outcome(evaluate(policy, images))).toEqual({ A: 'expire@1', B: 'expire@1', C: 'keep' });
    });
  }
});

describe('ECR semantics', () => {
  it('an image taken by a higher rule still fills a slot in a lower any rule window', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 1,
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 },
          action: { type: 'expire' },
        },
      ],
    };
    // Youngest first: u (taken by rule 1), v2, v1. The any rule keeps u and v2; v1 is the only image it takes.
    // Without u filling a slot, v1 would be kept too. (u is untagged, so the any rule cannot take it: rule 1's
    // tag filter matched it.)
    const images = [image('v1', ['v1'], 10), image('v2', ['v2'], 5), image('u', [], 2)];
    expect(outcome(evaluate(policy, images))).toEqual({ v1: 'expire@2', v2: 'keep', u: 'expire@1' });
  });

  it("matching a higher rule's tag filter shields an image even when that rule's count did not select it", () => {
    const policy = {
      rules: [
        countRule(1, { tagPatternList: ['release-*'] }, 10),
        {
          rulePriority: 2,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    };
    const images = [
      image('r1', ['release-1'], 30),
      image('r2', ['release-2'], 20),
      image('x', ['feature-x'], 1),
    ];
    expect(outcome(evaluate(policy, images))).toEqual({ r1: 'keep', r2: 'keep', x: 'keep' });
  });

  it('windows count youngest first by push time; ties are broken by digest', () => {
    const policy = { rules: [countRule(1, { tagPrefixList: ['v'] }, 2)] };
    const images = [
      image('d', ['v4'], 1),
      image('a', ['v1'], 3),
      image('c', ['v3'], 2),
      image('b', ['v2'], 2),
    ];
    // Youngest: d (1 day), then b and c (2 days, b before c by digest), then a. Keep d and b.
    expect(outcome(evaluate(policy, images))).toEqual({ d: 'keep', a: 'expire@1', c: 'expire@1', b: 'keep' });
  });

  it('an image with several tags is one image (one slot, one result)', () => {
    const policy = { rules: [countRule(1, { tagPatternList: ['*'] }, 1)] };
    const images = [image('multi', ['latest', 'v2', 'prod'], 1), image('old', ['v1'], 2)];
    const result = evaluate(policy, images);
    expect(result.images).toHaveLength(2);
    expect(outcome(result)).toEqual({ multi: 'keep', old: 'expire@1' });
  });

  it('each entry of a tag list must match some tag; a pattern matches a whole tag', () => {
    const policy = { rules: [countRule(1, { tagPatternList: ['v*-rc', 'team-*'] }, 1)] };
    const images = [
      image('both', ['v1-rc', 'team-a'], 3),
      image('both2', ['v2-rc', 'team-b'], 2),
      image('one', ['v3-rc'], 9),
      image('substring', ['v4-rc1', 'team-c'], 9),
    ];
    expect(outcome(evaluate(policy, images))).toEqual({
      both: 'expire@1',
      both2: 'keep',
      one: 'keep',
      substring: 'keep',
    });
  });

  it('sinceImagePulled uses the last pull, else the push, else the last activation of a restored image', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
      ],
    };
    const images = [
      image('pulled-recently', ['a'], 100, { lastPulledAt: daysAgo(5) }),
      image('pulled-long-ago', ['b'], 100, { lastPulledAt: daysAgo(40) }),
      image('never-pulled-old', ['c'], 31),
      image('never-pulled-new', ['d'], 29),
      image('restored-not-pulled', ['e'], 200, { lastPulledAt: daysAgo(150), lastActivatedAt: daysAgo(3) }),
    ];
    expect(outcome(evaluate(policy, images))).toEqual({
      'pulled-recently': 'keep',
      'pulled-long-ago': 'transition@1',
      'never-pulled-old': 'transition@1',
      'never-pulled-new': 'keep',
      'restored-not-pulled': 'keep',
    });
    expect(pullTimeOf(image('x', [], 10))).toBe(daysAgo(10));
    expect(pullTimeOf(image('x', [], 10, { lastActivatedAt: daysAgo(2), lastPulledAt: daysAgo(1) }))).toBe(
      daysAgo(1),
    );
  });

  it('transition reports targetStorageClass archive; archived images are not transitioned again', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 7,
          },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
      ],
    };
    const result = evaluate(policy, [
      image('s', [], 10),
      image('a', [], 10, { storageClass: 'archive', transitionedAt: daysAgo(1) }),
    ]);
    expect(result.images).toEqual([
      {
        digest: 'sha256:s',
        decision: { rulePriority: 1, action: { type: 'transition', targetStorageClass: 'archive' } },
      },
      { digest: 'sha256:a', decision: null },
    ]);
    expect(result.transitioned).toEqual(['sha256:s']);
    expect(result.expired).toEqual([]);
  });

  it('transition then expire (the documented pull-based pattern): archive rules see archived images only, after 90 days', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['*'],
            countType: 'sinceImagePulled',
            countUnit: 'days',
            countNumber: 30,
          },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
        {
          rulePriority: 2,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['*'],
            storageClass: 'archive',
            countType: 'sinceImageTransitioned',
            countUnit: 'days',
            countNumber: 30,
          },
          action: { type: 'expire' },
        },
      ],
    };
    const images = [
      image('idle', ['a'], 60),
      image('archived-long', ['b'], 400, { storageClass: 'archive', transitionedAt: daysAgo(120) }),
      image('archived-60', ['c'], 400, { storageClass: 'archive', transitionedAt: daysAgo(60) }),
      image('archived-no-time', ['d'], 400, { storageClass: 'archive' }),
    ];
    expect(outcome(evaluate(policy, images))).toEqual({
      idle: 'transition@1',
      'archived-long': 'expire@2',
      'archived-60': 'keep',
      'archived-no-time': 'keep',
    });
  });

  it('an image referenced by a kept index is never expired before its index', () => {
    const policy = {
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
        countRule(2, { tagPatternList: ['v*'] }, 1),
      ],
    };
    const images = [
      image('index-new', ['v2'], 20, { references: ['sha256:amd64-new', 'sha256:arm64-shared'] }),
      image('amd64-new', [], 20),
      image('arm64-shared', [], 40),
      image('index-old', ['v1'], 40, { references: ['sha256:amd64-old', 'sha256:arm64-shared'] }),
      image('amd64-old', [], 40),
      image('orphan', [], 40),
    ];
    const result = evaluate(policy, images);
    expect(outcome(result)).toEqual({
      'index-new': 'keep',
      'amd64-new': 'keep',
      'arm64-shared': 'keep',
      'index-old': 'expire@2',
      'amd64-old': 'expire@1',
      orphan: 'expire@1',
    });
    expect(result.images.find((r) => r.digest === 'sha256:amd64-new')?.heldBy).toEqual({
      rulePriority: 1,
      indexDigests: ['sha256:index-new'],
    });
    expect(result.images.find((r) => r.digest === 'sha256:arm64-shared')?.heldBy).toEqual({
      rulePriority: 1,
      indexDigests: ['sha256:index-new'],
    });
    expect(result.images.find((r) => r.digest === 'sha256:orphan')?.heldBy).toBeUndefined();
  });

  it('a held index holds its children too (nested indexes), and an archived or archiving index lets children archive', () => {
    const expireUntagged = {
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
      ],
    };
    const nested = [
      image('top', ['v1'], 30, { references: ['sha256:mid'] }),
      image('mid', [], 30, { references: ['sha256:leaf'] }),
      image('leaf', [], 30),
    ];
    expect(outcome(evaluate(expireUntagged, nested))).toEqual({ top: 'keep', mid: 'keep', leaf: 'keep' });

    const archiveUntagged = {
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 7,
          },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
      ],
    };
    const withArchivedIndex = [
      image('idx', ['v1'], 30, {
        storageClass: 'archive',
        transitionedAt: daysAgo(10),
        references: ['sha256:child'],
      }),
      image('child', [], 30),
      image('idx2', ['v2'], 30, { references: ['sha256:child2'] }),
      image('child2', [], 30),
    ];
    expect(outcome(evaluate(archiveUntagged, withArchivedIndex))).toEqual({
      idx: 'keep',
      child: 'transition@1',
      idx2: 'keep',
      child2: 'keep',
    });
  });

  it('a child is not expired while its index is only archived in the same run', () => {
    const policy = {
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
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['v*'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 7,
          },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
      ],
    };
    const images = [image('idx', ['v1'], 30, { references: ['sha256:child'] }), image('child', [], 30)];
    const result = evaluate(policy, images);
    expect(outcome(result)).toEqual({ idx: 'transition@2', child: 'keep' });
    expect(result.images[1]?.heldBy).toEqual({ rulePriority: 1, indexDigests: ['sha256:idx'] });
  });

  it('an untagged rule shields untagged images from a later any rule, whatever its own condition', () => {
    const policy = {
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 100,
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    };
    const images = [image('new', ['v2'], 1), image('u-old', [], 50), image('v1', ['v1'], 60)];
    expect(outcome(evaluate(policy, images))).toEqual({ new: 'keep', 'u-old': 'keep', v1: 'expire@2' });
  });

  it('is pure: the same input gives the same plan, and the input is not changed', () => {
    const policy = parseLifecyclePolicyOrThrow({ rules: [countRule(1, { tagPrefixList: ['v'] }, 1)] });
    const images = [image('a', ['v1'], 3), image('b', ['v2'], 2)];
    const copy = structuredClone(images);
    const first = evaluateLifecyclePolicy(policy, images, NOW);
    expect(evaluateLifecyclePolicy(policy, images, NOW)).toEqual(first);
    expect(images).toEqual(copy);
    // Time is an argument: one day later the same age rule takes a younger image.
    const age = parseLifecyclePolicyOrThrow({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 2 },
          action: { type: 'expire' },
        },
      ],
    });
    expect(evaluateLifecyclePolicy(age, images, NOW).expired).toEqual(['sha256:a']);
    expect(evaluateLifecyclePolicy(age, images, new Date(NOW.getTime() + DAY)).expired).toEqual([
      'sha256:a',
      'sha256:b',
    ]);
  });
});
