import type {
  BatchDeleteImageResponse,
  BatchGetImageResponse,
  DescribeImagesResponse,
  ImageDetail,
  ImageFailure,
  ImageIdentifier,
  ImageScanStatus,
  ListImageReferrersResponse,
  ListImagesResponse,
  PutImageResponse,
} from '@aws-sdk/client-ecr';
import type { EcrCaller, EventEntry } from '../contracts.ts';
import { type ImageStatusFilter, imageStatusFilterOf, isPullable, matchesImageStatus } from './archive.ts';
import type { EcrContext, Operations } from './context.ts';
import { isDigest } from './digest.ts';
import { invalidParameter } from './errors.ts';
import { imageActionEvent } from './events.ts';
import { decodeToken, encodeToken, lowerBound } from './pagination.ts';
import { recordsPullTime } from './pull-time-exclusions.ts';
import {
  matchesReferrersFilter,
  REFERRERS_DEFAULT_RESULTS,
  REFERRERS_MAX_RESULTS,
  referrerOf,
  referrersFilterOf,
  referrersScope,
  subjectDigestOf,
} from './referrers.ts';
import { enhancedSeverityCounts, severityCounts } from './scanner.ts';
import type { Scans } from './scanning.ts';
import type { ImageRecord, RepositoryRecord } from './state.ts';
import { storeManifest } from './store-manifest.ts';
import {
  enumOf,
  type ImageId,
  INVALID_DIGEST_REASON,
  type Input,
  imageIdOf,
  isApiDigest,
  isImageTag,
  maxResultsOf,
  optionalArray,
  optionalObject,
  optionalString,
  requiredString,
  validateImageTag,
} from './validation.ts';
import { seconds, type Wire } from './wire.ts';

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const TAG_STATUSES = ['TAGGED', 'UNTAGGED', 'ANY'] as const;
type TagStatus = (typeof TAG_STATUSES)[number];

/**
 * Images and their tags: PutImage, BatchGetImage, DescribeImages, ListImages, ListImageReferrers,
 * BatchDeleteImage. A push starts the scan the registry's settings ask for, through `scans`.
 */
export function imageOperations(ecr: EcrContext, scans: Scans): Operations {
  return {
    PutImage: (i) => putImage(ecr, scans, i),
    BatchGetImage: (i, caller) => batchGetImage(ecr, i, caller),
    DescribeImages: (i) => describeImages(ecr, i),
    ListImages: (i) => listImages(ecr, i),
    ListImageReferrers: (i) => listImageReferrers(ecr, i),
    BatchDeleteImage: (i) => batchDeleteImage(ecr, i),
  };
}

/** Resolve an identifier inside a batch: failures are returned, never thrown. */
function lookupForBatch(repo: RepositoryRecord, id: ImageId): ImageRecord | Wire<ImageFailure> {
  const failure = (failureCode: string, failureReason: string): Wire<ImageFailure> => ({
    imageId: id,
    failureCode: failureCode as ImageFailure['failureCode'],
    failureReason,
  });
  if (id.imageDigest === undefined && id.imageTag === undefined) {
    return failure('MissingDigestAndTag', 'Invalid request: Both digest and tag cannot be null');
  }
  if (id.imageDigest !== undefined && !isApiDigest(id.imageDigest)) {
    return failure('InvalidImageDigest', INVALID_DIGEST_REASON);
  }
  if (id.imageTag !== undefined && !isImageTag(id.imageTag))
    return failure('InvalidImageTag', 'Invalid image tag');
  if (id.imageTag !== undefined) {
    const digest = repo.tagIndex.get(id.imageTag);
    if (digest === undefined) return failure('ImageNotFound', 'Requested image not found');
    if (id.imageDigest !== undefined && id.imageDigest !== digest) {
      return failure('ImageTagDoesNotMatchDigest', 'Invalid request: tag and digest do not match');
    }
    return repo.images.get(digest) ?? failure('ImageNotFound', 'Requested image not found');
  }
  return repo.images.get(id.imageDigest as string) ?? failure('ImageNotFound', 'Requested image not found');
}

