import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { dockerManifest, makeEmulator, ociIndex, sha256, sleep, type TestEmulator } from './fixtures.ts';

const CONFIG = '{"architecture":"amd64","os":"linux"}';
const LAYER = 'layer-bytes-0123456789';

let t: TestEmulator;
beforeEach(async () => {
  t = await makeEmulator();
});

describe('wire envelope', () => {
  it('answers JSON 1.1 with epoch-second timestamps', async () => {
    // Act
    const response = await t.call('CreateRepository', { repositoryName: 'app' });
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(response.body.repository.createdAt).toBe(t.clock.now().getTime() / 1000);
    expect(response.body.repository).toMatchObject({
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/app',
      registryId: '123456789012',
      repositoryUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app',
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });

  it('reports errors as status 400 with __type, message and x-amzn-errortype', async () => {
    const response = await t.call('DescribeImages', { repositoryName: 'missing' });
    expect(response.status).toBe(400);
    expect(response.headers['x-amzn-errortype']).toBe('RepositoryNotFoundException');
    expect(response.body.__type).toBe('RepositoryNotFoundException');
    expect(response.body.message).toContain("'missing'");
  });

  it('answers malformed JSON with SerializationException and unknown actions with UnknownOperationException', async () => {
    const malformed = await t.emulator.serve('CreateRepository', '{oops');
    const unknown = await t.fail('CreateRegistryTemplate', {});
    expect(JSON.parse(String(malformed.body)).__type).toBe('SerializationException');
    expect(unknown).toEqual({
      type: 'UnknownOperationException',
      message: "Unknown operation: CreateRegistryTemplate (the sandbox's ECR emulator does not implement it)",
    });
  });

  it.each([
    ['CreateRepository', { repositoryName: 'Bad_Name' }, /repositoryName/],
    ['CreateRepository', { repositoryName: 'a' }, /repositoryName/],
    ['CreateRepository', {}, /repositoryName/],
    ['DescribeImages', { repositoryName: 42 }, /repositoryName/],
    [
      'CreateRepository',
      { repositoryName: 'ok-name', imageTagMutability: 'SOMETIMES' },
      /imageTagMutability/,
    ],
  ])('rejects %s %j with InvalidParameterException naming the field', async (action, input, field) => {
    const error = await t.fail(action, input);
    expect(error.type).toBe('InvalidParameterException');
    expect(error.message).toMatch(field);
  });
});

describe('repositories', () => {
  it('refuses a second repository with the same name', async () => {
    await t.ok('CreateRepository', { repositoryName: 'app' });
    expect((await t.fail('CreateRepository', { repositoryName: 'app' })).type).toBe(
      'RepositoryAlreadyExistsException',
    );
  });

  it('stores mutability with exclusion filters, scanning, KMS encryption and tags', async () => {
    // Prepare
    const input = {
      repositoryName: 'team/app',
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS' },
      tags: [{ Key: 'team', Value: 'core' }],
    };
    // Act
    const created = await t.ok('CreateRepository', input);
    const tags = await t.ok('ListTagsForResource', { resourceArn: created.repository.repositoryArn });
    // Assess
    expect(created.repository.imageTagMutabilityExclusionFilters).toEqual([
      { filterType: 'WILDCARD', filter: 'latest' },
    ]);
    expect(created.repository.imageScanningConfiguration).toEqual({ scanOnPush: true });
    expect(created.repository.encryptionConfiguration.encryptionType).toBe('KMS');
    expect(created.repository.encryptionConfiguration.kmsKey).toContain('alias/aws/ecr');
    expect(tags.tags).toEqual([{ Key: 'team', Value: 'core' }]);
  });

  it.each([
    [{ imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' }],
    [
      {
        imageTagMutability: 'MUTABLE',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'x' }],
      },
    ],
    [
      {
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: Array.from({ length: 6 }, (_, i) => ({
          filterType: 'WILDCARD',
          filter: `f${i}`,
        })),
      },
    ],
    [
      {
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'REGEX', filter: 'x' }],
      },
    ],
  ])('rejects inconsistent tag mutability settings %j', async (settings) => {
    expect((await t.fail('CreateRepository', { repositoryName: 'app', ...settings })).type).toBe(
      'InvalidParameterException',
    );
  });

  it('describes named repositories, failing for a missing one, and paginates the rest', async () => {
    // Prepare
    for (const name of ['r1', 'r2', 'r3', 'r4', 'r5'])
      await t.ok('CreateRepository', { repositoryName: name });
    // Act
    const named = await t.ok('DescribeRepositories', { repositoryNames: ['r2', 'r4'] });
    const missing = await t.fail('DescribeRepositories', { repositoryNames: ['r2', 'nope'] });
    const page1 = await t.ok('DescribeRepositories', { maxResults: 2 });
    const page2 = await t.ok('DescribeRepositories', { maxResults: 2, nextToken: page1.nextToken });
    const page3 = await t.ok('DescribeRepositories', { maxResults: 2, nextToken: page2.nextToken });
    // Assess
    expect(named.repositories.map((r: { repositoryName: string }) => r.repositoryName)).toEqual(['r2', 'r4']);
    expect(missing.type).toBe('RepositoryNotFoundException');
    const names = [...page1.repositories, ...page2.repositories, ...page3.repositories].map(
      (r) => r.repositoryName,
    );
    expect(names).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(page3.nextToken).toBeUndefined();
    expect((await t.fail('DescribeRepositories', { maxResults: 0 })).type).toBe('InvalidParameterException');
    expect((await t.fail('DescribeRepositories', { nextToken: 'bogus' })).type).toBe(
      'InvalidParameterException',
    );
  });

  it('refuses to delete a repository with images unless forced', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a', 'v1');
    // Act
    const refused = await t.fail('DeleteRepository', { repositoryName: 'app' });
    const forced = await t.ok('DeleteRepository', { repositoryName: 'app', force: true });
    // Assess
    expect(refused.type).toBe('RepositoryNotEmptyException');
    expect(forced.repository.repositoryName).toBe('app');
    expect((await t.fail('DescribeImages', { repositoryName: 'app' })).type).toBe(
      'RepositoryNotFoundException',
    );
  });

  it('deletes an empty repository without force', async () => {
    await t.ok('CreateRepository', { repositoryName: 'empty' });
    await t.ok('DeleteRepository', { repositoryName: 'empty' });
    expect((await t.ok('DescribeRepositories', {})).repositories).toEqual([]);
  });

  it('accepts its own registryId and treats another account as not found', async () => {
    await t.ok('CreateRepository', { repositoryName: 'app', registryId: '123456789012' });
    expect((await t.fail('DescribeImages', { repositoryName: 'app', registryId: '999999999999' })).type).toBe(
      'RepositoryNotFoundException',
    );
  });
});

