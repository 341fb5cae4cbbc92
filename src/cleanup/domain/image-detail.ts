/**
 * DescribeImages' `ImageDetail` in cleanup's terms (pure). The one mapping shared by the ECR adapter
 * (adapters/ecr-images.ts, SDK `Date`s) and the offline snapshot reader (snapshot.ts, `aws ecr describe-images`
 * output), so a plan from a snapshot and a plan from the live registry see the same images.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html
 */
import { MANIFEST_MEDIA_TYPES } from '../../shared/ecr/media-types.ts';
import type { RepositoryImage } from './images.ts';
import type { LifecycleStorageClass } from './lifecycle-policy.ts';

/**
 * The `ImageDetail` fields cleanup reads, with what ECR always sends made required (the SDK types every field
 * optional). Structurally a subset of the SDK's `ImageDetail` once `imageDigest` and `imagePushedAt` are known.
 * A time is the SDK's `Date` or, from a snapshot read by hand, epoch milliseconds (no Date made only to be read).
 */
export interface DescribedImage {
  readonly imageDigest: string;
  /** Absent (not empty) when the image is untagged: ECR omits the key. */
  readonly imageTags?: readonly string[] | undefined;
  readonly imagePushedAt: Date | number;
  readonly imageSizeInBytes?: number | undefined;
  readonly imageManifestMediaType?: string | undefined;
  readonly artifactMediaType?: string | undefined;
  readonly lastRecordedPullTime?: Date | number | undefined;
  /** `ACTIVE` | `ARCHIVED` | `ACTIVATING`; absent from registries (and CLIs) that predate ECR archive. */
  readonly imageStatus?: string | undefined;
  readonly lastArchivedAt?: Date | number | undefined;
  readonly lastActivatedAt?: Date | number | undefined;
  /** Set on OCI 1.1 referrers (signatures, SBOMs, attestations): the image they are about. */
  readonly subjectManifestDigest?: string | undefined;
}

/** Manifest media types of an index: its children are manifests, listed only inside its manifest. */
export const INDEX_MEDIA_TYPES: readonly string[] = [
  MANIFEST_MEDIA_TYPES.ociIndex,
  MANIFEST_MEDIA_TYPES.dockerManifestList,
];

/** Whether an image is an index (OCI image index or Docker manifest list). */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_MEDIA_TYPES.includes(mediaType);
}

/**
 * The storage class lifecycle rules see an image in. `ARCHIVED` is archive; `ACTIVATING` (a restore under way,
 * still billed and stored as archive, not pullable until `ACTIVE`) is archive too — inferred: AWS does not say
 * which rules see an activating image. No status (an older registry or CLI) means standard.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html
 */
export function storageClassOf(imageStatus: string | undefined): LifecycleStorageClass {
  return imageStatus === 'ARCHIVED' || imageStatus === 'ACTIVATING' ? 'archive' : 'standard';
}

/**
 * One `ImageDetail` as a {@link RepositoryImage}. `references` are an index's children (from its manifest,
 * which DescribeImages does not return); omit them for a manifest, or when they are not known. `handOver`: the
 * caller gives the image its `imageTags` array (a parser's own, used by nothing else), which is then not copied.
 */
export function repositoryImageOf(
  detail: DescribedImage,
  references?: readonly string[],
  handOver = false,
): RepositoryImage {
  // Every key in one literal, absent ones undefined: every image has the same shape, whichever fields it has, so
  // the engine's passes over 100,000 images read them with one-shape (monomorphic) loads; images of several
  // shapes each made its number fields be boxed afresh on every read (measured: ~7% of a plan).
  const tags = detail.imageTags;
  const pulled = detail.lastRecordedPullTime;
  const activated = detail.lastActivatedAt;
  const archived = detail.lastArchivedAt;
  return {
    digest: detail.imageDigest,
    // Untagged images share one empty list (nothing changes an image's tags): ~40,000 fewer objects to keep.
    tags: tags === undefined || tags.length === 0 ? NO_TAGS : handOver ? tags : [...tags],
    pushedAt: epochMs(detail.imagePushedAt),
    lastPulledAt: pulled === undefined ? undefined : epochMs(pulled),
    lastActivatedAt: activated === undefined ? undefined : epochMs(activated),
    storageClass: storageClassOf(detail.imageStatus),
    transitionedAt: archived === undefined ? undefined : epochMs(archived),
    references: references === undefined ? undefined : [...references],
    sizeBytes: detail.imageSizeInBytes ?? 0,
    manifestMediaType: detail.imageManifestMediaType,
    artifactMediaType: detail.artifactMediaType,
    subjectDigest: detail.subjectManifestDigest,
  };
}

const NO_TAGS: readonly string[] = Object.freeze([]);

function epochMs(time: Date | number): number {
  return typeof time === 'number' ? time : time.getTime();
}
