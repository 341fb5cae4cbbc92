import { randomBytes } from 'node:crypto';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  type ImageDetail,
  type ImageTagMutability,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrImageCopier } from '../../src/promotion/adapters/ecr-image-copier.ts';
import { ImageCopyError, PromotionConflictError } from '../../src/promotion/errors.ts';
import type { SourceImage, TargetImage } from '../../src/promotion/ports.ts';
import { SANDBOX_ACCOUNT_ID, type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { sha256Digest } from '../../src/shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES, putManifest } from '../../src/shared/ecr/manifests.ts';
import { ImageGoneError } from '../../src/shared/errors.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { type ImageToPush, pushImage } from '../support/images.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The image copier against the sandbox's ECR emulator with real SDK clients: blobs are random bytes so nothing
 * dedupes by accident, and every expectation on counts is exact. The source and target clients are two
 * clients (as across accounts), on the one sandbox account.
 */

const MIB = 1024 * 1024;
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
const SIGNATURE_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const EMPTY_CONFIG = Buffer.from('{}');

interface Blobbed extends ImageToPush {
  digest: string;
  /** Bytes of every blob (config and layers), in manifest order. */
  sizes: number[];
}

function descriptor(mediaType: string, bytes: Uint8Array) {
  return { mediaType, size: bytes.length, digest: sha256Digest(bytes) };
}

/** An OCI image of random layers (sizes in bytes), config first. */
function randomImage(layerSizes: number[]): Blobbed {
  const layers = layerSizes.map((size) => randomBytes(size));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      nonce: randomBytes(8).toString('hex'),
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => sha256Digest(layer)) },
    }),
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    config: descriptor(OCI_CONFIG, config),
    layers: layers.map((layer) => descriptor(OCI_LAYER, layer)),
  });
  const blobs = [config, ...layers];
  return {
    blobs,
    manifest,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    digest: sha256Digest(manifest),
    sizes: blobs.map((b) => b.length),
  };
}

/** An image built on the layers of `base` plus new random ones (its own config). */
function imageOnTopOf(base: Blobbed, extraLayerSizes: number[]): Blobbed {
  const layers = [...base.blobs.slice(1), ...extraLayerSizes.map((size) => randomBytes(size))];
  const config = Buffer.from(JSON.stringify({ os: 'linux', nonce: randomBytes(8).toString('hex') }));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    config: descriptor(OCI_CONFIG, config),
    layers: layers.map((layer) => descriptor(OCI_LAYER, layer)),
  });
  const blobs = [config, ...layers];
  return {
    blobs,
    manifest,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    digest: sha256Digest(manifest),
    sizes: blobs.map((b) => b.length),
  };
}

/** An OCI 1.1 signature-like artifact whose subject is `subject` (a manifest's digest and media type). */
function signatureOf(subject: { digest: string; mediaType: string; size: number }): Blobbed {
  const payload = randomBytes(300);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    artifactType: SIGNATURE_TYPE,
    config: descriptor(OCI_EMPTY, EMPTY_CONFIG),
    layers: [descriptor('application/vnd.dev.cosign.simplesigning.v1+json', payload)],
    subject,
  });
  return {
    blobs: [EMPTY_CONFIG, payload],
    manifest,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    digest: sha256Digest(manifest),
    sizes: [EMPTY_CONFIG.length, payload.length],
  };
}

/** The descriptor a referrer of `manifest` names as its subject. */
function subjectOf(manifest: { digest: string; mediaType: string; manifest: string }) {
  return {
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    size: Buffer.byteLength(manifest.manifest),
  };
}

function indexOf(children: Blobbed[]): { manifest: string; digest: string } {
  const platforms = [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux' },
  ];
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
    manifests: children.map((child, i) => ({
      mediaType: child.mediaType,
      size: Buffer.byteLength(child.manifest),
      digest: child.digest,
      platform: platforms[i % platforms.length],
    })),
  });
  return { manifest, digest: sha256Digest(manifest) };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function clients(endpoint?: string) {
  return {
    source: new ECRClient(awsClientConfig(endpoint)),
    target: new ECRClient(awsClientConfig(endpoint)),
  };
}

async function createRepository(
  ecr: ECRClient,
  name: string,
  imageTagMutability: ImageTagMutability = 'MUTABLE',
) {
  await ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability }));
}

