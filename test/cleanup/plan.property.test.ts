import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImageUse, RepositoryImage } from '../../src/cleanup/domain/images.ts';
import {
  type LifecyclePolicy,
  parseLifecyclePolicyOrThrow,
} from '../../src/cleanup/domain/lifecycle-policy.ts';
import { planRepository, type RepositoryPlanInput } from '../../src/cleanup/domain/plan.ts';
import { wildcardMatch } from '../../src/shared/wildcard.ts';

/**
 * Properties of a plan over random registries: whatever the policy takes, nothing protected, in use, promoted or
 * needed by a kept index or subject is ever planned; a plan is the same on every run and in any input order; and
 * deletions are ordered so nothing is deleted while something still to be deleted points at it.
 */

const NOW = new Date('2026-11-27T00:00:00Z');
const DAY = 86_400_000;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const TAGS = ['latest', 'v1', 'v2', 'v3', 'release-1', 'release-2', 'dev-a', 'dev-b', 'nightly'];
const REPOSITORY = 'orders-api-dev';

const POLICIES: LifecyclePolicy[] = [
  {
    rules: [
      {
        rulePriority: 1,
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 3,
        },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 },
        action: { type: 'expire' },
      },
    ],
  },
  {
    rules: [
      {
        rulePriority: 1,
        selection: {
          tagStatus: 'tagged',
          tagPrefixList: ['release'],
          countType: 'imageCountMoreThan',
          countNumber: 1,
        },
        action: { type: 'expire' },
      },
      {
        rulePriority: 5,
        selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 10 },
        action: { type: 'transition', targetStorageClass: 'archive' },
      },
    ],
  },
  {
    rules: [
      {
        rulePriority: 1,
        selection: {
          tagStatus: 'tagged',
          tagPatternList: ['dev-*'],
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 1,
        },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
        action: { type: 'expire' },
      },
    ],
  },
].map((p) => parseLifecyclePolicyOrThrow(p));

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A registry: plain images, some indexes over untagged children, some referrers of earlier images. */
const registry = fc
  .array(
    fc.record({
      tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
      ageDays: fc.integer({ min: 0, max: 60 }),
      pulledDaysAgo: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
      kind: fc.constantFrom('image', 'image', 'image', 'index', 'referrer'),
      pick: fc.array(fc.nat(), { maxLength: 3 }),
      sizeMiB: fc.integer({ min: 1, max: 500 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((specs) => {
    const usedTags = new Set<string>();
    const images: RepositoryImage[] = [];
    specs.forEach((spec, n) => {
      // A tag is on one image at a time, as in ECR.
      const tags = spec.tags.filter((t) => !usedTags.has(t));
      for (const t of tags) usedTags.add(t);
      const earlier = images.filter((i) => i.manifestMediaType === MANIFEST && i.subjectDigest === undefined);
      const picked = [
        ...new Set(spec.pick.map((p) => earlier[p % Math.max(1, earlier.length)]?.digest)),
      ].filter((d): d is string => d !== undefined);
      images.push({
        digest: digestOf(n + 1),
        tags: spec.kind === 'referrer' ? [] : tags,
        pushedAt: NOW.getTime() - spec.ageDays * DAY,
        ...(spec.pulledDaysAgo === undefined
          ? {}
          : { lastPulledAt: NOW.getTime() - Math.min(spec.pulledDaysAgo, spec.ageDays) * DAY }),
        storageClass: 'standard',
        sizeBytes: spec.sizeMiB * 1024 * 1024,
        manifestMediaType: spec.kind === 'index' && picked.length > 0 ? INDEX : MANIFEST,
        ...(spec.kind === 'index' && picked.length > 0 ? { references: picked } : {}),
        ...(spec.kind === 'referrer' && picked[0] !== undefined ? { subjectDigest: picked[0] } : {}),
      });
    });
    return images;
  });

const scenario = registry.chain((images) =>
  fc.record({
    images: fc.constant(images),
    policy: fc.constantFrom(...POLICIES),
    inUse: fc.subarray(images.map((i) => i.digest)),
    minAgeDays: fc.constantFrom(0, 2, 7),
    // Each form the compiled wildcard test has: exact, head*tail, *middle*, and a RegExp for the rest.
    keepTagPatterns: fc.constantFrom<string[]>(
      [],
      ['release-*'],
      ['v*', 'latest'],
      ['*ele*'],
      ['r*e-*1'],
      ['*.1'],
    ),
    order: fc.array(fc.nat(), { minLength: images.length, maxLength: images.length }),
  }),
);

interface Scenario {
  images: RepositoryImage[];
  policy: LifecyclePolicy;
  inUse: string[];
  minAgeDays: number;
  keepTagPatterns: string[];
}

function inputOf(s: Scenario): RepositoryPlanInput {
  const uses: ImageUse[] = s.inUse.map((digest) => ({
    repositoryName: REPOSITORY,
    digest,
    reason: 'ECS runs it',
  }));
  return {
    repositoryName: REPOSITORY,
    images: s.images,
    policy: s.policy,
    protect: { minAgeDays: s.minAgeDays, keepTagPatterns: s.keepTagPatterns },
    uses,
    doubts: [],
    maxDeletions: { images: 10_000, percent: 100 },
    pricePerGbMonth: 0.1,
    now: NOW,
  };
}

describe('planRepository over random registries', () => {
  it('never plans an image that is in use, young, kept by tag, or needed by a kept index or subject', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan = planRepository(inputOf(s));
        const taken = new Map(
          [...plan.expiring, ...plan.transitioning].map((p) => [p.image.digest, p.action.type] as const),
        );
        const inUse = new Set(s.inUse);
        for (const image of s.images) {
          if (!taken.has(image.digest)) continue;
          expect(inUse.has(image.digest)).toBe(false);
          expect(NOW.getTime() - image.pushedAt >= s.minAgeDays * DAY).toBe(true);
          expect(image.tags.some((t) => s.keepTagPatterns.some((p) => wildcardMatch(p, t)))).toBe(false);
        }
        for (const image of s.images) {
          const type = taken.get(image.digest);
          // A kept (or only archived) index keeps its children from being deleted.
          for (const child of image.references ?? [])
            if (taken.get(child) === 'EXPIRE') expect(type).toBe('EXPIRE');
          // A referrer of a kept image is kept.
          if (image.subjectDigest !== undefined && type !== undefined)
            expect(taken.has(image.subjectDigest)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('makes the same plan every time and whatever the order of the images', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const first = planRepository(inputOf(s));
        expect(planRepository(inputOf(s))).toEqual(first);
        const shuffled = s.images
          .map((image, i) => ({ image, key: s.order[i] ?? 0 }))
          .sort((a, b) => a.key - b.key)
          .map((x) => x.image);
        const again = planRepository({ ...inputOf(s), images: shuffled });
        expect(again.expiring.map((p) => p.image.digest)).toEqual(first.expiring.map((p) => p.image.digest));
        expect(new Set(again.transitioning.map((p) => p.image.digest))).toEqual(
          new Set(first.transitioning.map((p) => p.image.digest)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('orders deletions so referrers and indexes go before what they point to', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan = planRepository(inputOf(s));
        const position = new Map(plan.expiring.map((p, i) => [p.image.digest, i]));
        for (const { image } of plan.expiring) {
          for (const child of image.references ?? [])
            if (position.has(child))
              expect(position.get(image.digest)).toBeLessThan(position.get(child) as number);
          if (image.subjectDigest !== undefined && position.has(image.subjectDigest))
            expect(position.get(image.digest)).toBeLessThan(position.get(image.subjectDigest) as number);
        }
      }),
      { numRuns: 200 },
    );
  });
});