describe('layer uploads', () => {
  it('accepts contiguous parts and verifies the digest of the uploaded bytes', async () => {
    // Prepare
    await t.ok('CreateRepository', { repositoryName: 'app' });
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from('tail');
    const digest = sha256(Buffer.concat([part1, part2]));
    const { uploadId, partSize } = await t.ok('InitiateLayerUpload', { repositoryName: 'app' });
    // Act
    const first = await t.ok('UploadLayerPart', {
      repositoryName: 'app',
      uploadId,
      partFirstByte: 0,
      partLastByte: part1.length - 1,
      layerPartBlob: part1.toString('base64'),
    });
    const gap = await t.call('UploadLayerPart', {
      repositoryName: 'app',
      uploadId,
      partFirstByte: part1.length + 10,
      partLastByte: part1.length + 13,
      layerPartBlob: part2.toString('base64'),
    });
    await t.ok('UploadLayerPart', {
      repositoryName: 'app',
      uploadId,
      partFirstByte: part1.length,
      partLastByte: part1.length + 3,
      layerPartBlob: part2.toString('base64'),
    });
    const completed = await t.ok('CompleteLayerUpload', {
      repositoryName: 'app',
      uploadId,
      layerDigests: [digest],
    });
    const check = await t.ok('BatchCheckLayerAvailability', {
      repositoryName: 'app',
      layerDigests: [digest, sha256('x')],
    });
    // Assess
    expect(partSize).toBeGreaterThan(0);
    expect(first.lastByteReceived).toBe(part1.length - 1);
    expect(gap.status).toBe(400);
    expect(gap.body.__type).toBe('InvalidLayerPartException');
    expect(gap.body.lastValidByteReceived).toBe(part1.length - 1);
    expect(completed.layerDigest).toBe(digest);
    expect(check.layers).toEqual([
      { layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: part1.length + 4 },
    ]);
    expect(check.failures).toEqual([
      { layerDigest: sha256('x'), failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' },
    ]);
  });

  it('rejects bytes whose digest differs from layerDigests with InvalidLayerException', async () => {
    await t.ok('CreateRepository', { repositoryName: 'app' });
    const { uploadId } = await t.ok('InitiateLayerUpload', { repositoryName: 'app' });
    await t.ok('UploadLayerPart', {
      repositoryName: 'app',
      uploadId,
      partFirstByte: 0,
      partLastByte: 2,
      layerPartBlob: Buffer.from('abc').toString('base64'),
    });
    const error = await t.fail('CompleteLayerUpload', {
      repositoryName: 'app',
      uploadId,
      layerDigests: [sha256('abd')],
    });
    expect(error.type).toBe('InvalidLayerException');
  });

  it('reports a layer already present, an unknown upload, an empty upload and a too-small middle part', async () => {
    // Prepare
    await t.ok('CreateRepository', { repositoryName: 'app' });
    const digest = await t.uploadBlob('app', 'same-bytes');
    const again = await t.ok('InitiateLayerUpload', { repositoryName: 'app' });
    await t.ok('UploadLayerPart', {
      repositoryName: 'app',
      uploadId: again.uploadId,
      partFirstByte: 0,
      partLastByte: 9,
      layerPartBlob: Buffer.from('same-bytes').toString('base64'),
    });
    const empty = await t.ok('InitiateLayerUpload', { repositoryName: 'app' });
    const small = await t.ok('InitiateLayerUpload', { repositoryName: 'app' });
    await t.ok('UploadLayerPart', {
      repositoryName: 'app',
      uploadId: small.uploadId,
      partFirstByte: 0,
      partLastByte: 0,
      layerPartBlob: 'YQ==',
    });
    await t.ok('UploadLayerPart', {
      repositoryName: 'app',
      uploadId: small.uploadId,
      partFirstByte: 1,
      partLastByte: 1,
      layerPartBlob: 'Yg==',
    });
    // Act
    const exists = await t.fail('CompleteLayerUpload', {
      repositoryName: 'app',
      uploadId: again.uploadId,
      layerDigests: [digest],
    });
    const unknown = await t.fail('UploadLayerPart', {
      repositoryName: 'app',
      uploadId: 'nope',
      partFirstByte: 0,
      partLastByte: 0,
      layerPartBlob: 'YQ==',
    });
    const none = await t.fail('CompleteLayerUpload', {
      repositoryName: 'app',
      uploadId: empty.uploadId,
      layerDigests: [digest],
    });
    const tooSmall = await t.fail('CompleteLayerUpload', {
      repositoryName: 'app',
      uploadId: small.uploadId,
      layerDigests: [sha256('ab')],
    });
    // Assess
    expect(exists.type).toBe('LayerAlreadyExistsException');
    expect(unknown.type).toBe('UploadNotFoundException');
    expect(none.type).toBe('EmptyUploadException');
    expect(tooSmall.type).toBe('LayerPartTooSmallException');
  });

  it('hands out a download URL only for layers an image uses, and serves their bytes', async () => {
    // Prepare
    const { layer } = await t.createRepoWithBlobs('app');
    const loose = await t.uploadBlob('app', 'not-in-any-image');
    // Act
    const before = await t.fail('GetDownloadUrlForLayer', { repositoryName: 'app', layerDigest: layer });
    await t.pushImage('app', 'a', 'v1');
    const url = await t.ok('GetDownloadUrlForLayer', { repositoryName: 'app', layerDigest: layer });
    const inaccessible = await t.fail('GetDownloadUrlForLayer', {
      repositoryName: 'app',
      layerDigest: loose,
    });
    const missing = await t.fail('GetDownloadUrlForLayer', {
      repositoryName: 'app',
      layerDigest: sha256('zzz'),
    });
    // Assess
    expect(before.type).toBe('LayerInaccessibleException');
    expect(url.downloadUrl).toBe(
      `http://127.0.0.1:4566/_sandbox/ecr/blob?repository=app&digest=${encodeURIComponent(layer)}`,
    );
    expect(t.emulator.readBlob('app', layer)?.toString()).toBe(LAYER);
    expect(t.emulator.readBlob('other', layer)).toBeUndefined();
    expect(inaccessible.type).toBe('LayerInaccessibleException');
    expect(missing.type).toBe('LayersNotFoundException');
  });
});

describe('PutImage', () => {
  const manifest = (variant: string) =>
    dockerManifest(sha256(CONFIG), CONFIG.length, [{ digest: sha256(LAYER), size: LAYER.length }], {
      variant,
    });

  it('names the image by the sha256 of the exact manifest text and emits a PUSH event', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const text = `${manifest('a')}\n`;
    // Act
    const put = await t.ok('PutImage', { repositoryName: 'app', imageManifest: text, imageTag: 'v1' });
    const got = await t.ok('BatchGetImage', { repositoryName: 'app', imageIds: [{ imageTag: 'v1' }] });
    // Assess
    expect(put.image.imageId).toEqual({ imageDigest: sha256(text), imageTag: 'v1' });
    expect(got.images[0].imageManifest).toBe(text);
    expect(t.events).toHaveLength(1);
    expect(t.events[0]).toMatchObject({ Source: 'aws.ecr', DetailType: 'ECR Image Action', Resources: [] });
    expect(JSON.parse(t.events[0]?.Detail ?? '')).toEqual({
      result: 'SUCCESS',
      'repository-name': 'app',
      'image-digest': sha256(text),
      'action-type': 'PUSH',
      'image-tag': 'v1',
    });
  });

  it('leaves image-tag out of the PUSH event of an untagged push', async () => {
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a');
    expect(JSON.parse(t.events[0]?.Detail ?? '')).not.toHaveProperty('image-tag');
  });

  it('rejects a given imageDigest that does not match with ImageDigestDoesNotMatchException', async () => {
    await t.createRepoWithBlobs('app');
    const error = await t.fail('PutImage', {
      repositoryName: 'app',
      imageManifest: manifest('a'),
      imageDigest: sha256('other'),
    });
    expect(error.type).toBe('ImageDigestDoesNotMatchException');
    expect(t.events).toHaveLength(0);
  });

  it('accepts a matching imageDigest', async () => {
    await t.createRepoWithBlobs('app');
    const text = manifest('a');
    const put = await t.ok('PutImage', {
      repositoryName: 'app',
      imageManifest: text,
      imageDigest: sha256(text),
    });
    expect(put.image.imageId.imageDigest).toBe(sha256(text));
  });

  it('needs every blob in this repository: LayersNotFoundException otherwise', async () => {
    // Prepare: blobs exist in another repository only
    await t.createRepoWithBlobs('source');
    await t.ok('CreateRepository', { repositoryName: 'target' });
    // Act
    const error = await t.fail('PutImage', { repositoryName: 'target', imageManifest: manifest('a') });
    // Assess
    expect(error.type).toBe('LayersNotFoundException');
    expect(error.message).toContain(sha256(CONFIG));
    expect(error.message).toContain(sha256(LAYER));
  });

  it('rejects an OCI manifest without a media type anywhere', async () => {
    await t.createRepoWithBlobs('app');
    const oci = JSON.stringify({
      schemaVersion: 2,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(CONFIG),
        size: CONFIG.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: sha256(LAYER),
          size: LAYER.length,
        },
      ],
    });
    expect((await t.fail('PutImage', { repositoryName: 'app', imageManifest: oci })).type).toBe(
      'InvalidParameterException',
    );
    const put = await t.ok('PutImage', {
      repositoryName: 'app',
      imageManifest: oci,
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(put.image.imageManifestMediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  it('answers the same manifest with the same tag with ImageAlreadyExistsException, and adds a new tag', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const digest = await t.pushImage('app', 'a', 'v1');
    // Act
    const same = await t.fail('PutImage', {
      repositoryName: 'app',
      imageManifest: manifest('a'),
      imageTag: 'v1',
    });
    const untaggedAgain = await t.fail('PutImage', { repositoryName: 'app', imageManifest: manifest('a') });
    await t.ok('PutImage', { repositoryName: 'app', imageManifest: manifest('a'), imageTag: 'stable' });
    const described = await t.ok('DescribeImages', { repositoryName: 'app' });
    // Assess
    expect(same.type).toBe('ImageAlreadyExistsException');
    expect(untaggedAgain.type).toBe('ImageAlreadyExistsException');
    expect(described.imageDetails).toHaveLength(1);
    expect(described.imageDetails[0].imageDigest).toBe(digest);
    expect(described.imageDetails[0].imageTags).toEqual(['v1', 'stable']);
  });

  it('moves a tag on a mutable repository and leaves the old image untagged, not deleted', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const old = await t.pushImage('app', 'a', 'latest');
    // Act
    const moved = await t.pushImage('app', 'b', 'latest');
    const described = await t.ok('DescribeImages', { repositoryName: 'app' });
    const untagged = await t.ok('ListImages', { repositoryName: 'app', filter: { tagStatus: 'UNTAGGED' } });
    // Assess
    expect(described.imageDetails).toHaveLength(2);
    const oldDetail = described.imageDetails.find((d: { imageDigest: string }) => d.imageDigest === old);
    expect(oldDetail).not.toHaveProperty('imageTags');
    expect(untagged.imageIds).toEqual([{ imageDigest: old }]);
    expect(
      described.imageDetails.find((d: { imageDigest: string }) => d.imageDigest === moved).imageTags,
    ).toEqual(['latest']);
  });

  it('refuses to move a tag on an immutable repository', async () => {
    await t.createRepoWithBlobs('app', { imageTagMutability: 'IMMUTABLE' });
    await t.pushImage('app', 'a', 'v1');
    const error = await t.fail('PutImage', {
      repositoryName: 'app',
      imageManifest: manifest('b'),
      imageTag: 'v1',
    });
    expect(error.type).toBe('ImageTagAlreadyExistsException');
  });

  it.each([
    ['IMMUTABLE_WITH_EXCLUSION', 'latest', true],
    ['IMMUTABLE_WITH_EXCLUSION', 'dev-42', true],
    ['IMMUTABLE_WITH_EXCLUSION', 'v1', false],
    ['MUTABLE_WITH_EXCLUSION', 'release-1', false],
    ['MUTABLE_WITH_EXCLUSION', 'latest', true],
  ])(
    'on a %s repository (filters latest, dev-*, release-*) the tag %s can move: %s',
    async (mode, tag, movable) => {
      // Prepare
      const filters =
        mode === 'IMMUTABLE_WITH_EXCLUSION'
          ? [
              { filterType: 'WILDCARD', filter: 'latest' },
              { filterType: 'WILDCARD', filter: 'dev-*' },
            ]
          : [{ filterType: 'WILDCARD', filter: 'release-*' }];
      await t.createRepoWithBlobs('app', {
        imageTagMutability: mode,
        imageTagMutabilityExclusionFilters: filters,
      });
      await t.pushImage('app', 'a', tag);
      // Act
      const response = await t.call('PutImage', {
        repositoryName: 'app',
        imageManifest: manifest('b'),
        imageTag: tag,
      });
      // Assess
      expect(response.status === 200).toBe(movable);
      if (!movable) expect(response.body.__type).toBe('ImageTagAlreadyExistsException');
    },
  );

  it('applies a mutability change made with PutImageTagMutability', async () => {
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a', 'v1');
    const changed = await t.ok('PutImageTagMutability', {
      repositoryName: 'app',
      imageTagMutability: 'IMMUTABLE',
    });
    expect(changed.imageTagMutability).toBe('IMMUTABLE');
    expect(
      (await t.fail('PutImage', { repositoryName: 'app', imageManifest: manifest('b'), imageTag: 'v1' }))
        .type,
    ).toBe('ImageTagAlreadyExistsException');
  });

  it('accepts an index whose children are in the repository, sizing it as its largest child', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const bigLayer = await t.uploadBlob('app', 'a-bigger-layer-with-more-bytes');
    const small = await t.pushImage('app', 'amd64');
    const bigText = dockerManifest(sha256(CONFIG), CONFIG.length, [
      { digest: sha256(LAYER), size: LAYER.length },
      { digest: bigLayer, size: 30 },
    ]);
    const big = (await t.ok('PutImage', { repositoryName: 'app', imageManifest: bigText })).image.imageId
      .imageDigest;
    const index = ociIndex([
      { digest: small, size: 300 },
      { digest: big, size: 300 },
    ]);
    // Act
    const put = await t.ok('PutImage', { repositoryName: 'app', imageManifest: index, imageTag: 'multi' });
    const detail = await t.ok('DescribeImages', { repositoryName: 'app', imageIds: [{ imageTag: 'multi' }] });
    // Assess
    expect(put.image.imageManifestMediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(detail.imageDetails[0].imageSizeInBytes).toBe(LAYER.length + 30);
  });

  it('rejects an index with a child not in the repository: ReferencedImagesNotFoundException', async () => {
    await t.createRepoWithBlobs('app');
    const child = await t.pushImage('app', 'amd64');
    const index = ociIndex([
      { digest: child, size: 1 },
      { digest: sha256('absent'), size: 1 },
    ]);
    expect((await t.fail('PutImage', { repositoryName: 'app', imageManifest: index })).type).toBe(
      'ReferencedImagesNotFoundException',
    );
  });

  it('records subjectManifestDigest and artifactMediaType for a referrer', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    const empty = await t.uploadBlob('app', '{}');
    const sig = await t.uploadBlob('app', 'signature-bytes');
    const referrer = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty, size: 2 },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sig, size: 15 }],
      subject: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        digest: subject,
        size: 100,
      },
    });
    // Act
    const put = await t.ok('PutImage', { repositoryName: 'app', imageManifest: referrer });
    const detail = await t.ok('DescribeImages', {
      repositoryName: 'app',
      imageIds: [{ imageDigest: put.image.imageId.imageDigest }],
    });
    // Assess
    expect(detail.imageDetails[0]).toMatchObject({
      subjectManifestDigest: subject,
      artifactMediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      imageSizeInBytes: 15,
    });
  });

  it.each([[{ imageTag: 'bad tag' }], [{ imageTag: '.dot' }], [{ imageDigest: 'nonsense' }]])(
    'rejects %j with InvalidParameterException',
    async (extra) => {
      await t.createRepoWithBlobs('app');
      expect(
        (await t.fail('PutImage', { repositoryName: 'app', imageManifest: manifest('a'), ...extra })).type,
      ).toBe('InvalidParameterException');
    },
  );
});

