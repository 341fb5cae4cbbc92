import * as z from 'zod';

/**
 * ECR names in events, validated leniently: AWS's own samples carry digests that are not
 * 64 hex characters, so a digest is only required to look like `algorithm:encoded`.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const imageDigestSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'expected a digest like sha256:<hex>');

/** ECR's repository-name pattern (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html). */
export const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
