import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  type BatchGetImageCommandOutput,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  PutImageCommand,
  type Repository,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { chunks, Slots, settleAll } from '../../shared/concurrency.ts';
import { sha256Digest } from '../../shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES, putManifest } from '../../shared/ecr/manifests.ts';
import { ImageGoneError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import { ImageCopyError, PromotionConflictError } from '../errors.ts';
import type { CopyOutcome, ImageCopier, SourceImage, TargetImage } from '../ports.ts';
import { streamBlob } from './ecr-blob-stream.ts';
import { SourceReferrers } from './ecr-referrers.ts';
import { isTagImmutable } from './ecr-target-repositories.ts';
import {
  type Descriptor,
  mediaTypeOf,
  referencesOf,
  SCHEMA1_TYPES,
  type StoredManifest,
} from './manifest-references.ts';
import type { BlobMounter, MountBlob } from './registry-mount.ts';

/** Every manifest media type ECR stores, so BatchGetImage hands back the stored bytes unconverted. */
const ACCEPTED_MEDIA_TYPES = Object.values(MANIFEST_MEDIA_TYPES);

const MIB = 1024 * 1024;
/**
 * ECR refuses parts under 5 MiB except the last (LayerPartTooSmallException); its quota page says parts are at
 * most 10 MiB. 8 MiB keeps inside both with room.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html
 */
const MIN_PART_BYTES = 5 * MIB;
const MAX_PART_BYTES = 10 * MIB;
const DEFAULT_PART_BYTES = 8 * MIB;
/** Blobs in flight at once: enough to overlap download and upload latency, few enough to bound memory. */
const DEFAULT_CONCURRENCY = 3;
/** BatchCheckLayerAvailability and BatchGetImage take at most 100 ids per call. */
const BATCH = 100;

/**
 * On the source: BatchGetImage (manifests, and ListImageReferrers, which has no IAM action of its own: "The IAM
 * principal invoking this operation must have the `ecr:BatchGetImage` permission"), GetDownloadUrlForLayer
 * (blobs), DescribeImages (the referrer listing of a registry that does not know ListImageReferrers).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImageReferrers.html
 */
const SOURCE_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:DescribeImages'] as const;
const TARGET_ACTIONS = [
  'ecr:DescribeRepositories',
  'ecr:DescribeImages',
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
] as const;

/**
 * What {@link ecrImageCopier} calls, per side: the source repository is only read, the target only written
 * (plus DescribeRepositories/DescribeImages to check the tag first). Across accounts, the source repository's
 * policy must grant the target side's role the `source` actions.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
 */
export const ecrImageCopierPermissionsBySide: { source: IamPermissions; target: IamPermissions } = {
  source: [{ actions: SOURCE_ACTIONS, resource: 'ecr-repository' }],
  target: [{ actions: TARGET_ACTIONS, resource: 'ecr-repository' }],
};

/**
 * What {@link ecrImageCopier} calls, both sides together (one role when source and target are one account);
 * the final tagged PutImage is {@link putManifest}'s (which declares ecr:PutImage too).
 */
export const ecrImageCopierPermissions: IamPermissions = [
  { actions: [...new Set([...SOURCE_ACTIONS, ...TARGET_ACTIONS])], resource: 'ecr-repository' },
];

/** How {@link ecrImageCopier} is built. */
export interface EcrImageCopierOptions {
  /** Client for the source registry (its account and Region). */
  source: ECRClient;
  /** Client for the target registry: another account's assumed role, another Region, or the same client. */
  target: ECRClient;
  /** UploadLayerPart size, 5–10 MiB (default 8 MiB): ECR's limits on a part except the last. */
  partSizeBytes?: number;
  /** Blobs copied at once (default 3). Memory is about this many parts, never whole layers. */
  concurrency?: number;
  /** Downloads the pre-signed layer URLs GetDownloadUrlForLayer hands out (default the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Mounts blobs inside one registry instead of uploading them (registry-mount.ts); none: every blob streams. */
  mount?: BlobMounter | undefined;
}

/**
 * {@link ImageCopier} on Amazon ECR's control-plane API, layer-correct and by digest:
 * 1. BatchGetImage on the source with every manifest media type (the stored bytes, never converted or
 *    re-serialised: the digest is their sha256). Missing → {@link ImageGoneError}.
 * 2. DescribeRepositories and DescribeImages (by tag) on the target: the tag already on this digest → nothing
 *    to do (`alreadyPresent`); on another digest while the tag is immutable (exclusion filters included) →
 *    {@link PromotionConflictError} before any byte moves.
 * 3. Blobs (config and layers) the target lacks (BatchCheckLayerAvailability, 100 per call) are mounted when
 *    `mount` says it can (same registry, blob mounting enabled: 0 bytes uploaded); the others are streamed:
 *    GetDownloadUrlForLayer on the source → fetch → InitiateLayerUpload / UploadLayerPart / CompleteLayerUpload
 *    on the target, cut into parts as bytes arrive (a layer is never held whole: at most one part plus one
 *    network chunk per blob in flight), the sha256 computed on the way and checked before CompleteLayerUpload.
 * 4. An index: each child manifest (recursively) before it, put untagged, because ECR refuses an index whose
 *    children are missing (ReferencedImagesNotFoundException).
 * 5. With `copyReferrers`, the artifacts whose `subject` is the image or one of its children (signatures, SBOMs),
 *    and their own referrers, put untagged with their blobs, before the image they refer to (a registry "MUST
 *    initially accept" a manifest whose subject is not there yet, OCI distribution spec 1.1, "Pushing Manifests
 *    with Subject"). Found with ListImageReferrers per subject (see `referrersOf`).
 * 6. The image's own PutImage with the tag comes last, so a tag in the target means the whole copy landed: a
 *    copy that fails anywhere leaves at most untagged manifests and orphan blobs, and a retry resumes (blobs and
 *    manifests already there are skipped). ECR's ImageAlreadyExistsException counts as success.
 * Calls are sent with each side's `registryId`, so a cross-account source works given its repository policy.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_InitiateLayerUpload.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 * @see https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests-with-subject
 */
export function ecrImageCopier(options: EcrImageCopierOptions): ImageCopier {
  const partSize = options.partSizeBytes ?? DEFAULT_PART_BYTES;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_BYTES || partSize > MAX_PART_BYTES) {
    throw new RangeError(
      `partSizeBytes must be between ${MIN_PART_BYTES} and ${MAX_PART_BYTES}, got ${partSize}`,
    );
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const fetchBlob = options.fetch ?? globalThis.fetch;
  return {
    async copy(source, target, { copyReferrers }) {
      const run = new CopyRun(options.source, options.target, source, target, {
        partSize,
        slots: new Slots(concurrency),
        fetch: fetchBlob,
        mount: options.mount,
      });
      return run.copy(copyReferrers);
    },
  };
}

/** One copy: the two sides, the counts, and what this copy already did (so shared blobs move once). */
class CopyRun {
  private readonly outcome: CopyOutcome = {
    blobsCopied: 0,
    blobsSkipped: 0,
    blobsMounted: 0,
    bytesCopied: 0,
    manifestsPut: 0,
    referrersCopied: 0,
    alreadyPresent: false,
  };
  /** Blobs handled in this copy (checked, copied or in flight), by digest. */
  private readonly blobs = new Map<string, Promise<void>>();
  /** Manifests whose content (and, for children and referrers, the manifest itself) this copy handled. */
  private readonly manifests = new Map<string, Promise<void>>();
  private readonly referrers: SourceReferrers;
  /** The first blob copy that failed: blobs still waiting for a slot are not started. */
  private failure: unknown;
  /** How this copy mounts blobs, asked for when the first blob is missing (undefined: every blob streams). */
  private mount: Promise<MountBlob | undefined> | undefined;

  constructor(
    private readonly sourceEcr: ECRClient,
    private readonly targetEcr: ECRClient,
    private readonly source: SourceImage,
    private readonly target: TargetImage,
    private readonly settings: {
      partSize: number;
      slots: Slots;
      fetch: typeof globalThis.fetch;
      mount: BlobMounter | undefined;
    },
  ) {
    this.referrers = new SourceReferrers(sourceEcr, source);
  }

  async copy(copyReferrers: boolean): Promise<CopyOutcome> {
    const [root] = await this.readSource([this.source.imageDigest]);
    if (!root) {
      throw new ImageGoneError(
        `image ${this.source.imageDigest} is not in repository ${this.source.repositoryName} of registry ${this.source.registryId}`,
      );
    }
    if (await this.checkTarget()) return { ...this.outcome, alreadyPresent: true };

    const copied = new Set<string>([root.digest]);
    await this.copyContent(root, copied);
    if (copyReferrers) await this.copyReferrers(copied);
    await this.putTagged(root);
    return { ...this.outcome };
  }

  /**
   * Manifests from the source by digest, in the order asked; digests the source doesn't hold are left out.
   * Each text is checked against its digest: a converted manifest would land as another image.
   */
  private async readSource(digests: string[]): Promise<StoredManifest[]> {
    const found = new Map<string, StoredManifest>();
    for (const batch of chunks(digests, BATCH)) {
      let response: BatchGetImageCommandOutput;
      try {
        response = await this.sourceEcr.send(
          new BatchGetImageCommand({
            registryId: this.source.registryId,
            repositoryName: this.source.repositoryName,
            imageIds: batch.map((imageDigest) => ({ imageDigest })),
            acceptedMediaTypes: ACCEPTED_MEDIA_TYPES,
          }),
        );
      } catch (error) {
        if (error instanceof RepositoryNotFoundException) {
          throw new ImageGoneError(
            `repository ${this.source.repositoryName} does not exist in registry ${this.source.registryId}`,
            { cause: error },
          );
        }
        throw error;
      }
      for (const failure of response.failures ?? []) {
        if (failure.failureCode !== 'ImageNotFound') {
          throw new ImageCopyError(
            `could not read ${failure.imageId?.imageDigest ?? '?'} from ${this.source.repositoryName}: ${failure.failureCode} ${failure.failureReason ?? ''}`.trim(),
            { retryable: true },
          );
        }
      }
      for (const image of response.images ?? []) {
        const text = image.imageManifest;
        const digest = image.imageId?.imageDigest;
        if (text === undefined || digest === undefined) continue;
        // Schema 1 digests are over the payload without its JWS signatures, so only newer manifests are checked.
        if (!SCHEMA1_TYPES.has(image.imageManifestMediaType ?? '') && sha256Digest(text) !== digest) {
          throw new ImageCopyError(
            `the manifest ECR returned for ${digest} hashes to ${sha256Digest(text)}: refusing to copy converted bytes`,
          );
        }
        const mediaType = image.imageManifestMediaType ?? mediaTypeOf(text);
        found.set(digest, { digest, text, mediaType });
      }
    }
    return digests.flatMap((digest) => found.get(digest) ?? []);
  }

  /**
   * Whether the target already holds the image under the tag. Throws {@link PromotionConflictError} when the
   * tag is immutable and on another digest, before anything is uploaded.
   */
  private async checkTarget(): Promise<boolean> {
    const { registryId, repositoryName, imageTag } = this.target;
    let repository: Repository | undefined;
    try {
      const out = await this.targetEcr.send(
        new DescribeRepositoriesCommand({ registryId, repositoryNames: [repositoryName] }),
      );
      repository = out.repositories?.[0];
    } catch (error) {
      if (!(error instanceof RepositoryNotFoundException)) throw error;
    }
    if (!repository) {
      throw new ImageCopyError(
        `target repository ${repositoryName} does not exist in registry ${registryId} (create it first)`,
      );
    }
    let holder: string | undefined;
    try {
      const out = await this.targetEcr.send(
        new DescribeImagesCommand({ registryId, repositoryName, imageIds: [{ imageTag }] }),
      );
      holder = out.imageDetails?.[0]?.imageDigest;
    } catch (error) {
      // The tag is free: the usual case.
      if (!(error instanceof ImageNotFoundException)) throw error;
    }
    if (holder === this.source.imageDigest) return true;
    if (holder !== undefined && isTagImmutable(repository, imageTag)) throw this.conflict(holder);
    return false;
  }

  private conflict(holder: string | undefined, cause?: unknown): PromotionConflictError {
    const { registryId, repositoryName, imageTag } = this.target;
    return new PromotionConflictError(
      `tag ${imageTag} in repository ${repositoryName} (registry ${registryId}) is immutable and already on ${holder ?? 'another image'}: cannot put ${this.source.imageDigest} under it`,
      cause === undefined ? {} : { cause },
    );
  }

  /**
   * Everything a manifest needs in the target before its own PutImage: an image's blobs; an index's children,
   * each copied and put untagged. `seen` collects every manifest digest copied (the referrers' subjects).
   */
  private async copyContent(manifest: StoredManifest, seen: Set<string>): Promise<void> {
    const { blobs, children } = referencesOf(manifest);
    if (children.length === 0) {
      await this.copyBlobs(blobs);
      return;
    }
    const digests = [...new Set(children.map((child) => child.digest))];
    const stored = await this.readSource(digests);
    const missing = digests.filter((digest) => !stored.some((s) => s.digest === digest));
    if (missing.length > 0) {
      // ECR refuses an index whose children are missing, so this is a deleted child: nothing to copy from.
      throw new ImageCopyError(
        `index ${manifest.digest} lists ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not in ${this.source.repositoryName}`,
      );
    }
    for (const child of stored) seen.add(child.digest);
    await settleAll(stored.map((child) => this.copyUntagged(child, seen)));
  }

  /** Copy a manifest's content, then put it untagged (once per copy, whoever asks). */
  private copyUntagged(manifest: StoredManifest, seen: Set<string>): Promise<boolean> {
    const done = this.manifests.get(manifest.digest);
    if (done) return done.then(() => false);
    let put = false;
    const work = (async () => {
      await this.copyContent(manifest, seen);
      put = await this.putUntagged(manifest);
    })();
    this.manifests.set(manifest.digest, work);
    return work.then(() => put);
  }

  /** PutImage by digest, no tag; already there → false (ECR's ImageAlreadyExistsException). */
  private async putUntagged(manifest: StoredManifest): Promise<boolean> {
    try {
      await this.targetEcr.send(
        new PutImageCommand({
          registryId: this.target.registryId,
          repositoryName: this.target.repositoryName,
          imageManifest: manifest.text,
          imageManifestMediaType: manifest.mediaType,
          imageDigest: manifest.digest,
        }),
      );
    } catch (error) {
      if (error instanceof ImageAlreadyExistsException) return false;
      throw error;
    }
    this.outcome.manifestsPut++;
    return true;
  }

  /** The image itself, with its tag: the last call of a copy. */
  private async putTagged(manifest: StoredManifest): Promise<void> {
    try {
      await putManifest(this.targetEcr, {
        registryId: this.target.registryId,
        repositoryName: this.target.repositoryName,
        imageManifest: manifest.text,
        imageManifestMediaType: manifest.mediaType,
        imageDigest: manifest.digest,
        imageTag: this.target.imageTag,
      });
    } catch (error) {
      // Someone put the tag on another image since checkTarget: the blobs we uploaded stay, untagged.
      if (error instanceof ImageTagAlreadyExistsException) throw this.conflict(undefined, error);
      throw error;
    }
    this.outcome.manifestsPut++;
  }

  /**
   * Artifacts whose subject is one of `subjects` (the image and its children), and their own referrers, copied
   * untagged with their blobs. Cost: one ListImageReferrers per subject and per referrer found (more pages
   * only past 50 referrers of one subject), never a listing of the repository; one BatchGetImage per 100
   * referrers; the copies.
   */
  private async copyReferrers(subjects: Set<string>): Promise<void> {
    const found = new Set<string>();
    // One level at a time: the subjects' referrers, then theirs, each level's listings in parallel.
    for (let level = [...subjects]; level.length > 0; ) {
      const listed = await Promise.all(level.map((digest) => this.referrers.of(digest)));
      level = [];
      for (const referrer of listed.flat()) {
        if (subjects.has(referrer) || found.has(referrer)) continue;
        found.add(referrer);
        level.push(referrer);
      }
    }
    if (found.size === 0) return;
    const stored = await this.readSource([...found]);
    await settleAll(
      stored.map(async (referrer) => {
        if (await this.copyUntagged(referrer, new Set())) this.outcome.referrersCopied++;
      }),
    );
  }

  /** Blobs the target lacks, copied with bounded concurrency; each blob once per copy. */
  private async copyBlobs(descriptors: Descriptor[]): Promise<void> {
    const fresh = descriptors.filter((d) => !this.blobs.has(d.digest));
    const pending: Promise<void>[] = descriptors.flatMap((d) => this.blobs.get(d.digest) ?? []);
    for (const batch of chunks(fresh, BATCH)) {
      const checked = this.checkBlobs(batch);
      for (const descriptor of batch) {
        const work = checked.then((missing) =>
          missing.has(descriptor.digest)
            ? this.settings.slots.run(() => this.copyBlobOnce(descriptor))
            : undefined,
        );
        this.blobs.set(descriptor.digest, work);
        pending.push(work);
      }
    }
    await settleAll(pending);
  }

  /** BatchCheckLayerAvailability on the target: the digests to copy (anything not AVAILABLE). */
  private async checkBlobs(batch: Descriptor[]): Promise<Set<string>> {
    const out = await this.targetEcr.send(
      new BatchCheckLayerAvailabilityCommand({
        registryId: this.target.registryId,
        repositoryName: this.target.repositoryName,
        layerDigests: batch.map((d) => d.digest),
      }),
    );
    const available = new Set(
      (out.layers ?? []).filter((l) => l.layerAvailability === 'AVAILABLE').map((l) => l.layerDigest),
    );
    for (const failure of out.failures ?? []) {
      if (failure.failureCode !== 'MissingLayerDigest') {
        throw new ImageCopyError(
          `BatchCheckLayerAvailability refused ${failure.layerDigest ?? '?'}: ${failure.failureCode} ${failure.failureReason ?? ''}`.trim(),
        );
      }
    }
    const missing = new Set<string>();
    for (const d of batch) {
      if (available.has(d.digest)) this.outcome.blobsSkipped++;
      else missing.add(d.digest);
    }
    return missing;
  }

  /** {@link copyBlob}, unless another blob of this copy already failed: the copy fails anyway, so stop moving bytes. */
  private async copyBlobOnce(descriptor: Descriptor): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    try {
      await this.copyBlob(descriptor);
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }

  /**
   * One blob, mounted when this copy can (0 bytes), else streamed: the download is cut into parts as its bytes
   * arrive and each part is uploaded before more is read, so memory holds one part plus one network chunk. The
   * sha256 is computed on the way and must equal the digest before CompleteLayerUpload (ECR would refuse it too,
   * but later and less clearly). An upload left incomplete by a failure is abandoned: ECR has no abort call and
   * expires it.
   * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UploadLayerPart.html
   */
  private async copyBlob(descriptor: Descriptor): Promise<void> {
    this.mount ??= this.settings.mount?.open(this.source, this.target).catch(() => undefined);
    const mount = await this.mount;
    if (mount && (await mount(descriptor.digest))) {
      this.outcome.blobsMounted++;
      return;
    }
    const { bytes, completed } = await streamBlob(
      {
        sourceEcr: this.sourceEcr,
        targetEcr: this.targetEcr,
        source: this.source,
        target: this.target,
        partSize: this.settings.partSize,
        fetch: this.settings.fetch,
      },
      descriptor,
    );
    if (completed) this.outcome.blobsCopied++;
    else this.outcome.blobsSkipped++;
    this.outcome.bytesCopied += bytes;
  }
}