describe('BatchGetImage', () => {
  it('records lastRecordedPullTime from the clock and reports failures per item', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const digest = await t.pushImage('app', 'a', 'v1');
    t.clock.advance(60_000);
    // Act
    const got = await t.ok('BatchGetImage', {
      repositoryName: 'app',
      imageIds: [{ imageTag: 'v1' }, { imageTag: 'nope' }],
    });
    const detail = await t.ok('DescribeImages', { repositoryName: 'app' });
    // Assess
    expect(got.images).toHaveLength(1);
    expect(got.failures).toEqual([
      {
        imageId: { imageTag: 'nope' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
    expect(detail.imageDetails[0].imageDigest).toBe(digest);
    expect(detail.imageDetails[0].lastRecordedPullTime).toBe(t.clock.now().getTime() / 1000);
  });

  it('honours acceptedMediaTypes', async () => {
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a', 'v1');
    const got = await t.ok('BatchGetImage', {
      repositoryName: 'app',
      imageIds: [{ imageTag: 'v1' }],
      acceptedMediaTypes: ['application/vnd.oci.image.manifest.v1+json'],
    });
    expect(got.images).toEqual([]);
    expect(got.failures).toHaveLength(1);
  });
});

describe('DescribeImages and ListImages', () => {
  async function fill(count: number, tagEvery: number): Promise<string[]> {
    await t.createRepoWithBlobs('big');
    const digests: string[] = [];
    for (let i = 0; i < count; i++) {
      digests.push(await t.pushImage('big', `img-${i}`, i % tagEvery === 0 ? `t${i}` : undefined));
    }
    return digests;
  }

  it('pages through every image in push order with opaque tokens', async () => {
    // Prepare
    const digests = await fill(25, 1);
    // Act
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await t.ok('DescribeImages', {
        repositoryName: 'big',
        maxResults: 10,
        ...(nextToken ? { nextToken } : {}),
      });
      seen.push(...page.imageDetails.map((d: { imageDigest: string }) => d.imageDigest));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    // Assess
    expect(pages).toBe(3);
    expect(seen).toEqual(digests);
  });

  it('defaults to pages of 100', async () => {
    await fill(105, 1);
    const page = await t.ok('DescribeImages', { repositoryName: 'big' });
    expect(page.imageDetails).toHaveLength(100);
    expect(page.nextToken).toBeDefined();
  });

  it('pages with a tagStatus filter, and keeps its place when images are deleted between pages', async () => {
    // Prepare: every third image tagged
    const digests = await fill(30, 3);
    const tagged = digests.filter((_, i) => i % 3 === 0);
    // Act
    const page1 = await t.ok('DescribeImages', {
      repositoryName: 'big',
      maxResults: 4,
      filter: { tagStatus: 'TAGGED' },
    });
    await t.ok('BatchDeleteImage', { repositoryName: 'big', imageIds: [{ imageDigest: digests[0] }] });
    const page2 = await t.ok('DescribeImages', {
      repositoryName: 'big',
      maxResults: 4,
      filter: { tagStatus: 'TAGGED' },
      nextToken: page1.nextToken,
    });
    const page3 = await t.ok('DescribeImages', {
      repositoryName: 'big',
      maxResults: 4,
      filter: { tagStatus: 'TAGGED' },
      nextToken: page2.nextToken,
    });
    const untagged = await t.ok('DescribeImages', {
      repositoryName: 'big',
      maxResults: 1000,
      filter: { tagStatus: 'UNTAGGED' },
    });
    // Assess
    const ids = (page: { imageDetails: Array<{ imageDigest: string }> }) =>
      page.imageDetails.map((d) => d.imageDigest);
    expect([...ids(page1), ...ids(page2), ...ids(page3)]).toEqual(tagged);
    expect(page3.nextToken).toBeUndefined();
    expect(untagged.imageDetails).toHaveLength(20);
    expect(untagged.imageDetails.every((d: object) => !('imageTags' in d))).toBe(true);
  });

  it('rejects a token from another listing or filter', async () => {
    await fill(5, 1);
    const page = await t.ok('DescribeImages', { repositoryName: 'big', maxResults: 2 });
    const otherFilter = await t.fail('DescribeImages', {
      repositoryName: 'big',
      maxResults: 2,
      nextToken: page.nextToken,
      filter: { tagStatus: 'UNTAGGED' },
    });
    const otherAction = await t.fail('ListImages', { repositoryName: 'big', nextToken: page.nextToken });
    expect(otherFilter.type).toBe('InvalidParameterException');
    expect(otherAction.type).toBe('InvalidParameterException');
  });

  it.each([0, 1001, 'x'])('rejects maxResults %j', async (maxResults) => {
    await fill(1, 1);
    expect((await t.fail('DescribeImages', { repositoryName: 'big', maxResults })).type).toBe(
      'InvalidParameterException',
    );
    expect((await t.fail('ListImages', { repositoryName: 'big', maxResults })).type).toBe(
      'InvalidParameterException',
    );
  });

  it('looks images up by id, failing for a missing one and refusing imageIds with paging', async () => {
    const digests = await fill(3, 1);
    const found = await t.ok('DescribeImages', {
      repositoryName: 'big',
      imageIds: [{ imageTag: 't1' }, { imageDigest: digests[2] }],
    });
    const missing = await t.fail('DescribeImages', {
      repositoryName: 'big',
      imageIds: [{ imageTag: 'nope' }],
    });
    const combined = await t.fail('DescribeImages', {
      repositoryName: 'big',
      imageIds: [{ imageTag: 't1' }],
      maxResults: 5,
    });
    expect(found.imageDetails.map((d: { imageDigest: string }) => d.imageDigest)).toEqual([
      digests[1],
      digests[2],
    ]);
    expect(missing.type).toBe('ImageNotFoundException');
    expect(combined.type).toBe('InvalidParameterException');
  });

  it('lists one entry per tag and one digest-only entry per untagged image, paging inside an image', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const a = await t.pushImage('app', 'a', 'a1');
    await t.ok('PutImage', {
      repositoryName: 'app',
      imageManifest: (await t.ok('BatchGetImage', { repositoryName: 'app', imageIds: [{ imageDigest: a }] }))
        .images[0].imageManifest,
      imageTag: 'a2',
    });
    const b = await t.pushImage('app', 'b');
    // Act
    const page1 = await t.ok('ListImages', { repositoryName: 'app', maxResults: 1 });
    const page2 = await t.ok('ListImages', {
      repositoryName: 'app',
      maxResults: 1,
      nextToken: page1.nextToken,
    });
    const page3 = await t.ok('ListImages', {
      repositoryName: 'app',
      maxResults: 1,
      nextToken: page2.nextToken,
    });
    const tagged = await t.ok('ListImages', { repositoryName: 'app', filter: { tagStatus: 'TAGGED' } });
    // Assess
    expect([...page1.imageIds, ...page2.imageIds, ...page3.imageIds]).toEqual([
      { imageDigest: a, imageTag: 'a1' },
      { imageDigest: a, imageTag: 'a2' },
      { imageDigest: b },
    ]);
    expect(page3.nextToken).toBeUndefined();
    expect(tagged.imageIds).toHaveLength(2);
  });
});

describe('BatchDeleteImage', () => {
  it('rejects more than 100 ids', async () => {
    await t.createRepoWithBlobs('app');
    const imageIds = Array.from({ length: 101 }, (_, i) => ({ imageTag: `t${i}` }));
    expect((await t.fail('BatchDeleteImage', { repositoryName: 'app', imageIds })).type).toBe(
      'InvalidParameterException',
    );
  });

  it('reports per-item failures without throwing', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const digest = await t.pushImage('app', 'a', 'v1');
    await t.pushImage('app', 'b', 'v2');
    // Act
    const result = await t.ok('BatchDeleteImage', {
      repositoryName: 'app',
      imageIds: [
        { imageTag: 'missing' },
        { imageDigest: 'garbage' },
        { imageTag: 'bad tag!' },
        {},
        { imageDigest: digest, imageTag: 'v2' },
        { imageDigest: sha256('never') },
      ],
    });
    // Assess
    expect(result.imageIds).toEqual([]);
    expect(result.failures.map((f: { failureCode: string }) => f.failureCode)).toEqual([
      'ImageNotFound',
      'InvalidImageDigest',
      'InvalidImageTag',
      'MissingDigestAndTag',
      'ImageTagDoesNotMatchDigest',
      'ImageNotFound',
    ]);
  });

  it('by tag removes only the tag until the last one goes; by digest removes the image and all its tags', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const a = await t.pushImage('app', 'a', 'a1');
    const text = (await t.ok('BatchGetImage', { repositoryName: 'app', imageIds: [{ imageDigest: a }] }))
      .images[0].imageManifest;
    await t.ok('PutImage', { repositoryName: 'app', imageManifest: text, imageTag: 'a2' });
    const b = await t.pushImage('app', 'b', 'b1');
    await t.ok('PutImage', {
      repositoryName: 'app',
      imageManifest: (await t.ok('BatchGetImage', { repositoryName: 'app', imageIds: [{ imageDigest: b }] }))
        .images[0].imageManifest,
      imageTag: 'b2',
    });
    t.events.length = 0;
    // Act
    const byTag = await t.ok('BatchDeleteImage', { repositoryName: 'app', imageIds: [{ imageTag: 'a1' }] });
    const afterTag = await t.ok('DescribeImages', { repositoryName: 'app', imageIds: [{ imageDigest: a }] });
    const lastTag = await t.ok('BatchDeleteImage', { repositoryName: 'app', imageIds: [{ imageTag: 'a2' }] });
    const byDigest = await t.ok('BatchDeleteImage', {
      repositoryName: 'app',
      imageIds: [{ imageDigest: b }],
    });
    const left = await t.ok('DescribeImages', { repositoryName: 'app' });
    // Assess
    expect(byTag.imageIds).toEqual([{ imageDigest: a, imageTag: 'a1' }]);
    expect(afterTag.imageDetails[0].imageTags).toEqual(['a2']);
    expect(lastTag.imageIds).toEqual([{ imageDigest: a, imageTag: 'a2' }]);
    expect(byDigest.imageIds).toEqual([
      { imageDigest: b, imageTag: 'b1' },
      { imageDigest: b, imageTag: 'b2' },
    ]);
    expect(left.imageDetails).toEqual([]);
    const details = t.events.map((e) => JSON.parse(e.Detail));
    expect(details.every((d) => d['action-type'] === 'DELETE' && d.result === 'SUCCESS')).toBe(true);
    expect(details.map((d) => d['image-tag'])).toEqual(['a1', 'a2', 'b1', 'b2']);
  });

  it('refuses to delete a child of a remaining index, but allows it after the index in the same call', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const child = await t.pushImage('app', 'amd64');
    const index = ociIndex([{ digest: child, size: 1 }]);
    const parent = (
      await t.ok('PutImage', { repositoryName: 'app', imageManifest: index, imageTag: 'multi' })
    ).image.imageId.imageDigest;
    // Act
    const blocked = await t.ok('BatchDeleteImage', {
      repositoryName: 'app',
      imageIds: [{ imageDigest: child }],
    });
    const ordered = await t.ok('BatchDeleteImage', {
      repositoryName: 'app',
      imageIds: [{ imageDigest: parent }, { imageDigest: child }],
    });
    // Assess
    expect(blocked.failures[0].failureCode).toBe('ImageReferencedByManifestList');
    expect(blocked.imageIds).toEqual([]);
    expect(ordered.failures).toEqual([]);
    expect(ordered.imageIds).toEqual([{ imageDigest: parent, imageTag: 'multi' }, { imageDigest: child }]);
  });
});

