import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  GetLifecyclePolicyPreviewCommand,
  InvalidParameterException,
  StartLifecyclePolicyPreviewCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateLifecyclePolicy } from '../../../src/cleanup/domain/lifecycle-evaluate.ts';
import { parseLifecyclePolicyOrThrow } from '../../../src/cleanup/domain/lifecycle-policy.ts';
import { pushImage } from '../../support/images.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import {
  awsEcrCli,
  indexOf,
  lifecycleImagesFromDetails,
  type PushableImage,
  referrerOf,
  uniqueImage,
} from './lifecycle-fixtures.ts';

/**
 * The lifecycle policy preview through the real AWS CLI (botocore 1.43 knows Start/GetLifecyclePolicyPreview)
 * against the shared sandbox: the emulator's answer must be what the product's engine (evaluateLifecyclePolicy)
 * decides when run directly on the same images, as DescribeImages reports them.
 */

const POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'keep the two newest releases in standard storage, archive the rest',
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['release-*'],
        countType: 'imageCountMoreThan',
        countNumber: 2,
      },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    {
      rulePriority: 2,
      description: 'keep one untagged image',
      selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
      action: { type: 'expire' },
    },
  ],
});

interface PreviewResult {
  imageDigest: string;
  imageTags?: string[];
  action: { type: string; targetStorageClass?: string };
  appliedRulePriority: number;
  storageClass: string;
}

