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
 */
export interface DescribedImage {
  readonly imageDigest: string;
  /** Absent (not empty) when the image is untagged: ECR omits the key. */
  readonly imageTags?: readonly string[] | undefined;
  readonly imagePushedAt: Date;
  readonly imageSizeInBytes?: number | undefined;
  readonly imageManifestMediaType?: string | undefined;
  readonly artifactMediaType?: string | undefined;
  readonly lastRecordedPullTime?: Date | undefined;
  /** `ACTIVE` | `ARCHIVED` | `ACTIVATING`; absent from registries (and CLIs) that predate ECR archive. */
  readonly imageStatus?: string | undefined;
  readonly lastArchivedAt?: Date | undefined;
  readonly lastActivatedAt?: Date | undefined;
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
 * which DescribeImages does not return); omit them for a manifest, or when they are not known.
 */
export function repositoryImageOf(detail: DescribedImage, references?: readonly string[]): RepositoryImage {
  // Optional keys are left out rather than set to undefined, so an adapter's and a snapshot's image are equal.
  return {
    digest: detail.imageDigest,
    tags: [...(detail.imageTags ?? [])],
    pushedAt: detail.imagePushedAt,
    ...(detail.lastRecordedPullTime === undefined ? {} : { lastPulledAt: detail.lastRecordedPullTime }),
    ...(detail.lastActivatedAt === undefined ? {} : { lastActivatedAt: detail.lastActivatedAt }),
    storageClass: storageClassOf(detail.imageStatus),
    ...(detail.lastArchivedAt === undefined ? {} : { transitionedAt: detail.lastArchivedAt }),
    ...(references === undefined ? {} : { references: [...references] }),
    sizeBytes: detail.imageSizeInBytes ?? 0,
    ...(detail.imageManifestMediaType === undefined
      ? {}
      : { manifestMediaType: detail.imageManifestMediaType }),
    ...(detail.artifactMediaType === undefined ? {} : { artifactMediaType: detail.artifactMediaType }),
    ...(detail.subjectManifestDigest === undefined ? {} : { subjectDigest: detail.subjectManifestDigest }),
  };
}