describe('scanning', () => {
  it('scans on push, completes after the delay with catalogue findings and emits ECR Image Scan', async () => {
    // Prepare
    await t.createRepoWithBlobs('app', { imageScanningConfiguration: { scanOnPush: true } });
    t.emulator.setFindings({
      repositoryName: 'app',
      imageTag: 'v1',
      findings: [
        {
          name: 'CVE-2024-0001',
          severity: 'CRITICAL',
          package: 'openssl',
          version: '3.0.1',
          fixedIn: '3.0.2',
        },
        { name: 'CVE-2024-0002', severity: 'MEDIUM', package: 'zlib', version: '1.2' },
        { name: 'CVE-2024-0003', severity: 'CRITICAL', package: 'glibc', version: '2.31' },
      ],
    });
    // Act
    const digest = await t.pushImage('app', 'a', 'v1');
    const during = await t.ok('DescribeImageScanFindings', {
      repositoryName: 'app',
      imageId: { imageTag: 'v1' },
    });
    await sleep(40);
    const after = await t.ok('DescribeImageScanFindings', {
      repositoryName: 'app',
      imageId: { imageTag: 'v1' },
      maxResults: 2,
    });
    const rest = await t.ok('DescribeImageScanFindings', {
      repositoryName: 'app',
      imageId: { imageTag: 'v1' },
      maxResults: 2,
      nextToken: after.nextToken,
    });
    const detail = await t.ok('DescribeImages', { repositoryName: 'app' });
    // Assess
    expect(during.imageScanStatus.status).toBe('IN_PROGRESS');
    expect(during).not.toHaveProperty('imageScanFindings');
    expect(after.imageScanStatus.status).toBe('COMPLETE');
    expect(after.imageScanFindings.findingSeverityCounts).toEqual({ CRITICAL: 2, MEDIUM: 1 });
    expect(after.imageScanFindings.findings).toHaveLength(2);
    expect(after.imageScanFindings.findings[0]).toMatchObject({
      name: 'CVE-2024-0001',
      severity: 'CRITICAL',
      attributes: expect.arrayContaining([
        { key: 'package_name', value: 'openssl' },
        { key: 'package_version', value: '3.0.1' },
      ]),
    });
    expect(typeof after.imageScanFindings.imageScanCompletedAt).toBe('number');
    expect(rest.imageScanFindings.findings).toHaveLength(1);
    expect(rest.nextToken).toBeUndefined();
    expect(detail.imageDetails[0].imageScanStatus.status).toBe('COMPLETE');
    expect(detail.imageDetails[0].imageScanFindingsSummary.findingSeverityCounts).toEqual({
      CRITICAL: 2,
      MEDIUM: 1,
    });
    const scanEvent = t.events.find((e) => e.DetailType === 'ECR Image Scan');
    expect(scanEvent).toMatchObject({
      Source: 'aws.ecr',
      Resources: ['arn:aws:ecr:us-east-1:123456789012:repository/app'],
    });
    expect(JSON.parse(scanEvent?.Detail ?? '')).toEqual({
      'scan-status': 'COMPLETE',
      'repository-name': 'app',
      'finding-severity-counts': { CRITICAL: 2, MEDIUM: 1 },
      'image-digest': digest,
      'image-tags': ['v1'],
    });
  });

  it('scans clean when the catalogue has no entry, and simulates a FAILED status from the catalogue', async () => {
    // Prepare
    await t.createRepoWithBlobs('app', { imageScanningConfiguration: { scanOnPush: true } });
    const clean = await t.pushImage('app', 'clean', 'ok');
    const failedDigest = sha256(
      dockerManifest(sha256(CONFIG), 37, [{ digest: sha256(LAYER), size: 22 }], { variant: 'broken' }),
    );
    t.emulator.setFindings({
      repositoryName: 'app',
      imageDigest: failedDigest,
      status: 'FAILED',
      findings: [],
    });
    await t.pushImage('app', 'broken', 'bad');
    // Act
    await sleep(40);
    const cleanFindings = await t.ok('DescribeImageScanFindings', {
      repositoryName: 'app',
      imageId: { imageDigest: clean },
    });
    const failed = await t.ok('DescribeImageScanFindings', {
      repositoryName: 'app',
      imageId: { imageTag: 'bad' },
    });
    // Assess
    expect(cleanFindings.imageScanFindings.findings).toEqual([]);
    expect(cleanFindings.imageScanFindings.findingSeverityCounts).toEqual({});
    expect(failed.imageScanStatus.status).toBe('FAILED');
    const statuses = t.events
      .filter((e) => e.DetailType === 'ECR Image Scan')
      .map((e) => JSON.parse(e.Detail)['scan-status']);
    expect(statuses.sort()).toEqual(['COMPLETE', 'FAILED']);
  });

  it('starts a basic scan on demand once per 24 hours and reports ScanNotFoundException before any scan', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a', 'v1');
    // Act
    const notScanned = await t.fail('DescribeImageScanFindings', {
      repositoryName: 'app',
      imageId: { imageTag: 'v1' },
    });
    const started = await t.ok('StartImageScan', { repositoryName: 'app', imageId: { imageTag: 'v1' } });
    const again = await t.fail('StartImageScan', { repositoryName: 'app', imageId: { imageTag: 'v1' } });
    t.clock.advance(24 * 60 * 60 * 1000 + 1);
    const nextDay = await t.call('StartImageScan', { repositoryName: 'app', imageId: { imageTag: 'v1' } });
    const missing = await t.fail('StartImageScan', { repositoryName: 'app', imageId: { imageTag: 'nope' } });
    // Assess
    expect(notScanned.type).toBe('ScanNotFoundException');
    expect(started.imageScanStatus.status).toBe('IN_PROGRESS');
    expect(again.type).toBe('LimitExceededException');
    expect(nextDay.status).toBe(200);
    expect(missing.type).toBe('ImageNotFoundException');
  });

  it('scans on push for a registry rule matching the repository by wildcard', async () => {
    // Prepare
    await t.ok('PutRegistryScanningConfiguration', {
      scanType: 'BASIC',
      rules: [
        { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'prod-*', filterType: 'WILDCARD' }] },
      ],
    });
    await t.createRepoWithBlobs('prod-api');
    await t.createRepoWithBlobs('dev-api');
    // Act
    await t.pushImage('prod-api', 'a', 'v1');
    await t.pushImage('dev-api', 'a', 'v1');
    await sleep(30);
    // Assess
    const scans = t.events
      .filter((e) => e.DetailType === 'ECR Image Scan')
      .map((e) => JSON.parse(e.Detail)['repository-name']);
    expect(scans).toEqual(['prod-api']);
    expect((await t.ok('GetRegistryScanningConfiguration', {})).scanningConfiguration.rules).toHaveLength(1);
  });

  it('reports enhanced findings and emits Inspector2 Scan when the registry uses ENHANCED scanning', async () => {
    // Prepare
    await t.ok('PutRegistryScanningConfiguration', {
      scanType: 'ENHANCED',
      rules: [
        { scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] },
      ],
    });
    await t.createRepoWithBlobs('app');
    t.emulator.setFindings({
      repositoryName: 'app',
      imageTag: 'v1',
      findings: [
        { name: 'CVE-2024-6119', severity: 'HIGH', package: 'openssl', version: '3.0.13', fixedIn: '3.0.14' },
        { name: 'CVE-2024-0002', severity: 'LOW', package: 'zlib', version: '1.2' },
      ],
    });
    // Act
    const digest = await t.pushImage('app', 'a', 'v1');
    await sleep(40);
    const findings = await t.ok('DescribeImageScanFindings', {
      repositoryName: 'app',
      imageId: { imageTag: 'v1' },
    });
    // Assess
    expect(findings.imageScanStatus.status).toBe('ACTIVE');
    expect(findings.imageScanFindings).not.toHaveProperty('findings');
    const first = findings.imageScanFindings.enhancedFindings[0];
    expect(first).toMatchObject({
      severity: 'HIGH',
      status: 'ACTIVE',
      type: 'PACKAGE_VULNERABILITY',
      fixAvailable: 'YES',
      title: 'CVE-2024-6119 - openssl',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2024-6119',
        vulnerablePackages: [{ name: 'openssl', version: '3.0.13', fixedInVersion: '3.0.14' }],
      },
    });
    expect(first.findingArn).toMatch(/^arn:aws:inspector2:us-east-1:123456789012:finding\//);
    expect(first.resources[0].details.awsEcrContainerImage.imageHash).toBe(digest);
    expect(findings.imageScanFindings.enhancedFindings[1].fixAvailable).toBe('NO');
    const event = t.events.find((e) => e.DetailType === 'Inspector2 Scan');
    expect(event).toMatchObject({
      Source: 'aws.inspector2',
      Resources: ['arn:aws:ecr:us-east-1:123456789012:repository/app'],
    });
    expect(JSON.parse(event?.Detail ?? '')).toMatchObject({
      'scan-status': 'INITIAL_SCAN_COMPLETE',
      'repository-name': 'arn:aws:ecr:us-east-1:123456789012:repository/app',
      'finding-severity-counts': { CRITICAL: 0, HIGH: 1, MEDIUM: 0, TOTAL: 2 },
      'image-digest': digest,
      'image-tags': ['v1'],
    });
  });

  it('rejects an invalid catalogue entry with an error naming the field', () => {
    expect(() =>
      t.emulator.setFindings({
        repositoryName: 'app',
        imageTag: 'v1',
        findings: [{ name: 'x', severity: 'BAD' }],
      }),
    ).toThrow(/severity/);
  });
});