function imageIdsOf(input: Input, min: number, max: number): ImageId[] {
  const raw = optionalArray(input, 'imageIds');
  if (raw === undefined)
    throw invalidParameter(
      "Invalid parameter at 'imageIds' failed to satisfy constraint: 'must not be null'",
    );
  if (raw.length < min || raw.length > max) {
    throw invalidParameter(
      `Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to ${max} and greater than or equal to ${min}'`,
    );
  }
  return raw.map((item, index) => imageIdOf(item, `imageIds[${index}]`));
}

function putImage(ecr: EcrContext, scans: Scans, input: Input): Wire<PutImageResponse> {
  const repo = ecr.repoOf(input);
  const manifest = requiredString(input, 'imageManifest');
  if (manifest.length === 0 || Buffer.byteLength(manifest, 'utf8') > MAX_MANIFEST_BYTES) {
    throw invalidParameter(
      "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length between 1 and 4194304'",
    );
  }
  const tag = optionalString(input, 'imageTag');
  if (tag !== undefined) validateImageTag(tag);
  const givenDigest = optionalString(input, 'imageDigest');
  if (givenDigest !== undefined && !isDigest(givenDigest)) {
    throw invalidParameter(
      "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'must be a valid digest'",
    );
  }
  const declaredMediaType = optionalString(input, 'imageManifestMediaType');
  const { image } = storeManifest(ecr, scans, repo, {
    manifest,
    ...(tag !== undefined ? { tag } : {}),
    ...(givenDigest !== undefined ? { digest: givenDigest } : {}),
    ...(declaredMediaType !== undefined ? { mediaType: declaredMediaType } : {}),
  });
  const imageId: ImageIdentifier = { imageDigest: image.digest };
  if (tag !== undefined) imageId.imageTag = tag;
  return {
    image: {
      registryId: ecr.accountId,
      repositoryName: repo.name,
      imageId,
      imageManifest: manifest,
      imageManifestMediaType: image.mediaType,
    },
  };
}

function batchGetImage(ecr: EcrContext, input: Input, caller?: EcrCaller): Wire<BatchGetImageResponse> {
  const repo = ecr.repoOf(input);
  const ids = imageIdsOf(input, 1, 100);
  const accepted = optionalArray(input, 'acceptedMediaTypes');
  const now = ecr.nowMs();
  const images: NonNullable<Wire<BatchGetImageResponse>['images']> = [];
  const failures: Wire<ImageFailure>[] = [];
  for (const id of ids) {
    const found = lookupForBatch(repo, id);
    if (!('digest' in found)) {
      failures.push(found);
      continue;
    }
    if (!isPullable(found)) {
      // Archived images can't be pulled ("Requests to pull the archived image will fail with a 404 error",
      // archive guide); ImageFailureCode has no archive code, so the 404's counterpart is ImageNotFound.
      failures.push({
        imageId: id,
        failureCode: 'ImageNotFound',
        failureReason: `Requested image is ${found.imageStatus.toLowerCase()} and cannot be pulled until it is restored`,
      });
      continue;
    }
    if (accepted !== undefined && accepted.length > 0 && !accepted.includes(found.mediaType)) {
      failures.push({
        imageId: id,
        failureCode: 'ImageNotFound',
        failureReason: `Requested image has media type ${found.mediaType}, which is not in acceptedMediaTypes`,
      });
      continue;
    }
    // RegisterPullTimeUpdateExclusion's principals pull without refreshing the pull time.
    if (recordsPullTime(ecr, caller)) found.lastPulledAt = now;
    images.push({
      registryId: ecr.accountId,
      repositoryName: repo.name,
      imageId: {
        imageDigest: found.digest,
        ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
      },
      imageManifest: found.manifest,
      imageManifestMediaType: found.mediaType,
    });
  }
  return { images, failures };
}