// Each AWS CLI call starts a Python process (seconds on a loaded machine): these tests make many.
describe('lifecycle policy preview through the AWS CLI', { timeout: 90_000 }, () => {
  const cli = awsEcrCli(sandboxUrl());
  const ecr = new ECRClient(awsClientConfig());
  const repositoryName = uniqueName('lc-preview');
  const releases: PushableImage[] = [];
  const untagged: PushableImage[] = [];
  const children: PushableImage[] = [];
  let index = '';
  let sbom = '';

  beforeAll(async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    for (let i = 1; i <= 4; i++) {
      const image = uniqueImage();
      await pushImage(ecr, repositoryName, image, `release-${i}`);
      releases.push(image);
    }
    for (let i = 0; i < 2; i++) {
      const image = uniqueImage();
      await pushImage(ecr, repositoryName, image);
      untagged.push(image);
    }
    for (let i = 0; i < 2; i++) {
      const child = uniqueImage();
      await pushImage(ecr, repositoryName, child);
      children.push(child);
    }
    const multi = indexOf(children);
    await pushImage(ecr, repositoryName, multi, 'multi');
    index = multi.digest;
    const referrer = referrerOf(releases[0] as PushableImage);
    await pushImage(ecr, repositoryName, referrer);
    sbom = referrer.digest;
  });

  afterAll(() => ecr.destroy());

  it('answers LifecyclePolicyPreviewNotFoundException before a preview and LifecyclePolicyNotFoundException without a policy', async () => {
    expect(await cli.error('get-lifecycle-policy-preview', '--repository-name', repositoryName)).toBe(
      'LifecyclePolicyPreviewNotFoundException',
    );
    expect(await cli.error('start-lifecycle-policy-preview', '--repository-name', repositoryName)).toBe(
      'LifecyclePolicyNotFoundException',
    );
  });

  it('refuses an invalid policy with InvalidParameterException naming the problem (the engine’s parser)', async () => {
    // Prepare: sinceImagePushed without countUnit
    const text = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'expire old untagged images after a week or so',
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 7 },
          action: { type: 'expire' },
        },
      ],
    });
    // Act
    const error = await ecr
      .send(new StartLifecyclePolicyPreviewCommand({ repositoryName, lifecyclePolicyText: text }))
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toBe(
      "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: rule 1: selection.countUnit: required with sinceImagePushed'",
    );
  });

  it('previews the repository’s policy exactly as evaluateLifecyclePolicy decides on the same images', async () => {
    // Prepare
    await cli.ok(
      'put-lifecycle-policy',
      '--repository-name',
      repositoryName,
      '--lifecycle-policy-text',
      POLICY,
    );
    // Act
    const started = await cli.ok('start-lifecycle-policy-preview', '--repository-name', repositoryName);
    const preview = await cli.ok('get-lifecycle-policy-preview', '--repository-name', repositoryName);
    // Assess: the engine run directly on DescribeImages' view of the repository, at the sandbox clock's now
    const { imageDetails = [] } = await ecr.send(
      new DescribeImagesCommand({ repositoryName, filter: { imageStatus: 'ANY' } }),
    );
    const now = new Date(((await admin('GET', 'clock')).body as { now: string }).now);
    expect(Number.isNaN(now.getTime())).toBe(false);
    const expected = evaluateLifecyclePolicy(
      parseLifecyclePolicyOrThrow(POLICY),
      lifecycleImagesFromDetails(imageDetails, (digest) =>
        digest === index ? children.map((c) => c.digest) : [],
      ),
      now,
    );
    const results = preview.previewResults as PreviewResult[];
    expect(started).toMatchObject({ repositoryName, lifecyclePolicyText: POLICY, status: 'COMPLETE' });
    expect(preview.status).toBe('COMPLETE');
    expect(
      results.map((r) => [r.imageDigest, r.action.type.toLowerCase(), r.appliedRulePriority]).sort(),
    ).toEqual(
      expected.images
        .filter((r) => r.decision !== null)
        .map((r) => [r.digest, r.decision?.action.type, r.decision?.rulePriority])
        .sort(),
    );
    // …which is, by hand: the two oldest releases archived, the two oldest plain untagged images expired; the
    // index's children are held by the index, the SBOM follows its subject and is no candidate.
    expect(new Set(expected.transitioned)).toEqual(new Set([releases[0]?.digest, releases[1]?.digest]));
    expect(new Set(expected.expired)).toEqual(new Set(untagged.map((u) => u.digest)));
    expect(results.map((r) => r.imageDigest)).not.toContain(sbom);
    expect(results.find((r) => r.imageDigest === releases[0]?.digest)).toMatchObject({
      imageTags: ['release-1'],
      action: { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' },
      appliedRulePriority: 1,
      storageClass: 'STANDARD',
    });
    expect(results.find((r) => r.imageDigest === untagged[0]?.digest)).not.toHaveProperty('imageTags');
    expect(preview.summary).toEqual({
      expiringImageTotalCount: 2,
      transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: 2 }],
    });
  });

  it('pages with maxResults and nextToken, filters by tag status and by image ids', async () => {
    // Prepare
    await cli.ok('start-lifecycle-policy-preview', '--repository-name', repositoryName);
    const all = (await cli.ok('get-lifecycle-policy-preview', '--repository-name', repositoryName))
      .previewResults as PreviewResult[];
    // Act: the CLI follows nextToken with one result per page
    const paged = await cli.ok(
      'get-lifecycle-policy-preview',
      '--repository-name',
      repositoryName,
      '--page-size',
      '1',
    );
    const firstPage = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName, maxResults: 3 }));
    const untaggedOnly = await cli.ok(
      'get-lifecycle-policy-preview',
      '--repository-name',
      repositoryName,
      '--filter',
      'tagStatus=UNTAGGED',
    );
    const byId = await cli.ok(
      'get-lifecycle-policy-preview',
      '--repository-name',
      repositoryName,
      '--image-ids',
      'imageTag=release-2',
    );
    const mixed = await ecr
      .send(
        new GetLifecyclePolicyPreviewCommand({
          repositoryName,
          imageIds: [{ imageTag: 'release-2' }],
          maxResults: 10,
        }),
      )
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    // Assess
    expect(all).toHaveLength(4);
    expect(paged.previewResults).toEqual(all);
    expect(firstPage.previewResults).toHaveLength(3);
    expect(firstPage.nextToken).toEqual(expect.any(String));
    expect((untaggedOnly.previewResults as PreviewResult[]).map((r) => r.imageDigest).sort()).toEqual(
      untagged.map((u) => u.digest).sort(),
    );
    expect((byId.previewResults as PreviewResult[]).map((r) => r.imageDigest)).toEqual([releases[1]?.digest]);
    expect(mixed).toBeInstanceOf(InvalidParameterException);
  });

  it('evaluates the given policy text against the images at the moment it starts', async () => {
    // Prepare: a policy that expires every untagged image but the newest
    const text = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'keep only the newest untagged image of this repository',
          selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    });
    // Act
    await cli.ok(
      'start-lifecycle-policy-preview',
      '--repository-name',
      repositoryName,
      '--lifecycle-policy-text',
      text,
    );
    await pushImage(ecr, repositoryName, uniqueImage());
    const preview = await cli.ok('get-lifecycle-policy-preview', '--repository-name', repositoryName);
    // Assess: the image pushed after the start is not in the preview; the stored policy is unchanged
    expect(preview.lifecyclePolicyText).toBe(text);
    expect(preview.summary).toEqual({ expiringImageTotalCount: 2 });
    expect(
      (await cli.ok('get-lifecycle-policy', '--repository-name', repositoryName)).lifecyclePolicyText,
    ).toBe(POLICY);
  });
});