describe('policies and registry settings', () => {
  const policy = JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: 'expire untagged images after a week',
        selection: {
          tagStatus: 'untagged',
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 7,
        },
        action: { type: 'expire' },
      },
    ],
  });

  it('stores, returns and deletes a lifecycle policy', async () => {
    await t.ok('CreateRepository', { repositoryName: 'app' });
    expect((await t.fail('GetLifecyclePolicy', { repositoryName: 'app' })).type).toBe(
      'LifecyclePolicyNotFoundException',
    );
    expect(
      (
        await t.fail('PutLifecyclePolicy', {
          repositoryName: 'app',
          lifecyclePolicyText: '{"rules": "nope"}',
        })
      ).type,
    ).toBe('InvalidParameterException');
    await t.ok('PutLifecyclePolicy', { repositoryName: 'app', lifecyclePolicyText: policy });
    expect((await t.ok('GetLifecyclePolicy', { repositoryName: 'app' })).lifecyclePolicyText).toBe(policy);
    await t.ok('DeleteLifecyclePolicy', { repositoryName: 'app' });
    expect((await t.fail('DeleteLifecyclePolicy', { repositoryName: 'app' })).type).toBe(
      'LifecyclePolicyNotFoundException',
    );
  });

  it('stores, returns and deletes a repository policy', async () => {
    await t.ok('CreateRepository', { repositoryName: 'app' });
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }],
    });
    expect((await t.fail('GetRepositoryPolicy', { repositoryName: 'app' })).type).toBe(
      'RepositoryPolicyNotFoundException',
    );
    expect((await t.fail('SetRepositoryPolicy', { repositoryName: 'app', policyText: 'nope' })).type).toBe(
      'InvalidParameterException',
    );
    await t.ok('SetRepositoryPolicy', { repositoryName: 'app', policyText: text });
    expect((await t.ok('GetRepositoryPolicy', { repositoryName: 'app' })).policyText).toBe(text);
    expect((await t.ok('DeleteRepositoryPolicy', { repositoryName: 'app' })).policyText).toBe(text);
    expect((await t.fail('DeleteRepositoryPolicy', { repositoryName: 'app' })).type).toBe(
      'RepositoryPolicyNotFoundException',
    );
  });

  it('updates scan-on-push, replication and tags', async () => {
    const created = await t.ok('CreateRepository', { repositoryName: 'app' });
    const arn = created.repository.repositoryArn;
    await t.ok('PutImageScanningConfiguration', {
      repositoryName: 'app',
      imageScanningConfiguration: { scanOnPush: true },
    });
    const rules = [{ destinations: [{ region: 'eu-west-1', registryId: '123456789012' }] }];
    await t.ok('PutReplicationConfiguration', { replicationConfiguration: { rules } });
    await t.ok('TagResource', {
      resourceArn: arn,
      tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
    });
    await t.ok('UntagResource', { resourceArn: arn, tagKeys: ['a'] });
    expect(
      (await t.ok('DescribeRepositories', { repositoryNames: ['app'] })).repositories[0]
        .imageScanningConfiguration,
    ).toEqual({
      scanOnPush: true,
    });
    expect((await t.ok('DescribeRegistry', {})).replicationConfiguration.rules).toEqual(rules);
    expect((await t.ok('ListTagsForResource', { resourceArn: arn })).tags).toEqual([
      { Key: 'b', Value: '2' },
    ]);
    const tooMany = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect((await t.fail('TagResource', { resourceArn: arn, tags: tooMany })).type).toBe(
      'TooManyTagsException',
    );
    expect((await t.fail('TagResource', { resourceArn: 'not-an-arn', tags: [] })).type).toBe(
      'InvalidParameterException',
    );
    expect((await t.fail('ListTagsForResource', { resourceArn: `${arn}-gone` })).type).toBe(
      'RepositoryNotFoundException',
    );
  });

  it('hands out an authorization token for the sandbox endpoint', async () => {
    const auth = await t.ok('GetAuthorizationToken', {});
    const data = auth.authorizationData[0];
    expect(Buffer.from(data.authorizationToken, 'base64').toString()).toMatch(/^AWS:.+/);
    expect(data.proxyEndpoint).toBe('http://127.0.0.1:4566');
    expect(data.expiresAt).toBe(t.clock.now().getTime() / 1000 + 12 * 3600);
  });
});

