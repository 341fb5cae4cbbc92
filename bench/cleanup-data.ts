/**
 * Synthetic data for the cleanup benchmark (bench/cleanup.ts): a repository's images as the pure engine sees them
 * (RepositoryImage), the same images as `aws ecr describe-images` prints them, and a valid 10-rule lifecycle policy.
 * Deterministic (seeded), so every run plans the same images.
 */
import { createHash } from 'node:crypto';
import type { ImageUse, RepositoryImage } from '../src/cleanup/domain/images.ts';

const DAY_MS = 86_400_000;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

/** A small seeded PRNG (mulberry32): the same images on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The string as a parser delivers it (the SDK's JSON.parse, the snapshot scanner): one flat run of characters.
 * A template literal longer than 12 characters is a rope to V8 (the parts, joined on first use and read through
 * an indirection after), which about doubles the cost of the engine's digest lookups (positionsIn, measured):
 * not what it sees.
 */
function flat(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * The 10-rule policy: every count type, prefix and wildcard filters, an untagged rule, an archive rule and an
 * `any` rule last (priorities unique, one untagged rule, unique tag filters: it passes parseLifecyclePolicy).
 */
export const TEN_RULE_POLICY = {
  rules: [
    rule(1, {
      tagStatus: 'tagged',
      tagPatternList: ['release-*'],
      countType: 'imageCountMoreThan',
      countNumber: 500,
    }),
    rule(2, { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 300 }),
    rule(3, { tagStatus: 'tagged', tagPatternList: ['*-rc*'], ...days('sinceImagePushed', 60) }),
    rule(4, { tagStatus: 'tagged', tagPrefixList: ['dev-'], ...days('sinceImagePushed', 30) }),
    rule(5, { tagStatus: 'tagged', tagPatternList: ['feature-*-*'], ...days('sinceImagePushed', 14) }),
    rule(6, {
      tagStatus: 'tagged',
      tagPrefixList: ['sha-'],
      countType: 'imageCountMoreThan',
      countNumber: 1000,
    }),
    {
      ...rule(7, { tagStatus: 'tagged', tagPatternList: ['nightly-*'], ...days('sinceImagePulled', 90) }),
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    rule(8, { tagStatus: 'untagged', ...days('sinceImagePushed', 7) }),
    rule(9, {
      tagStatus: 'tagged',
      tagPrefixList: ['nightly-'],
      storageClass: 'archive',
      ...days('sinceImageTransitioned', 180),
    }),
    rule(10, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20_000 }),
  ],
};

function rule(rulePriority: number, selection: Record<string, unknown>) {
  return { rulePriority, description: `bench rule ${rulePriority}`, selection, action: { type: 'expire' } };
}

function days(countType: string, countNumber: number) {
  return { countType, countUnit: 'days', countNumber };
}

export interface SyntheticRepository {
  readonly images: RepositoryImage[];
  readonly uses: ImageUse[];
  readonly counts: Record<string, number>;
}

/**
 * `count` images pushed over the 730 days before `now`: untagged manifests (~45%), tagged ones of every kind the
 * policy names (several with two tags, `latest`/`prod-*` among them), indexes (~2%) with two untagged children
 * each, cosign signatures (~3%) of tagged images, a few archived nightlies; half were pulled since their push.
 * `uses` are 200 in-use records, by tag or by digest, as the protection signals report them.
 */
export function syntheticRepository(
  repositoryName: string,
  count: number,
  now: Date,
  seed = 10,
): SyntheticRepository {
  const rnd = random(seed);
  const nowMs = now.getTime();
  const images: RepositoryImage[] = [];
  const counts: Record<string, number> = {};
  const tagged: RepositoryImage[] = [];
  const bump = (kind: string, n = 1) => {
    counts[kind] = (counts[kind] ?? 0) + n;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  let serial = 0;
  const make = (tags: string[], pushedMs: number, extra: Partial<RepositoryImage> = {}): RepositoryImage => {
    serial++;
    const pulled = rnd() < 0.5 ? Math.trunc(Math.min(nowMs, pushedMs + rnd() * 400 * DAY_MS)) : undefined;
    // In the shape repositoryImageOf gives every image (all keys, absent ones undefined), as the functions see them.
    const image: RepositoryImage = {
      digest: flat(digestOf(`${repositoryName}/${serial}`)),
      tags: tags.map(flat),
      pushedAt: pushedMs,
      lastPulledAt: pulled,
      lastActivatedAt: undefined,
      storageClass: 'standard',
      transitionedAt: undefined,
      references: undefined,
      sizeBytes: 20_000_000 + Math.floor(rnd() * 400_000_000),
      manifestMediaType: MANIFEST,
      artifactMediaType: CONFIG,
      subjectDigest: undefined,
    };
    return Object.assign(image, extra);
  };
  while (images.length < count) {
    const n = serial;
    const pushedMs = Math.floor(nowMs - rnd() * 730 * DAY_MS);
    const r = rnd();
    if (r < 0.02 && images.length + 3 <= count) {
      // An index and its two children, pushed together; the index carries a release tag.
      const children = [make([], pushedMs - 2000), make([], pushedMs - 1000)];
      const index = make([`release-${n}`], pushedMs, {
        manifestMediaType: INDEX,
        references: children.map((c) => c.digest),
      });
      const { artifactMediaType: _, ...indexWithoutConfig } = index;
      images.push(...children, indexWithoutConfig);
      tagged.push(indexWithoutConfig);
      bump('index');
      bump('index child', 2);
    } else if (r < 0.05 && tagged.length > 0) {
      const subject = pick(tagged);
      images.push(
        make([], Math.min(nowMs, Math.max(subject.pushedAt + 60_000, pushedMs)), {
          artifactMediaType: SIGNATURE,
          subjectDigest: subject.digest,
        }),
      );
      bump('referrer');
    } else if (r < 0.5) {
      images.push(make([], pushedMs));
      bump('untagged');
    } else {
      const kind = rnd();
      let tags: string[];
      let extra: Partial<RepositoryImage> = {};
      if (kind < 0.1) tags = [`release-${n}`];
      else if (kind < 0.2) tags = [`v${n % 7}.${n % 13}.${n}`];
      else if (kind < 0.25) tags = [`${n % 5}.${n % 11}.${n}-rc${n % 4}`];
      else if (kind < 0.4) tags = [`dev-${n.toString(16)}`];
      else if (kind < 0.55) tags = [`feature-${pick(['login', 'cart', 'search', 'pay'])}-${n}`];
      else if (kind < 0.8) tags = [`sha-${createHash('sha1').update(String(n)).digest('hex').slice(0, 12)}`];
      else if (kind < 0.9) {
        tags = [`nightly-${n}`];
        if (rnd() < 0.3) {
          extra = {
            storageClass: 'archive',
            transitionedAt: Math.trunc(pushedMs + rnd() * (nowMs - pushedMs)),
          };
          bump('archived');
        }
      } else tags = [`build-${n}`, rnd() < 0.5 ? `prod-${n}` : `qa-${n}`];
      const image = make(tags, pushedMs, extra);
      images.push(image);
      tagged.push(image);
      bump('tagged');
    }
  }
  const uses: ImageUse[] = [];
  for (let i = 0; i < 200; i++) {
    const image = pick(tagged);
    uses.push(
      i % 2 === 0
        ? { repositoryName, digest: image.digest, reason: `ECS task ${i} runs it` }
        : { repositoryName, tag: image.tags[0] as string, reason: `Lambda function f${i} version 1` },
    );
  }
  return { images, uses, counts };
}

/** ISO 8601 as AWS CLI v2 prints it: `2026-11-20T10:00:00+00:00`. */
export function cliTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** The images as `aws ecr describe-images --repository-name R` prints them (no index children: DescribeImages has none). */
export function describeImagesDocument(
  registryId: string,
  repositoryName: string,
  images: readonly RepositoryImage[],
): { imageDetails: Record<string, unknown>[] } {
  return {
    imageDetails: images.map((image) => ({
      registryId,
      repositoryName,
      imageDigest: image.digest,
      ...(image.tags.length === 0 ? {} : { imageTags: [...image.tags] }),
      imageSizeInBytes: image.sizeBytes,
      imagePushedAt: cliTime(image.pushedAt),
      ...(image.lastPulledAt === undefined ? {} : { lastRecordedPullTime: cliTime(image.lastPulledAt) }),
      imageManifestMediaType: image.manifestMediaType,
      ...(image.artifactMediaType === undefined ? {} : { artifactMediaType: image.artifactMediaType }),
      imageStatus: image.storageClass === 'archive' ? 'ARCHIVED' : 'ACTIVE',
      ...(image.transitionedAt === undefined ? {} : { lastArchivedAt: cliTime(image.transitionedAt) }),
      ...(image.subjectDigest === undefined ? {} : { subjectManifestDigest: image.subjectDigest }),
    })),
  };
}
