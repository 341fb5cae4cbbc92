import { createHash } from 'node:crypto';
import type { ImageReferrer } from '@aws-sdk/client-ecr';
import { isDigest } from './digest.ts';
import { type EcrError, invalidParameter } from './errors.ts';
import type { ImageRecord } from './state.ts';
import { enumOf, type Input, optionalObject } from './validation.ts';
import type { Wire } from './wire.ts';

/**
 * The pure parts of ListImageReferrers: request validation, the filter, and the referrer descriptor. Limits
 * are the SDK model's (`FiftyMaxResults` 1–50, `ArtifactTypeList` ≤ 5 of 1–255 characters, `ArtifactStatusFilter`).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImageReferrers.html
 */

/** `maxResults` may be 1–50. */
export const REFERRERS_MAX_RESULTS = 50;
/**
 * Without `maxResults`: the SDK model (client-ecr 3.1169.0, botocore 1.43.11) says "up to 20 results"; the API
 * reference page says 50. The model is what the SDKs are generated from, so 20.
 */
export const REFERRERS_DEFAULT_RESULTS = 20;
const MAX_ARTIFACT_TYPES = 5;
const ARTIFACT_STATUSES = ['ACTIVE', 'ARCHIVED', 'ACTIVATING', 'ANY'] as const;
export type ArtifactStatusFilter = (typeof ARTIFACT_STATUSES)[number];

/** The request's `filter`, validated. */
export interface ReferrersFilter {
  /** Absent or empty: every artifact type. */
  artifactTypes?: ReadonlySet<string>;
  /** Default ACTIVE. */
  artifactStatus: ArtifactStatusFilter;
}

function constraint(field: string, what: string): EcrError {
  return invalidParameter(`Invalid parameter at '${field}' failed to satisfy constraint: '${what}'`);
}

/** `subjectId.imageDigest`: required, a digest. */
export function subjectDigestOf(input: Input): string {
  const subject = optionalObject(input, 'subjectId');
  if (subject === undefined) throw constraint('subjectId', 'must not be null');
  const digest = subject.imageDigest;
  if (digest === undefined || digest === null) throw constraint('subjectId.imageDigest', 'must not be null');
  if (!isDigest(digest)) throw constraint('subjectId.imageDigest', 'must be a valid digest');
  return digest;
}

/** `filter`: `artifactTypes` (≤ 5, each 1–255 characters) and `artifactStatus` (default ACTIVE). */
export function referrersFilterOf(input: Input): ReferrersFilter {
  const filter = optionalObject(input, 'filter');
  const status = filter?.artifactStatus;
  const artifactStatus =
    status === undefined || status === null
      ? 'ACTIVE'
      : enumOf(status, 'filter.artifactStatus', ARTIFACT_STATUSES);
  const types = filter?.artifactTypes;
  if (types === undefined || types === null) return { artifactStatus };
  if (!Array.isArray(types)) throw constraint('filter.artifactTypes', 'must be a list');
  if (types.length > MAX_ARTIFACT_TYPES) {
    throw constraint(
      'filter.artifactTypes',
      `Member must have length less than or equal to ${MAX_ARTIFACT_TYPES}`,
    );
  }
  types.forEach((type, index) => {
    if (typeof type !== 'string' || type.length < 1 || type.length > 255) {
      throw constraint(`filter.artifactTypes[${index}]`, 'Member must have length between 1 and 255');
    }
  });
  return types.length === 0
    ? { artifactStatus }
    : { artifactStatus, artifactTypes: new Set(types as string[]) };
}

/** Whether a referrer passes the filter: its status (ANY for every one) and, when given, its artifact type. */
export function matchesReferrersFilter(image: ImageRecord, filter: ReferrersFilter): boolean {
  if (filter.artifactStatus !== 'ANY' && filter.artifactStatus !== image.imageStatus) return false;
  if (filter.artifactTypes === undefined) return true;
  return image.artifactMediaType !== undefined && filter.artifactTypes.has(image.artifactMediaType);
}

/**
 * The scope a `nextToken` is bound to: the repository (by its creation sequence, so a re-created repository
 * refuses old tokens), the subject and the filter. Hashed so a token stays short whatever the filter holds.
 */
export function referrersScope(repositorySeq: number, subject: string, filter: ReferrersFilter): string {
  const key = JSON.stringify([
    subject,
    filter.artifactStatus,
    filter.artifactTypes === undefined ? null : [...filter.artifactTypes].sort(),
  ]);
  return `referrers:${repositorySeq}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
}

/** Annotations read from a manifest once (referrers are immutable), kept while the image lives. */
const annotationsCache = new WeakMap<ImageRecord, Record<string, string> | undefined>();

/** The manifest's top-level `annotations` (string values only), or undefined when it has none. */
export function annotationsOf(image: ImageRecord): Record<string, string> | undefined {
  if (annotationsCache.has(image)) return annotationsCache.get(image);
  let annotations: Record<string, string> | undefined;
  try {
    const raw = (JSON.parse(image.manifest) as { annotations?: unknown } | null)?.annotations;
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const entries = Object.entries(raw).filter((entry): entry is [string, string] => {
        return typeof entry[1] === 'string';
      });
      if (entries.length > 0) annotations = Object.fromEntries(entries);
    }
  } catch {
    // PutImage stored only JSON manifests; nothing to read otherwise.
  }
  annotationsCache.set(image, annotations);
  return annotations;
}

/**
 * A referrer as ListImageReferrers returns it: the OCI descriptor of its manifest (digest, media type, size
 * of the manifest bytes, `artifactType` — the manifest's own, else its config's media type, as the OCI
 * referrers API reports it — and annotations), plus `artifactStatus`.
 * @see https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
export function referrerOf(image: ImageRecord): Wire<ImageReferrer> {
  const referrer: Wire<ImageReferrer> = {
    digest: image.digest,
    mediaType: image.mediaType,
    size: Buffer.byteLength(image.manifest, 'utf8'),
  };
  if (image.artifactMediaType !== undefined) referrer.artifactType = image.artifactMediaType;
  const annotations = annotationsOf(image);
  if (annotations !== undefined) referrer.annotations = annotations;
  referrer.artifactStatus = image.imageStatus;
  return referrer;
}