async function images(ecr: ECRClient, repositoryName: string): Promise<ImageDetail[]> {
  const out = await ecr.send(new DescribeImagesCommand({ repositoryName, maxResults: 1000 }));
  return out.imageDetails ?? [];
}

async function manifestByTag(ecr: ECRClient, repositoryName: string, imageTag: string) {
  const out = await ecr.send(
    new BatchGetImageCommand({
      repositoryName,
      imageIds: [{ imageTag }],
      acceptedMediaTypes: Object.values(MANIFEST_MEDIA_TYPES),
    }),
  );
  return out.images?.[0];
}

async function missingBlobs(ecr: ECRClient, repositoryName: string, digests: string[]): Promise<string[]> {
  const out = await ecr.send(
    new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: digests }),
  );
  return (out.failures ?? []).map((f) => f.layerDigest ?? '?');
}

/** A dev and a staging repository, the image pushed into dev under `tag`, and the copy's two ends. */
async function devAndStaging(
  ecr: ECRClient,
  image: Blobbed,
  stagingMutability: ImageTagMutability = 'MUTABLE',
) {
  const dev = uniqueName('app-dev');
  const staging = uniqueName('app-staging');
  await createRepository(ecr, dev);
  await createRepository(ecr, staging, stagingMutability);
  await pushImage(ecr, dev, image, '1.0.0');
  const source: SourceImage = {
    registryId: SANDBOX_ACCOUNT_ID,
    repositoryName: dev,
    imageDigest: image.digest,
  };
  const target: TargetImage = { registryId: SANDBOX_ACCOUNT_ID, repositoryName: staging, imageTag: '1.0.0' };
  return { dev, staging, source, target };
}

