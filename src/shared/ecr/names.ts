import * as z from 'zod';

/**
 * An image digest, leniently: AWS's own sample events carry digests that are not 64 hex characters, so a
 * digest is only required to look like `algorithm:encoded` (the OCI digest grammar).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const IMAGE_DIGEST_PATTERN = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** What a digest that does not match {@link IMAGE_DIGEST_PATTERN} is told. */
export const IMAGE_DIGEST_EXPECTED = 'expected a digest like sha256:<hex>';

/**
 * The longest digest accepted. ECR's API model puts no length on `imageDigest`; a sha512 digest is 135 characters,
 * so this leaves room for any real algorithm while a hostile 300 KB "digest" is refused before the pattern runs.
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageIdentifier.html
 */
export const IMAGE_DIGEST_MAX_LENGTH = 255;

/** A digest in an event or request, validated with {@link IMAGE_DIGEST_PATTERN}. */
export const imageDigestSchema = z
  .string()
  .max(IMAGE_DIGEST_MAX_LENGTH, { abort: true })
  .regex(IMAGE_DIGEST_PATTERN, IMAGE_DIGEST_EXPECTED);

/** ECR's repository-name pattern (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html). */
export const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Repository name lengths (ECR API `RepositoryName`: 2–256). */
export const REPOSITORY_NAME_MIN_LENGTH = 2;
export const REPOSITORY_NAME_MAX_LENGTH = 256;

/**
 * A repository name in an event or request: ECR's lengths, then {@link REPOSITORY_NAME_PATTERN} (the lengths
 * first, so an over-long name gets one clear issue and the pattern never runs on it).
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 */
export const repositoryNameSchema = z
  .string()
  .min(REPOSITORY_NAME_MIN_LENGTH, { abort: true })
  .max(REPOSITORY_NAME_MAX_LENGTH, { abort: true })
  .regex(REPOSITORY_NAME_PATTERN, 'expected an ECR repository name (lower case, digits, . _ - /)');

/** The longest image tag (OCI distribution spec; ECR enforces its tag grammar on push). */
export const IMAGE_TAG_MAX_LENGTH = 128;

/**
 * The image tag grammar: a letter, digit or `_`, then up to 127 of letters, digits, `.`, `_`, `-`. ECR's API
 * model allows `ImageTag` up to 300 characters with no pattern; registry clients (docker, the OCI distribution
 * spec) push only tags of this grammar, and the sandbox's emulator enforces it on PutImage.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
export const IMAGE_TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** An image tag in an event or request: {@link IMAGE_TAG_MAX_LENGTH}, then {@link IMAGE_TAG_PATTERN}. */
export const imageTagSchema = z
  .string()
  .min(1, { abort: true })
  .max(IMAGE_TAG_MAX_LENGTH, { abort: true })
  .regex(IMAGE_TAG_PATTERN, 'expected an image tag ([a-zA-Z0-9_] then up to 127 of [a-zA-Z0-9._-])');

/** An AWS account id, which is also an ECR registry id (`RegistryId`: 12 digits). */
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