function imageDetail(ecr: EcrContext, repo: RepositoryRecord, image: ImageRecord): Wire<ImageDetail> {
  const detail: Wire<ImageDetail> = {
    registryId: ecr.accountId,
    repositoryName: repo.name,
    imageDigest: image.digest,
  };
  if (image.tags.length > 0) detail.imageTags = [...image.tags];
  detail.imageSizeInBytes = image.size;
  detail.imagePushedAt = seconds(image.pushedAt);
  const scan = image.scan;
  if (scan) {
    detail.imageScanStatus = {
      status: scan.status,
      description: scan.description,
    } as Wire<ImageScanStatus>;
    if (scan.completedAt !== undefined && (scan.status === 'COMPLETE' || scan.status === 'ACTIVE')) {
      detail.imageScanFindingsSummary = {
        imageScanCompletedAt: seconds(scan.completedAt),
        vulnerabilitySourceUpdatedAt: seconds(scan.completedAt),
        findingSeverityCounts:
          scan.type === 'ENHANCED' ? enhancedSeverityCounts(scan.findings) : severityCounts(scan.findings),
      };
    }
  }
  detail.imageManifestMediaType = image.mediaType;
  if (image.artifactMediaType !== undefined) detail.artifactMediaType = image.artifactMediaType;
  if (image.lastPulledAt !== undefined) detail.lastRecordedPullTime = seconds(image.lastPulledAt);
  if (image.subject !== undefined) detail.subjectManifestDigest = image.subject;
  detail.imageStatus = image.imageStatus;
  if (image.lastArchivedAt !== undefined) detail.lastArchivedAt = seconds(image.lastArchivedAt);
  if (image.lastActivatedAt !== undefined) detail.lastActivatedAt = seconds(image.lastActivatedAt);
  return detail;
}

function tagStatusOf(input: Input): TagStatus {
  const filter = optionalObject(input, 'filter');
  if (!filter || filter.tagStatus === undefined || filter.tagStatus === null) return 'ANY';
  return enumOf(filter.tagStatus, 'filter.tagStatus', TAG_STATUSES);
}

function matchesTagStatus(image: ImageRecord, status: TagStatus): boolean {
  return status === 'ANY' || (status === 'TAGGED') === image.tags.length > 0;
}

/** Both filters of DescribeImages and ListImages (`imageStatus` defaults to ACTIVE, see archive.ts). */
function matchesFilter(image: ImageRecord, tagStatus: TagStatus, imageStatus: ImageStatusFilter): boolean {
  return matchesTagStatus(image, tagStatus) && matchesImageStatus(image, imageStatus);
}

function describeImages(ecr: EcrContext, input: Input): Wire<DescribeImagesResponse> {
  const repo = ecr.repoOf(input);
  const tagStatus = tagStatusOf(input);
  const imageStatus = imageStatusFilterOf(input);
  if (input.imageIds !== undefined && input.imageIds !== null) {
    if (input.maxResults !== undefined || input.nextToken !== undefined) {
      throw invalidParameter(
        'Invalid parameter: imageIds cannot be used together with maxResults or nextToken',
      );
    }
    const ids = imageIdsOf(input, 1, 100);
    const seen = new Set<string>();
    const imageDetails: Wire<ImageDetail>[] = [];
    for (const id of ids) {
      const image = ecr.findImage(repo, id);
      if (seen.has(image.digest)) continue;
      seen.add(image.digest);
      imageDetails.push(imageDetail(ecr, repo, image));
    }
    return { imageDetails };
  }
  const maxResults = maxResultsOf(input);
  const scope = `images:${repo.name}:${repo.seq}:${tagStatus}:${imageStatus}`;
  const start =
    input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
  const imageDetails: Wire<ImageDetail>[] = [];
  let nextToken: string | undefined;
  for (const image of ecr.state.imagesFrom(repo, start)) {
    if (!matchesFilter(image, tagStatus, imageStatus)) continue;
    if (imageDetails.length === maxResults) {
      nextToken = encodeToken({ scope, seq: image.seq, sub: 0 });
      break;
    }
    imageDetails.push(imageDetail(ecr, repo, image));
  }
  return nextToken === undefined ? { imageDetails } : { imageDetails, nextToken };
}

function listImages(ecr: EcrContext, input: Input): Wire<ListImagesResponse> {
  const repo = ecr.repoOf(input);
  const tagStatus = tagStatusOf(input);
  const imageStatus = imageStatusFilterOf(input);
  const maxResults = maxResultsOf(input);
  const scope = `list:${repo.name}:${repo.seq}:${tagStatus}:${imageStatus}`;
  const cursor =
    input.nextToken === undefined || input.nextToken === null
      ? { seq: 0, sub: 0 }
      : decodeToken(input.nextToken, scope);
  const imageIds: ImageIdentifier[] = [];
  let nextToken: string | undefined;
  outer: for (const image of ecr.state.imagesFrom(repo, cursor.seq)) {
    if (!matchesFilter(image, tagStatus, imageStatus)) continue;
    // One entry per tag; an untagged image is one digest-only entry.
    const count = Math.max(1, image.tags.length);
    for (let sub = image.seq === cursor.seq ? cursor.sub : 0; sub < count; sub++) {
      if (imageIds.length === maxResults) {
        nextToken = encodeToken({ scope, seq: image.seq, sub });
        break outer;
      }
      const tag = image.tags[sub];
      imageIds.push(
        tag === undefined ? { imageDigest: image.digest } : { imageDigest: image.digest, imageTag: tag },
      );
    }
  }
  return nextToken === undefined ? { imageIds } : { imageIds, nextToken };
}

