import type { UpdateImageStorageClassResponse } from '@aws-sdk/client-ecr';
import type { EcrContext, Operations } from './context.ts';
import { EcrError } from './errors.ts';
import { storageClassEvent } from './events.ts';
import {
  countUnpullable,
  type ImageRecord,
  type ImageStatusValue,
  type RepositoryRecord,
  type StorageClass,
} from './state.ts';
import { enumOf, type Input, imageIdOf, optionalObject } from './validation.ts';
import type { Wire } from './wire.ts';

/**
 * The ARCHIVE storage class: UpdateImageStorageClass, the image status that DescribeImages/ListImages filter on,
 * and the state changes the lifecycle's `transition` action shares with it.
 *
 * From the archive guide (https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html) and the API
 * model: an archived image cannot be pulled, is still described and listed (status ARCHIVED, shown only when
 * `filter.imageStatus` asks for it), cannot be scanned (ImageArchivedException), and is restored with
 * UpdateImageStorageClass STANDARD or by pushing it again, going ARCHIVED → ACTIVATING → ACTIVE.
 *
 * A real restore takes minutes. The sandbox keeps an image ACTIVATING for {@link RESTORE_DELAY_MS} of the
 * sandbox clock, so the state is observable and a test that sets the clock decides when it ends; then the image is
 * ACTIVE from the first request that touches its repository ({@link settleRestores}).
 *
 * Inferred where AWS is silent: archiving an archived image, or restoring an active or activating one, succeeds
 * and changes nothing (no event); archiving an image that is being restored is
 * ImageStorageClassUpdateNotSupportedException. Not modelled: UpdateImageStorageClass archives an index's child
 * or restores a subject without looking at the index or the referrers (only the lifecycle run keeps those
 * together, see lifecycle-run.ts); the 90-day minimum archive charge.
 */

/** How long (sandbox clock) a restored image stays ACTIVATING. */
export const RESTORE_DELAY_MS = 1000;

const TARGET_STORAGE_CLASSES = ['STANDARD', 'ARCHIVE'] as const;
const IMAGE_STATUS_FILTERS = ['ACTIVE', 'ARCHIVED', 'ACTIVATING', 'ANY'] as const;
/** `filter.imageStatus` of DescribeImages and ListImages. */
export type ImageStatusFilter = (typeof IMAGE_STATUS_FILTERS)[number];

/** The family's dispatch table: UpdateImageStorageClass. */
export function archiveOperations(ecr: EcrContext): Operations {
  return { UpdateImageStorageClass: (i) => updateImageStorageClass(ecr, i) };
}

/** Finish the restores of `repo` whose time has come (ACTIVATING → ACTIVE). Cheap: only restoring images. */
export function settleRestores(repo: RepositoryRecord, nowMs: number): void {
  if (repo.activating.size === 0) return;
  for (const image of repo.activating) {
    if ((image.lastActivatedAt ?? 0) > nowMs) continue;
    repo.activating.delete(image);
    image.imageStatus = 'ACTIVE';
    countUnpullable(repo, image, -1);
  }
}

/** Whether an image can be pulled (BatchGetImage, layer downloads): only ACTIVE ones can. */
export function isPullable(image: ImageRecord): boolean {
  return image.imageStatus === 'ACTIVE';
}

/** `filter.imageStatus` of a DescribeImages/ListImages request; ACTIVE when absent, as in ECR. */
export function imageStatusFilterOf(input: Input): ImageStatusFilter {
  const value = optionalObject(input, 'filter')?.imageStatus;
  return value === undefined || value === null
    ? 'ACTIVE'
    : enumOf(value, 'filter.imageStatus', IMAGE_STATUS_FILTERS);
}

/** Whether an image passes `filter.imageStatus` (ANY passes every image). */
export function matchesImageStatus(image: ImageRecord, filter: ImageStatusFilter): boolean {
  return filter === 'ANY' || image.imageStatus === filter;
}

/**
 * Move an image to the archive: status ARCHIVED, `lastArchivedAt` now, and the UPDATE_STORAGE_CLASS event.
 * @returns false when it was already archived (nothing changes)
 */
export function archiveImage(ecr: EcrContext, repo: RepositoryRecord, image: ImageRecord): boolean {
  if (image.imageStatus === 'ARCHIVED') return false;
  if (image.imageStatus === 'ACTIVATING') {
    throw new EcrError(
      'ImageStorageClassUpdateNotSupportedException',
      `The image with digest '${image.digest}' is being restored from archive and cannot be archived until it is active`,
    );
  }
  const time = ecr.options.clock.now();
  image.storageClass = 'ARCHIVE';
  image.imageStatus = 'ARCHIVED';
  image.lastArchivedAt = time.getTime();
  countUnpullable(repo, image, 1);
  ecr.emit([eventOf(repo, image, 'ARCHIVE', time)]);
  return true;
}

/**
 * Start restoring an archived image: ACTIVATING, active again at `lastActivatedAt` ({@link RESTORE_DELAY_MS}
 * later), and the UPDATE_STORAGE_CLASS event with `last-activated-at`.
 * @returns false when it was not archived (nothing changes)
 */
export function restoreImage(ecr: EcrContext, repo: RepositoryRecord, image: ImageRecord): boolean {
  if (image.imageStatus !== 'ARCHIVED') return false;
  const time = ecr.options.clock.now();
  image.storageClass = 'STANDARD';
  image.imageStatus = 'ACTIVATING';
  image.lastActivatedAt = time.getTime() + RESTORE_DELAY_MS;
  repo.activating.add(image);
  ecr.emit([eventOf(repo, image, 'STANDARD', time)]);
  return true;
}

function eventOf(repo: RepositoryRecord, image: ImageRecord, target: StorageClass, time: Date) {
  return storageClassEvent({
    repositoryName: repo.name,
    imageDigest: image.digest,
    targetStorageClass: target,
    manifestMediaType: image.mediaType,
    ...(image.artifactMediaType !== undefined ? { artifactMediaType: image.artifactMediaType } : {}),
    ...(target === 'STANDARD' && image.lastActivatedAt !== undefined
      ? { lastActivatedAt: new Date(image.lastActivatedAt) }
      : {}),
    referrer: image.subject !== undefined,
    time,
  });
}

/**
 * UpdateImageStorageClass: archive an image (ARCHIVE) or restore it (STANDARD); answers the image's status after
 * the call (ARCHIVED, ACTIVATING or ACTIVE).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UpdateImageStorageClass.html
 */
function updateImageStorageClass(ecr: EcrContext, input: Input): Wire<UpdateImageStorageClassResponse> {
  const repo = ecr.repoOf(input);
  const id = imageIdOf(input.imageId);
  const target = enumOf(input.targetStorageClass, 'targetStorageClass', TARGET_STORAGE_CLASSES);
  const image = ecr.findImage(repo, id);
  if (target === 'ARCHIVE') archiveImage(ecr, repo, image);
  else restoreImage(ecr, repo, image);
  return {
    registryId: ecr.accountId,
    repositoryName: repo.name,
    imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
    imageStatus: image.imageStatus as ImageStatusValue,
  };
}
