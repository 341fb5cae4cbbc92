import { isDigest } from './digest.ts';
import { type EcrError, invalidParameter } from './errors.ts';

/**
 * Request validation, with constraints from the ECR API model
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html and API_ImageIdentifier.html).
 * ECR reports constraint failures as InvalidParameterException "Invalid parameter at '<field>' failed to
 * satisfy constraint: '...'"; the messages here follow that form so the field is always named.
 */

export const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** OCI distribution tag grammar, which ECR enforces on push. */
export const IMAGE_TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$/;
/** Tag mutability exclusion filters: tag characters plus `*`, 1–128 (ImageTagMutabilityExclusionFilter). */
export const TAG_FILTER_PATTERN = /^[a-zA-Z0-9._*-]{1,128}$/;
/** Registry scanning repository filters: repository-name characters plus `*`, 1–256 (ScanningRepositoryFilter). */
export const REPOSITORY_FILTER_PATTERN = /^[a-z0-9*](?:[a-z0-9._/*-]){0,255}$/;
export const REGISTRY_ID_PATTERN = /^[0-9]{12}$/;

/** The decoded request body. */
export type Input = Record<string, unknown>;

function constraint(field: string, what: string): EcrError {
  return invalidParameter(`Invalid parameter at '${field}' failed to satisfy constraint: '${what}'`);
}

/** A required string member. */
export function requiredString(input: Input, field: string): string {
  const value = input[field];
  if (value === undefined || value === null) throw constraint(field, 'must not be null');
  if (typeof value !== 'string') throw constraint(field, 'must be a string');
  return value;
}

/** An optional string member. */
export function optionalString(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw constraint(field, 'must be a string');
  return value;
}

/** An optional boolean member. */
export function optionalBoolean(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw constraint(field, 'must be a boolean');
  return value;
}

/** An optional object member. */
export function optionalObject(input: Input, field: string): Input | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw constraint(field, 'must be a structure');
  return value as Input;
}

/** An optional list member. */
export function optionalArray(input: Input, field: string): unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw constraint(field, 'must be a list');
  return value;
}

/** Repository name: 2–256 characters matching ECR's pattern. */
export function validateRepositoryName(name: string, field = 'repositoryName'): string {
  if (name.length < 2 || name.length > 256) throw constraint(field, 'length must be between 2 and 256');
  if (!REPOSITORY_NAME_PATTERN.test(name)) {
    throw constraint(
      field,
      `must satisfy regular expression '${REPOSITORY_NAME_PATTERN.source.slice(1, -1)}'`,
    );
  }
  return name;
}

/** The required, validated `repositoryName` of a request. */
export function repositoryNameOf(input: Input): string {
  return validateRepositoryName(requiredString(input, 'repositoryName'));
}

/** True when `tag` is a valid image tag. */
export function isImageTag(tag: unknown): tag is string {
  return typeof tag === 'string' && IMAGE_TAG_PATTERN.test(tag);
}

/** Validate an image tag (PutImage). */
export function validateImageTag(tag: string, field = 'imageTag'): string {
  if (!isImageTag(tag))
    throw constraint(field, `must satisfy regular expression '${IMAGE_TAG_PATTERN.source.slice(1, -1)}'`);
  return tag;
}

/** `maxResults` within [1, max], or the default when absent. */
export function maxResultsOf(input: Input, max = 1000, fallback = 100): number {
  const value = input.maxResults;
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw constraint('maxResults', `must be an integer between 1 and ${max}`);
  }
  return value;
}

/**
 * The registry a request addresses: absent means the caller's own; another account is not modelled, and ECR
 * answers a registry it can't see with RepositoryNotFoundException, which `check` leaves to the caller.
 */
export function registryIdOf(input: Input, accountId: string): string {
  const value = optionalString(input, 'registryId');
  if (value === undefined) return accountId;
  if (!REGISTRY_ID_PATTERN.test(value))
    throw constraint('registryId', "must satisfy regular expression '[0-9]{12}'");
  return value;
}

/**
 * A digest an API request names (ImageIdentifier.imageDigest): `algorithm:hex`, as ECR checks it. Stricter than
 * {@link isDigest}, which stays lenient for the digests of AWS's own event samples.
 */
// ECR's message writes the algorithm's class `[a-zA-Z0-9-_+.]`, where `9-_` would be a range: the intent is below.
export const API_DIGEST_PATTERN = /^[a-zA-Z0-9_+.-]+:[a-fA-F0-9]+$/;

export function isApiDigest(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 200 && API_DIGEST_PATTERN.test(value);
}

/** The failureReason of a batch item whose digest is malformed (failureCode InvalidImageDigest). */
export const INVALID_DIGEST_REASON =
  "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'";

/** An `ImageIdentifier` as given; at least one of digest or tag. */
export interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

/** Parse a request's ImageIdentifier structure (shape only; the operation decides what a bad value means). */
export function imageIdOf(value: unknown, field = 'imageId'): ImageId {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw constraint(field, 'must be a structure');
  const raw = value as Input;
  const id: ImageId = {};
  if (raw.imageDigest !== undefined && raw.imageDigest !== null) {
    if (typeof raw.imageDigest !== 'string') throw constraint(`${field}.imageDigest`, 'must be a string');
    id.imageDigest = raw.imageDigest;
  }
  if (raw.imageTag !== undefined && raw.imageTag !== null) {
    if (typeof raw.imageTag !== 'string') throw constraint(`${field}.imageTag`, 'must be a string');
    id.imageTag = raw.imageTag;
  }
  return id;
}

/** Validate a single image identifier for an operation that throws (StartImageScan, DescribeImageScanFindings). */
export function validateImageId(id: ImageId, field = 'imageId'): ImageId {
  if (id.imageDigest === undefined && id.imageTag === undefined) {
    throw constraint(field, 'must specify an imageDigest or an imageTag');
  }
  if (id.imageDigest !== undefined && !isDigest(id.imageDigest))
    throw constraint(`${field}.imageDigest`, 'must be a valid digest');
  if (id.imageTag !== undefined && !isImageTag(id.imageTag))
    throw constraint(`${field}.imageTag`, 'must be a valid tag');
  return id;
}

/** An enum member. */
export function enumOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw constraint(field, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
}

/** Validate wildcard filters (≤ `max`, each 1–128 chars of the allowed set). */
export function wildcardFilters(
  value: unknown,
  field: string,
  max: number,
  pattern: RegExp,
): Array<{ filter: string; filterType: 'WILDCARD' }> {
  if (!Array.isArray(value)) throw constraint(field, 'must be a list');
  if (value.length > max) throw constraint(field, `must have at most ${max} filters`);
  return value.map((item, index) => {
    const raw = item as Input;
    if (typeof raw !== 'object' || raw === null)
      throw constraint(`${field}[${index}]`, 'must be a structure');
    enumOf(raw.filterType, `${field}[${index}].filterType`, ['WILDCARD']);
    if (typeof raw.filter !== 'string' || !pattern.test(raw.filter)) {
      throw constraint(
        `${field}[${index}].filter`,
        `must satisfy regular expression '${pattern.source.slice(1, -1)}'`,
      );
    }
    return { filter: raw.filter, filterType: 'WILDCARD' as const };
  });
}