/**
 * The images of a repository whose manifest's `subject` is the given digest, in push order, from the
 * repository's subject index (`referrers`): a page costs a binary search plus the referrers it walks, never a
 * pass over the repository. A subject that is not in the repository is no error: the API's errors have no
 * ImageNotFoundException, and like the OCI referrers API the answer is the referrers that name it (none, for
 * a digest nothing refers to).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImageReferrers.html
 */
function listImageReferrers(ecr: EcrContext, input: Input): Wire<ListImageReferrersResponse> {
  const subject = subjectDigestOf(input);
  const filter = referrersFilterOf(input);
  const maxResults = maxResultsOf(input, REFERRERS_MAX_RESULTS, REFERRERS_DEFAULT_RESULTS);
  const repo = ecr.repoOf(input);
  const scope = referrersScope(repo.seq, subject, filter);
  const start =
    input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
  const list = repo.referrers.get(subject) ?? [];
  const referrers: ReturnType<typeof referrerOf>[] = [];
  let nextToken: string | undefined;
  for (let i = lowerBound(list, start); i < list.length; i++) {
    const image = list[i] as ImageRecord;
    if (!matchesReferrersFilter(image, filter)) continue;
    if (referrers.length === maxResults) {
      nextToken = encodeToken({ scope, seq: image.seq, sub: 0 });
      break;
    }
    referrers.push(referrerOf(image));
  }
  return nextToken === undefined ? { referrers } : { referrers, nextToken };
}

function batchDeleteImage(ecr: EcrContext, input: Input): Wire<BatchDeleteImageResponse> {
  const repo = ecr.repoOf(input);
  return deleteImages(ecr, repo, imageIdsOf(input, 1, 100));
}

/**
 * BatchDeleteImage's semantics, also used by the lifecycle run: items apply in order, failures are returned per
 * item, and every removed tag (or untagged image) emits an `ECR Image Action` DELETE event.
 */
export function deleteImages(
  ecr: EcrContext,
  repo: RepositoryRecord,
  ids: readonly ImageId[],
): Wire<BatchDeleteImageResponse> {
  const deleted: ImageIdentifier[] = [];
  const failures: Wire<ImageFailure>[] = [];
  const events: EventEntry[] = [];
  const time = ecr.options.clock.now();
  // Items apply in request order, so a parent listed before its children frees them within one call.
  for (const id of ids) {
    const found = lookupForBatch(repo, id);
    if (!('digest' in found)) {
      failures.push(found);
      continue;
    }
    const removesImage = id.imageTag === undefined || found.tags.length <= 1;
    if (removesImage && repo.referencedBy.has(found.digest)) {
      failures.push({
        imageId: id,
        failureCode: 'ImageReferencedByManifestList',
        failureReason: 'Requested image is referenced by a manifest list',
      });
      continue;
    }
    if (id.imageTag !== undefined && !removesImage) {
      const tag = id.imageTag;
      found.tags = found.tags.filter((t) => t !== tag);
      repo.tagIndex.delete(tag);
      deleted.push({ imageDigest: found.digest, imageTag: tag });
      events.push(imageActionEvent('DELETE', repo.name, found.digest, tag, time));
      continue;
    }
    if (found.tags.length === 0) {
      deleted.push({ imageDigest: found.digest });
      events.push(imageActionEvent('DELETE', repo.name, found.digest, undefined, time));
    }
    for (const tag of found.tags) {
      deleted.push({ imageDigest: found.digest, imageTag: tag });
      events.push(imageActionEvent('DELETE', repo.name, found.digest, tag, time));
    }
    ecr.state.deleteImage(repo, found);
  }
  ecr.emit(events);
  return { imageIds: deleted, failures };
}