describe('ecrImageCopier on the shared sandbox', () => {
  const { source: sourceEcr, target: targetEcr } = clients();
  const copier = ecrImageCopier({ source: sourceEcr, target: targetEcr });

  it('copies every blob dev → staging and the target digest is identical; copying again copies nothing', async () => {
    // Prepare
    const image = randomImage([300_000, 1_000_000]);
    const { staging, source, target } = await devAndStaging(sourceEcr, image);

    // Act
    const first = await copier.copy(source, target, { copyReferrers: true });
    const second = await copier.copy(source, target, { copyReferrers: true });

    // Assess
    expect(first).toEqual({
      blobsCopied: 3,
      blobsSkipped: 0,
      blobsMounted: 0,
      bytesCopied: sum(image.sizes),
      manifestsPut: 1,
      referrersCopied: 0,
      alreadyPresent: false,
    });
    const copied = await manifestByTag(targetEcr, staging, '1.0.0');
    expect(copied?.imageId?.imageDigest).toBe(image.digest);
    expect(copied?.imageManifest).toBe(image.manifest);
    expect(copied?.imageManifestMediaType).toBe(MANIFEST_MEDIA_TYPES.ociManifest);
    expect(second).toEqual({
      blobsCopied: 0,
      blobsSkipped: 0,
      blobsMounted: 0,
      bytesCopied: 0,
      manifestsPut: 0,
      referrersCopied: 0,
      alreadyPresent: true,
    });
  });

  it('uploads only the blobs the target lacks', async () => {
    // Prepare: staging already runs the base image, whose two layers the new image reuses.
    const base = randomImage([200_000, 400_000]);
    const image = imageOnTopOf(base, [500_000]);
    const { staging, source, target } = await devAndStaging(sourceEcr, image);
    await pushImage(targetEcr, staging, base, '0.9.0');

    // Act
    const outcome = await copier.copy(source, target, { copyReferrers: false });

    // Assess: the new config and the new layer moved; the two base layers did not.
    expect(outcome).toMatchObject({
      blobsCopied: 2,
      blobsSkipped: 2,
      manifestsPut: 1,
      alreadyPresent: false,
    });
    expect(outcome.bytesCopied).toBe((image.sizes[0] ?? 0) + 500_000);
    expect((await manifestByTag(targetEcr, staging, '1.0.0'))?.imageId?.imageDigest).toBe(image.digest);
  });

  it('streams a layer over 16 MiB in parts of the configured size, each within ECR limits', async () => {
    // Prepare
    const big = 17 * MIB + 12_345;
    const image = randomImage([big, 2 * MIB, 10]);
    const { staging, source, target } = await devAndStaging(sourceEcr, image);
    const target2 = new ECRClient(awsClientConfig());
    const parts: number[] = [];
    target2.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadLayerPartCommand') {
          const input = args.input as { layerPartBlob?: Uint8Array };
          parts.push(input.layerPartBlob?.length ?? 0);
        }
        return next(args);
      },
      { step: 'initialize', name: 'countParts' },
    );
    const fiveMiB = ecrImageCopier({ source: sourceEcr, target: target2, partSizeBytes: 5 * MIB });

    // Act
    const outcome = await fiveMiB.copy(source, target, { copyReferrers: false });

    // Assess: 17 MiB → 3 full parts and a remainder; every part but a blob's last is exactly 5 MiB.
    expect(outcome).toMatchObject({ blobsCopied: 4, bytesCopied: sum(image.sizes) });
    expect(parts.filter((p) => p === 5 * MIB)).toHaveLength(3);
    expect(parts.sort((a, b) => a - b)).toEqual(
      [5 * MIB, 5 * MIB, 5 * MIB, 2 * MIB + 12_345, 2 * MIB, 10, image.sizes[0] ?? 0].sort((a, b) => a - b),
    );
    expect((await manifestByTag(targetEcr, staging, '1.0.0'))?.imageId?.imageDigest).toBe(image.digest);
  });

  it('lets two concurrent copies of one image both succeed, each blob completed once', async () => {
    // Prepare
    const image = randomImage([700_000, 800_000, 900_000]);
    const { staging, source, target } = await devAndStaging(sourceEcr, image);

    // Act
    const outcomes = await Promise.all([
      copier.copy(source, target, { copyReferrers: false }),
      copier.copy(source, target, { copyReferrers: false }),
    ]);

    // Assess: a blob the other copy completed first counts as skipped (LayerAlreadyExistsException or AVAILABLE).
    for (const outcome of outcomes) expect(outcome.blobsCopied + outcome.blobsSkipped).toBe(4);
    expect(sum(outcomes.map((o) => o.blobsCopied))).toBe(4);
    expect((await manifestByTag(targetEcr, staging, '1.0.0'))?.imageId?.imageDigest).toBe(image.digest);
  });

  it('refuses a part size outside ECR limits', () => {
    expect(() => ecrImageCopier({ source: sourceEcr, target: targetEcr, partSizeBytes: 4 * MIB })).toThrow(
      RangeError,
    );
    expect(() => ecrImageCopier({ source: sourceEcr, target: targetEcr, partSizeBytes: 11 * MIB })).toThrow(
      RangeError,
    );
  });

  describe('a multi-arch index with a signature', () => {
    const children = [randomImage([100_000]), randomImage([120_000])];
    const index = indexOf(children);
    const signature = signatureOf({
      mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
      digest: index.digest,
      size: Buffer.byteLength(index.manifest),
    });
    let dev = '';
    let unrelated: Blobbed;

    beforeAll(async () => {
      dev = uniqueName('multi-dev');
      await createRepository(sourceEcr, dev);
      for (const child of children) await pushImage(sourceEcr, dev, child);
      await putManifest(sourceEcr, {
        repositoryName: dev,
        imageManifest: index.manifest,
        imageManifestMediaType: MANIFEST_MEDIA_TYPES.ociIndex,
        imageTag: '2.0.0',
      });
      await pushImage(sourceEcr, dev, signature);
      // Noise the copier must leave behind: another tagged image and that image's own signature.
      const other = randomImage([50_000]);
      await pushImage(sourceEcr, dev, other, '1.9.0');
      unrelated = signatureOf({
        mediaType: other.mediaType,
        digest: other.digest,
        size: Buffer.byteLength(other.manifest),
      });
      await pushImage(sourceEcr, dev, unrelated);
    });

    it('copies the children untagged, the signature, then the index with its tag, digests identical', async () => {
      // Prepare
      const staging = uniqueName('multi-staging');
      await createRepository(targetEcr, staging, 'IMMUTABLE');
      const source = { registryId: SANDBOX_ACCOUNT_ID, repositoryName: dev, imageDigest: index.digest };
      const target = { registryId: SANDBOX_ACCOUNT_ID, repositoryName: staging, imageTag: '2.0.0' };

      // Act
      const outcome = await copier.copy(source, target, { copyReferrers: true });
      const again = await copier.copy(source, target, { copyReferrers: true });

      // Assess
      expect(outcome).toEqual({
        blobsCopied: 2 + 2 + 2,
        blobsSkipped: 0,
        blobsMounted: 0,
        bytesCopied: sum([...children.flatMap((c) => c.sizes), ...signature.sizes]),
        manifestsPut: 4,
        referrersCopied: 1,
        alreadyPresent: false,
      });
      const landed = await images(targetEcr, staging);
      const byDigest = new Map(landed.map((d) => [d.imageDigest, d]));
      expect([...byDigest.keys()].sort()).toEqual(
        [index.digest, signature.digest, ...children.map((c) => c.digest)].sort(),
      );
      expect(byDigest.get(index.digest)?.imageTags).toEqual(['2.0.0']);
      for (const child of children) expect(byDigest.get(child.digest)?.imageTags).toBeUndefined();
      expect(byDigest.get(signature.digest)?.subjectManifestDigest).toBe(index.digest);
      expect(byDigest.has(unrelated.digest)).toBe(false);
      expect((await manifestByTag(targetEcr, staging, '2.0.0'))?.imageManifest).toBe(index.manifest);
      expect(again).toMatchObject({ alreadyPresent: true, bytesCopied: 0, manifestsPut: 0 });
    });

    it('leaves the signature behind when copyReferrers is false', async () => {
      // Prepare
      const staging = uniqueName('multi-staging');
      await createRepository(targetEcr, staging);
      const source = { registryId: SANDBOX_ACCOUNT_ID, repositoryName: dev, imageDigest: index.digest };
      const target = { registryId: SANDBOX_ACCOUNT_ID, repositoryName: staging, imageTag: '2.0.0' };

      // Act
      const outcome = await copier.copy(source, target, { copyReferrers: false });

      // Assess
      expect(outcome).toMatchObject({ manifestsPut: 3, referrersCopied: 0, blobsCopied: 4 });
      const landed = (await images(targetEcr, staging)).map((d) => d.imageDigest);
      expect(landed).not.toContain(signature.digest);
    });
  });

  it('copies referrers of the index children and referrers of referrers, and nothing else', async () => {
    // Prepare: an SBOM on the index, a signature on that SBOM, a signature on one child; noise on another image.
    const children = [randomImage([40_000]), randomImage([50_000])];
    const index = indexOf(children);
    const sbom = signatureOf({ ...subjectOf({ ...index, mediaType: MANIFEST_MEDIA_TYPES.ociIndex }) });
    const sbomSignature = signatureOf(subjectOf(sbom));
    const childSignature = signatureOf(subjectOf(children[0] as Blobbed));
    const dev = uniqueName('nested-dev');
    const staging = uniqueName('nested-staging');
    await createRepository(sourceEcr, dev);
    await createRepository(targetEcr, staging);
    for (const child of children) await pushImage(sourceEcr, dev, child);
    await putManifest(sourceEcr, {
      repositoryName: dev,
      imageManifest: index.manifest,
      imageManifestMediaType: MANIFEST_MEDIA_TYPES.ociIndex,
      imageTag: '3.0.0',
    });
    for (const referrer of [sbom, sbomSignature, childSignature]) await pushImage(sourceEcr, dev, referrer);
    const other = randomImage([10_000]);
    await pushImage(sourceEcr, dev, other, 'other');
    await pushImage(sourceEcr, dev, signatureOf(subjectOf(other)));

    // Act
    const outcome = await copier.copy(
      { registryId: SANDBOX_ACCOUNT_ID, repositoryName: dev, imageDigest: index.digest },
      { registryId: SANDBOX_ACCOUNT_ID, repositoryName: staging, imageTag: '3.0.0' },
      { copyReferrers: true },
    );

    // Assess
    expect(outcome).toMatchObject({ referrersCopied: 3, manifestsPut: 6, alreadyPresent: false });
    const landed = new Map((await images(targetEcr, staging)).map((d) => [d.imageDigest, d]));
    expect([...landed.keys()].sort()).toEqual(
      [
        index.digest,
        ...children.map((c) => c.digest),
        sbom.digest,
        sbomSignature.digest,
        childSignature.digest,
      ].sort(),
    );
    expect(landed.get(sbomSignature.digest)?.subjectManifestDigest).toBe(sbom.digest);
    expect(landed.get(childSignature.digest)?.subjectManifestDigest).toBe(children[0]?.digest);
  });

  it('refuses an immutable target tag held by another digest and changes nothing', async () => {
    // Prepare
    const image = randomImage([100_000]);
    const { staging, source, target } = await devAndStaging(sourceEcr, image, 'IMMUTABLE');
    const holder = randomImage([90_000]);
    await pushImage(targetEcr, staging, holder, '1.0.0');

    // Act
    const error = await copier.copy(source, target, { copyReferrers: true }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PromotionConflictError);
    const message = (error as Error).message;
    for (const part of ['1.0.0', staging, holder.digest, image.digest]) expect(message).toContain(part);
    expect((await images(targetEcr, staging)).map((d) => d.imageDigest)).toEqual([holder.digest]);
    expect(
      await missingBlobs(
        targetEcr,
        staging,
        image.blobs.map((b) => sha256Digest(b)),
      ),
    ).toHaveLength(2);
  });

  it('moves a mutable target tag to the promoted digest', async () => {
    // Prepare
    const image = randomImage([100_000]);
    const { staging, source, target } = await devAndStaging(sourceEcr, image, 'MUTABLE');
    const holder = randomImage([90_000]);
    await pushImage(targetEcr, staging, holder, '1.0.0');

    // Act
    await copier.copy(source, target, { copyReferrers: true });

    // Assess: the old image stays, untagged.
    const landed = new Map((await images(targetEcr, staging)).map((d) => [d.imageDigest, d.imageTags]));
    expect(landed.get(image.digest)).toEqual(['1.0.0']);
    expect(landed.get(holder.digest)).toBeUndefined();
    expect(landed.has(holder.digest)).toBe(true);
  });

  it('answers ImageGoneError for a digest or repository the source does not have', async () => {
    // Prepare
    const image = randomImage([1000]);
    const { source, target } = await devAndStaging(sourceEcr, image);
    const unknownDigest = sha256Digest(randomBytes(16));

    // Act / Assess
    await expect(
      copier.copy({ ...source, imageDigest: unknownDigest }, target, { copyReferrers: true }),
    ).rejects.toThrow(ImageGoneError);
    await expect(
      copier.copy({ ...source, repositoryName: uniqueName('nowhere') }, target, { copyReferrers: true }),
    ).rejects.toThrow(ImageGoneError);
  });

  it('names a missing target repository instead of copying', async () => {
    const image = randomImage([1000]);
    const { source, target } = await devAndStaging(sourceEcr, image);
    await expect(
      copier.copy(source, { ...target, repositoryName: uniqueName('absent') }, { copyReferrers: true }),
    ).rejects.toThrow(ImageCopyError);
  });
});

