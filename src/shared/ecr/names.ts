import * as z from 'zod';

/**
 * An image digest, leniently: AWS's own sample events carry digests that are not 64 hex characters, so a
 * digest is only required to look like `algorithm:encoded` (the OCI digest grammar).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const IMAGE_DIGEST_PATTERN = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** What a digest that does not match {@link IMAGE_DIGEST_PATTERN} is told. */
export const IMAGE_DIGEST_EXPECTED = 'expected a digest like sha256:<hex>';

/** A digest in an event or request, validated with {@link IMAGE_DIGEST_PATTERN}. */
export const imageDigestSchema = z.string().regex(IMAGE_DIGEST_PATTERN, IMAGE_DIGEST_EXPECTED);

/** ECR's repository-name pattern (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html). */
export const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