describe('state', () => {
  it('survives a restart through stateDir', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'ecr-state-'));
    try {
      const first = await makeEmulator({ stateDir: dir });
      const { layer } = await first.createRepoWithBlobs('app', { imageTagMutability: 'IMMUTABLE' });
      const digest = await first.pushImage('app', 'a', 'v1');
      await first.pushImage('app', 'b');
      await first.ok('PutLifecyclePolicy', {
        repositoryName: 'app',
        lifecyclePolicyText: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 },
              action: { type: 'expire' },
            },
          ],
        }),
      });
      await first.ok('PutRegistryScanningConfiguration', { scanType: 'ENHANCED', rules: [] });
      first.emulator.setFindings({
        repositoryName: 'app',
        imageTag: 'v1',
        findings: [{ name: 'CVE-1', severity: 'HIGH' }],
      });
      await first.emulator.close();
      // Act
      const second = await makeEmulator({ stateDir: dir });
      const described = await second.ok('DescribeImages', { repositoryName: 'app' });
      const repo = await second.ok('DescribeRepositories', { repositoryNames: ['app'] });
      const third = await second.pushImage('app', 'c', 'v2');
      // Assess
      expect(described.imageDetails.map((d: { imageDigest: string }) => d.imageDigest)[0]).toBe(digest);
      expect(described.imageDetails).toHaveLength(2);
      expect(repo.repositories[0].imageTagMutability).toBe('IMMUTABLE');
      expect(second.emulator.readBlob('app', layer)?.toString()).toBe(LAYER);
      expect((await second.ok('GetRegistryScanningConfiguration', {})).scanningConfiguration.scanType).toBe(
        'ENHANCED',
      );
      expect(
        (await second.ok('GetLifecyclePolicy', { repositoryName: 'app' })).lifecyclePolicyText,
      ).toContain('imageCountMoreThan');
      expect((await second.ok('ListImages', { repositoryName: 'app' })).imageIds.at(-1)).toEqual({
        imageDigest: third,
        imageTag: 'v2',
      });
      expect(
        (await second.fail('PutImage', { repositoryName: 'app', imageManifest: 'x', imageTag: 'v1' })).type,
      ).toBe('InvalidParameterException');
      await second.emulator.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('saves on its own shortly after a change, without flush or close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecr-state-'));
    try {
      // Prepare
      const first = await makeEmulator({ stateDir: dir });
      await first.ok('CreateRepository', { repositoryName: 'saved-later' });
      // Act
      await sleep(800);
      const second = await makeEmulator({ stateDir: dir });
      // Assess
      const names = (await second.ok('DescribeRepositories', {})).repositories.map(
        (r: { repositoryName: string }) => r.repositoryName,
      );
      expect(names).toEqual(['saved-later']);
      await first.emulator.close();
      await second.emulator.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reset empties repositories, blobs, settings and the findings catalogue', async () => {
    // Prepare
    const { layer } = await t.createRepoWithBlobs('app', {
      imageScanningConfiguration: { scanOnPush: true },
    });
    await t.pushImage('app', 'a', 'v1');
    await t.ok('PutRegistryScanningConfiguration', { scanType: 'ENHANCED', rules: [] });
    t.emulator.setFindings({ repositoryName: 'app', imageTag: 'v1', findings: [] });
    // Act
    t.emulator.reset();
    await sleep(20);
    // Assess
    expect((await t.ok('DescribeRepositories', {})).repositories).toEqual([]);
    expect(t.emulator.readBlob('app', layer)).toBeUndefined();
    expect((await t.ok('GetRegistryScanningConfiguration', {})).scanningConfiguration).toEqual({
      scanType: 'BASIC',
      rules: [],
    });
    expect(t.events.filter((e) => e.DetailType === 'ECR Image Scan')).toEqual([]);
  });
});