describe('ecrImageCopier under faults (a sandbox of its own: fault rules hit every caller)', () => {
  let sandbox: Sandbox;
  let admin: ReturnType<typeof sandboxAdmin>;
  let ecr: { source: ECRClient; target: ECRClient };

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, quiet: true });
    admin = sandboxAdmin(sandbox.url);
    ecr = clients(sandbox.url);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  async function withFault<T>(action: string, work: () => Promise<T>): Promise<T> {
    const rule = (await admin('POST', '/faults', {
      service: 'ecr',
      action,
      rate: 1,
      error: 'ThrottlingException',
    })) as { id: string };
    try {
      return await work();
    } finally {
      await admin('DELETE', `/faults/${rule.id}`);
    }
  }

  /** An image with a signature and a signature of that signature, in a dev repository of the faults sandbox. */
  async function signedTwice() {
    const image = randomImage([20_000]);
    const signature = signatureOf(subjectOf(image));
    const countersignature = signatureOf(subjectOf(signature));
    const setup = await devAndStaging(ecr.source, image);
    for (const referrer of [signature, countersignature]) await pushImage(ecr.source, setup.dev, referrer);
    return { ...setup, referrers: [signature.digest, countersignature.digest] };
  }

  it('finds referrers with one ListImageReferrers per subject, never listing the source repository', async () => {
    // Prepare
    const { staging, source, target, referrers } = await signedTwice();
    const copier = ecrImageCopier({ source: ecr.source, target: ecr.target });
    await admin('DELETE', '/requests');

    // Act
    const outcome = await copier.copy(source, target, { copyReferrers: true });

    // Assess: the image, its signature, the countersignature; DescribeImages only for the target's tag.
    const counts = (await admin('GET', '/requests')) as { ecr?: Record<string, number> };
    expect(outcome).toMatchObject({ referrersCopied: 2, manifestsPut: 3 });
    expect(counts.ecr?.ListImageReferrers).toBe(3);
    expect(counts.ecr?.DescribeImages).toBe(1);
    const landed = (await images(ecr.target, staging)).map((d) => d.imageDigest);
    for (const digest of referrers) expect(landed).toContain(digest);
  });

  it('lists the source with DescribeImages when the registry answers that ListImageReferrers is unknown', async () => {
    // Prepare: the answer the emulator gave before it knew the action.
    const { staging, source, target, referrers } = await signedTwice();
    const copier = ecrImageCopier({ source: ecr.source, target: ecr.target });
    const rule = (await admin('POST', '/faults', {
      service: 'ecr',
      action: 'ListImageReferrers',
      rate: 1,
      error: 'UnknownOperationException',
      message: 'Unknown operation: ListImageReferrers',
    })) as { id: string };
    await admin('DELETE', '/requests');

    // Act
    let outcome: Awaited<ReturnType<typeof copier.copy>>;
    try {
      outcome = await copier.copy(source, target, { copyReferrers: true });
    } finally {
      await admin('DELETE', `/faults/${rule.id}`);
    }

    // Assess: one refused call, then one listing of the source serves every subject.
    const counts = (await admin('GET', '/requests')) as { ecr?: Record<string, number> };
    expect(outcome).toMatchObject({ referrersCopied: 2, manifestsPut: 3 });
    expect(counts.ecr?.ListImageReferrers).toBe(1);
    expect(counts.ecr?.DescribeImages).toBe(2);
    const landed = (await images(ecr.target, staging)).map((d) => d.imageDigest);
    for (const digest of referrers) expect(landed).toContain(digest);
  });

  it('fails the copy on any other ListImageReferrers error, with no tag put', async () => {
    // Prepare
    const { staging, source, target } = await signedTwice();
    const copier = ecrImageCopier({ source: ecr.source, target: ecr.target });

    // Act
    const error = await withFault('ListImageReferrers', () =>
      copier.copy(source, target, { copyReferrers: true }).catch((e: unknown) => e),
    );

    // Assess
    expect((error as Error).name).toBe('ThrottlingException');
    expect((await images(ecr.target, staging)).flatMap((d) => d.imageTags ?? [])).toEqual([]);
  });

  it('starts no further blob once one failed', async () => {
    // Prepare: one blob at a time, so the first failure comes before the other blobs start.
    const image = randomImage([100_000, 200_000, 300_000]);
    const { staging, source, target } = await devAndStaging(ecr.source, image);
    const copier = ecrImageCopier({ source: ecr.source, target: ecr.target, concurrency: 1 });
    await admin('DELETE', '/requests');

    // Act
    const error = await withFault('UploadLayerPart', () =>
      copier.copy(source, target, { copyReferrers: false }).catch((e: unknown) => e),
    );

    // Assess
    expect((error as Error).name).toBe('ThrottlingException');
    const counts = (await admin('GET', '/requests')) as { ecr?: Record<string, number> };
    expect(counts.ecr?.InitiateLayerUpload).toBe(1);
    expect(counts.ecr?.PutImage).toBeUndefined();
    expect(await images(ecr.target, staging)).toEqual([]);
  });

  it.each([
    ['UploadLayerPart', { blobsCopied: 3, blobsSkipped: 0 }],
    ['PutImage', { blobsCopied: 0, blobsSkipped: 3 }],
  ])('a %s fault fails the copy with no manifest put; the retry completes it', async (action, retried) => {
    // Prepare
    const image = randomImage([6 * MIB, 3 * MIB]);
    const { staging, source, target } = await devAndStaging(ecr.source, image);
    const copier = ecrImageCopier({ source: ecr.source, target: ecr.target });

    // Act
    const error = await withFault(action, () =>
      copier.copy(source, target, { copyReferrers: true }).catch((e: unknown) => e),
    );
    const before = await images(ecr.target, staging);
    const retry = await copier.copy(source, target, { copyReferrers: true });

    // Assess
    expect((error as Error).name).toBe('ThrottlingException');
    expect(before).toEqual([]);
    expect(retry).toMatchObject({ ...retried, manifestsPut: 1, alreadyPresent: false });
    expect(retry.bytesCopied).toBe(retried.blobsCopied === 0 ? 0 : sum(image.sizes));
    const copied = await manifestByTag(ecr.target, staging, '1.0.0');
    expect(copied?.imageId?.imageDigest).toBe(image.digest);
    expect(
      await missingBlobs(
        ecr.target,
        staging,
        image.blobs.map((b) => sha256Digest(b)),
      ),
    ).toEqual([]);
  });
});
