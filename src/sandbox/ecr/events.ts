import type { EventEntry } from '../contracts.ts';

/**
 * Builders for the events ECR and Inspector put on the default bus, shaped like AWS's samples
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html, and
 * https://docs.aws.amazon.com/inspector/latest/user/eventbridge-integration.html).
 */

/** `ECR Image Action` PUSH/DELETE: `resources` is empty; `image-tag` only when a tag was involved. */
export function imageActionEvent(
  action: 'PUSH' | 'DELETE',
  repositoryName: string,
  imageDigest: string,
  imageTag: string | undefined,
  time: Date,
): EventEntry {
  const detail: Record<string, string> = {
    result: 'SUCCESS',
    'repository-name': repositoryName,
    'image-digest': imageDigest,
    'action-type': action,
  };
  if (imageTag !== undefined) detail['image-tag'] = imageTag;
  return {
    Source: 'aws.ecr',
    DetailType: 'ECR Image Action',
    Detail: JSON.stringify(detail),
    Resources: [],
    Time: time,
  };
}

/**
 * `ECR Image Action` (or, for a referrer, `ECR Referrer Action`) UPDATE_STORAGE_CLASS: an image went to archive
 * (`target-storage-class` ARCHIVE) or is being restored (STANDARD, with `last-activated-at`). Like AWS's samples
 * it carries the manifest and artifact media types and no `image-tag`.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export function storageClassEvent(input: {
  repositoryName: string;
  imageDigest: string;
  targetStorageClass: 'ARCHIVE' | 'STANDARD';
  manifestMediaType: string;
  artifactMediaType?: string;
  /** Restores only: when the image is active again. */
  lastActivatedAt?: Date;
  /** A referrer (an image with a subject) is reported as `ECR Referrer Action`. */
  referrer: boolean;
  time: Date;
}): EventEntry {
  const detail: Record<string, string> = {
    'action-type': 'UPDATE_STORAGE_CLASS',
    'target-storage-class': input.targetStorageClass,
    'image-digest': input.imageDigest,
    'repository-name': input.repositoryName,
    result: 'SUCCESS',
    'manifest-media-type': input.manifestMediaType,
  };
  if (input.artifactMediaType !== undefined) detail['artifact-media-type'] = input.artifactMediaType;
  if (input.lastActivatedAt !== undefined) detail['last-activated-at'] = input.lastActivatedAt.toISOString();
  return {
    Source: 'aws.ecr',
    DetailType: input.referrer ? 'ECR Referrer Action' : 'ECR Image Action',
    Detail: JSON.stringify(detail),
    Resources: [],
    Time: input.time,
  };
}

/** `ECR Image Scan` (basic scanning): counts list only severities that occur; `image-tags` is an array. */
export function basicScanEvent(input: {
  repositoryArn: string;
  repositoryName: string;
  imageDigest: string;
  imageTags: string[];
  status: string;
  counts: Record<string, number>;
  time: Date;
}): EventEntry {
  const detail: Record<string, unknown> = {
    'scan-status': input.status,
    'repository-name': input.repositoryName,
    'finding-severity-counts': input.counts,
    'image-digest': input.imageDigest,
    'image-tags': input.imageTags,
  };
  return {
    Source: 'aws.ecr',
    DetailType: 'ECR Image Scan',
    Detail: JSON.stringify(detail),
    Resources: [input.repositoryArn],
    Time: input.time,
  };
}

/** `Inspector2 Scan` (enhanced scanning): `repository-name` is the repository ARN; counts include TOTAL. */
export function inspectorScanEvent(input: {
  repositoryArn: string;
  imageDigest: string;
  imageTags: string[];
  status: string;
  counts: Record<string, number>;
  time: Date;
}): EventEntry {
  const detail = {
    'scan-status': input.status,
    'repository-name': input.repositoryArn,
    'finding-severity-counts': input.counts,
    'image-digest': input.imageDigest,
    'image-tags': input.imageTags,
    version: '1.0',
  };
  return {
    Source: 'aws.inspector2',
    DetailType: 'Inspector2 Scan',
    Detail: JSON.stringify(detail),
    Resources: [input.repositoryArn],
    Time: input.time,
  };
}
