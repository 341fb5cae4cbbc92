import { createHash } from 'node:crypto';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  ImageAlreadyExistsException,
  ImageTagAlreadyExistsException,
  InitiateLayerUploadCommand,
  LayersNotFoundException,
  ListImagesCommand,
  PutImageCommand,
  paginateDescribeImages,
  RepositoryNotFoundException,
  StartImageScanCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, awsClientConfig, uniqueName } from '../../support/sandbox.ts';

const sha256 = (data: string | Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const CONFIG = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
const LAYER = 'pretend-this-is-a-gzipped-tarball';

function manifest(variant: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: CONFIG.length,
      digest: sha256(CONFIG),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: LAYER.length,
        digest: sha256(LAYER),
      },
    ],
    annotations: { variant },
  });
}

describe('ECR emulator through the AWS SDK', () => {
  let ecr: ECRClient;
  const repositoryName = uniqueName('sdk');

  /** Blobs belong to a repository: upload config and layer into `repo` (one part each). */
  async function uploadBlobs(repo: string): Promise<void> {
    for (const data of [CONFIG, LAYER]) {
      const bytes = Buffer.from(data);
      const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: repo }));
      await ecr.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId,
          partFirstByte: 0,
          partLastByte: bytes.length - 1,
          layerPartBlob: bytes,
        }),
      );
      const done = await ecr.send(
        new CompleteLayerUploadCommand({ repositoryName: repo, uploadId, layerDigests: [sha256(bytes)] }),
      );
      expect(done.layerDigest).toBe(sha256(bytes));
    }
  }

  beforeAll(async () => {
    ecr = new ECRClient(awsClientConfig());
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: false } }),
    );
    await uploadBlobs(repositoryName);
  });

  afterAll(async () => {
    await ecr.send(new DeleteRepositoryCommand({ repositoryName, force: true })).catch(() => undefined);
    ecr.destroy();
  });

  it('pushes an image and describes it with Date timestamps and no imageTags when untagged', async () => {
    // Act
    const put = await ecr.send(
      new PutImageCommand({ repositoryName, imageManifest: manifest('a'), imageTag: 'v1' }),
    );
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest('b') }));
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    // Assess
    expect(put.image?.imageId?.imageDigest).toBe(sha256(manifest('a')));
    const [tagged, untagged] = described.imageDetails ?? [];
    expect(tagged?.imageTags).toEqual(['v1']);
    expect(tagged?.imagePushedAt).toBeInstanceOf(Date);
    expect(tagged?.imageSizeInBytes).toBe(LAYER.length);
    expect(untagged?.imageTags).toBeUndefined();
  });

  it('raises typed exceptions the SDK recognises', async () => {
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: `${repositoryName}-nope` })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
    await expect(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest('a'), imageTag: 'v1' })),
    ).rejects.toBeInstanceOf(ImageAlreadyExistsException);
    const other = uniqueName('sdk-empty');
    await ecr.send(new CreateRepositoryCommand({ repositoryName: other, imageTagMutability: 'IMMUTABLE' }));
    await expect(
      ecr.send(new PutImageCommand({ repositoryName: other, imageManifest: manifest('a') })),
    ).rejects.toBeInstanceOf(LayersNotFoundException);
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: other }));
  });

  it('refuses to move an immutable tag with ImageTagAlreadyExistsException', async () => {
    const immutable = uniqueName('sdk-immutable');
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: immutable, imageTagMutability: 'IMMUTABLE' }),
    );
    try {
      await uploadBlobs(immutable);
      await ecr.send(
        new PutImageCommand({ repositoryName: immutable, imageManifest: manifest('x'), imageTag: 'v1' }),
      );
      await expect(
        ecr.send(
          new PutImageCommand({ repositoryName: immutable, imageManifest: manifest('y'), imageTag: 'v1' }),
        ),
      ).rejects.toBeInstanceOf(ImageTagAlreadyExistsException);
    } finally {
      await ecr.send(new DeleteRepositoryCommand({ repositoryName: immutable, force: true }));
    }
  });

  it('pages with the SDK paginator', async () => {
    // Prepare
    const paged = uniqueName('sdk-pages');
    await ecr.send(new CreateRepositoryCommand({ repositoryName: paged }));
    await uploadBlobs(paged);
    for (let i = 0; i < 12; i++) {
      await ecr.send(
        new PutImageCommand({ repositoryName: paged, imageManifest: manifest(`p${i}`), imageTag: `t${i}` }),
      );
    }
    // Act
    const pages = [];
    for await (const page of paginateDescribeImages({ client: ecr, pageSize: 5 }, { repositoryName: paged }))
      pages.push(page);
    const listed = await ecr.send(new ListImagesCommand({ repositoryName: paged, maxResults: 1000 }));
    // Assess
    expect(pages.map((p) => p.imageDetails?.length)).toEqual([5, 5, 2]);
    expect(listed.imageIds).toHaveLength(12);
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: paged, force: true }));
  });

  it('pulls a manifest and downloads a layer through the URL GetDownloadUrlForLayer gives', async () => {
    // Act
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }));
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: sha256(LAYER) }),
    );
    const response = await fetch(downloadUrl as string);
    // Assess
    expect(got.images?.[0]?.imageManifest).toBe(manifest('a'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(LAYER);
  });

  it('scans with findings from the catalogue set through the admin API', async () => {
    // Prepare
    const set = await admin('POST', 'findings', {
      repositoryName,
      imageTag: 'v1',
      findings: [{ name: 'CVE-2024-1234', severity: 'HIGH', package: 'openssl', version: '3.0.1' }],
    });
    expect(set.status).toBeLessThan(300);
    // Act
    await ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'v1' } }));
    let findings = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'v1' } }),
    );
    for (let i = 0; i < 50 && findings.imageScanStatus?.status === 'IN_PROGRESS'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      findings = await ecr.send(
        new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'v1' } }),
      );
    }
    // Assess
    expect(findings.imageScanStatus?.status).toBe('COMPLETE');
    expect(findings.imageScanFindings?.findingSeverityCounts).toEqual({ HIGH: 1 });
    expect(findings.imageScanFindings?.imageScanCompletedAt).toBeInstanceOf(Date);
  });

  it('deletes by tag and by digest', async () => {
    const result = await ecr.send(
      new BatchDeleteImageCommand({
        repositoryName,
        imageIds: [{ imageTag: 'v1' }, { imageTag: 'never-pushed' }],
      }),
    );
    expect(result.imageIds).toEqual([{ imageDigest: sha256(manifest('a')), imageTag: 'v1' }]);
    expect(result.failures?.[0]?.failureCode).toBe('ImageNotFound');
  });
});
