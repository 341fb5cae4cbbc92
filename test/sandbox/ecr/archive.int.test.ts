import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  ImageArchivedException,
  ListImageReferrersCommand,
  ListImagesCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { pushImage } from '../../support/images.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import {
  awsEcrCli,
  detailsOf,
  ecrEventQueue,
  type PushableImage,
  referrerOf,
  uniqueImage,
} from './lifecycle-fixtures.ts';

/**
 * The ARCHIVE storage class on the shared sandbox: UpdateImageStorageClass through the real AWS CLI (botocore
 * 1.43 knows it), what archiving changes for DescribeImages/ListImages, pulls and scans, the restore through
 * ACTIVATING, and the UPDATE_STORAGE_CLASS events shaped like AWS's samples.
 */

// Each AWS CLI call starts a Python process (seconds on a loaded machine): these tests make many.
describe('archive and restore', { timeout: 90_000 }, () => {
  const cli = awsEcrCli(sandboxUrl());
  const ecr = new ECRClient(awsClientConfig());
  const repositoryName = uniqueName('archive');
  let image: PushableImage;
  let other: PushableImage;

  beforeAll(async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    image = uniqueImage();
    other = uniqueImage();
    await pushImage(ecr, repositoryName, image, 'v1');
    await pushImage(ecr, repositoryName, other, 'v2');
  });

  afterAll(() => ecr.destroy());

  const describeImages = (imageStatus?: 'ARCHIVED' | 'ACTIVATING' | 'ANY') =>
    ecr.send(
      new DescribeImagesCommand({ repositoryName, ...(imageStatus ? { filter: { imageStatus } } : {}) }),
    );
  const pull = (imageTag: string) =>
    ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag }] }));

  it('archives an image: hidden from default listings, shown by the imageStatus filter, not pullable nor scannable', async () => {
    // Prepare
    const events = await ecrEventQueue(awsClientConfig(), repositoryName);
    // Act
    const archived = await cli.ok(
      'update-image-storage-class',
      '--repository-name',
      repositoryName,
      '--image-id',
      'imageTag=v1',
      '--target-storage-class',
      'ARCHIVE',
    );
    // Assess
    expect(archived).toEqual({
      registryId: '123456789012',
      repositoryName,
      imageId: { imageDigest: image.digest, imageTag: 'v1' },
      imageStatus: 'ARCHIVED',
    });
    expect((await describeImages()).imageDetails?.map((d) => d.imageDigest)).toEqual([other.digest]);
    const shown = (await describeImages('ARCHIVED')).imageDetails ?? [];
    expect(shown.map((d) => [d.imageDigest, d.imageStatus])).toEqual([[image.digest, 'ARCHIVED']]);
    expect(shown[0]?.lastArchivedAt).toBeInstanceOf(Date);
    expect((await describeImages('ANY')).imageDetails).toHaveLength(2);
    const listed = await ecr.send(new ListImagesCommand({ repositoryName }));
    expect(listed.imageIds).toEqual([{ imageDigest: other.digest, imageTag: 'v2' }]);
    const listedArchived = await cli.ok(
      'list-images',
      '--repository-name',
      repositoryName,
      '--filter',
      'imageStatus=ARCHIVED',
    );
    expect(listedArchived.imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'v1' }]);
    // Pulls fail as ECR's 404: BatchGetImage's per-image failure, and the image's own layer is not downloadable
    const pulled = await pull('v1');
    expect(pulled.images).toEqual([]);
    expect(pulled.failures?.[0]).toMatchObject({ imageId: { imageTag: 'v1' }, failureCode: 'ImageNotFound' });
    expect(
      await cli.error(
        'get-download-url-for-layer',
        '--repository-name',
        repositoryName,
        '--layer-digest',
        image.layer,
      ),
    ).toBe('LayerInaccessibleException');
    const availability = await cli.ok(
      'batch-check-layer-availability',
      '--repository-name',
      repositoryName,
      '--layer-digests',
      image.layer,
    );
    expect(availability.layers).toEqual([expect.objectContaining({ layerAvailability: 'ARCHIVED' })]);
    const scan = await ecr
      .send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'v1' } }))
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(scan).toBeInstanceOf(ImageArchivedException);
    // The event, shaped like AWS's ecr-image-action-archive.json sample
    const received = await events.read({ until: (got) => got.length >= 1 });
    events.close();
    expect(received[0]).toMatchObject({
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      resources: [],
    });
    expect(detailsOf(received)[0]).toEqual({
      'detail-type': 'ECR Image Action',
      'action-type': 'UPDATE_STORAGE_CLASS',
      'target-storage-class': 'ARCHIVE',
      'image-digest': image.digest,
      'repository-name': repositoryName,
      result: 'SUCCESS',
      'manifest-media-type': 'application/vnd.oci.image.manifest.v1+json',
      'artifact-media-type': 'application/vnd.oci.image.config.v1+json',
    });
  });

  it('restores an archived image through ACTIVATING, after which it is pullable again', async () => {
    // Prepare
    const events = await ecrEventQueue(awsClientConfig(), repositoryName);
    // Act
    const restored = await cli.ok(
      'update-image-storage-class',
      '--repository-name',
      repositoryName,
      '--image-id',
      `imageDigest=${image.digest}`,
      '--target-storage-class',
      'STANDARD',
    );
    const activating = (await describeImages('ACTIVATING')).imageDetails ?? [];
    const stillRefused = await pull('v1');
    // Assess
    expect(restored.imageStatus).toBe('ACTIVATING');
    expect(activating.map((d) => d.imageDigest)).toEqual([image.digest]);
    expect(stillRefused.failures).toHaveLength(1);
    // The sandbox finishes a restore one second (sandbox clock) after it starts.
    const active = await eventually(
      async () => (await describeImages()).imageDetails ?? [],
      (details) => details.length === 2,
    );
    const detail = active.find((d) => d.imageDigest === image.digest);
    expect(detail).toMatchObject({ imageStatus: 'ACTIVE', imageTags: ['v1'] });
    expect(detail?.lastActivatedAt).toBeInstanceOf(Date);
    const pulled = await pull('v1');
    expect(pulled.images?.[0]?.imageId).toEqual({ imageDigest: image.digest, imageTag: 'v1' });
    expect(
      (
        await cli.ok(
          'get-download-url-for-layer',
          '--repository-name',
          repositoryName,
          '--layer-digest',
          image.layer,
        )
      ).layerDigest,
    ).toBe(image.layer);
    const received = await events.read({ until: (got) => got.length >= 1 });
    events.close();
    expect(detailsOf(received)[0]).toMatchObject({
      'action-type': 'UPDATE_STORAGE_CLASS',
      'target-storage-class': 'STANDARD',
      'image-digest': image.digest,
      'last-activated-at': detail?.lastActivatedAt?.toISOString(),
    });
  });

  it('answers ImageNotFoundException for an unknown image and refuses an unknown storage class', async () => {
    expect(
      await cli.error(
        'update-image-storage-class',
        '--repository-name',
        repositoryName,
        '--image-id',
        'imageTag=nope',
        '--target-storage-class',
        'ARCHIVE',
      ),
    ).toBe('ImageNotFoundException');
    expect(
      await cli.error(
        'update-image-storage-class',
        '--repository-name',
        repositoryName,
        '--image-id',
        'imageTag=v2',
        '--target-storage-class',
        'GLACIER',
      ),
    ).toBe('InvalidParameterException');
  });

  it('restores an archived image pushed again, and reports a referrer’s status in ListImageReferrers', async () => {
    // Prepare
    const subject = uniqueImage();
    await pushImage(ecr, repositoryName, subject, 'v3');
    const sbom = referrerOf(subject);
    await pushImage(ecr, repositoryName, sbom);
    await cli.ok(
      'update-image-storage-class',
      '--repository-name',
      repositoryName,
      '--image-id',
      `imageDigest=${sbom.digest}`,
      '--target-storage-class',
      'ARCHIVE',
    );
    await cli.ok(
      'update-image-storage-class',
      '--repository-name',
      repositoryName,
      '--image-id',
      'imageTag=v3',
      '--target-storage-class',
      'ARCHIVE',
    );
    // Act
    await pushImage(ecr, repositoryName, subject, 'v3');
    const referrers = await ecr.send(
      new ListImageReferrersCommand({
        repositoryName,
        subjectId: { imageDigest: subject.digest },
        filter: { artifactStatus: 'ANY' },
      }),
    );
    // Assess
    expect((await describeImages('ACTIVATING')).imageDetails?.map((d) => d.imageDigest)).toEqual([
      subject.digest,
    ]);
    expect(referrers.referrers?.map((r) => [r.digest, r.artifactStatus])).toEqual([
      [sbom.digest, 'ARCHIVED'],
    ]);
  });
});
