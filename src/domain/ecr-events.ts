import { z } from 'zod';

/**
 * Shapes of the ECR events we act on, validated leniently: AWS's own samples carry digests that are not
 * 64 hex characters, so a digest is only required to look like `algorithm:encoded`.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const imageDigestSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'expected a digest like sha256:<hex>');

/** `detail` of an `ECR Image Action` event. `image-tag` is absent for an untagged push. */
export const imageActionDetailSchema = z.object({
  result: z.string(),
  'repository-name': z.string().min(1),
  'image-digest': imageDigestSchema,
  'action-type': z.string(),
  'image-tag': z.string().min(1).optional(),
});

export type ImageActionDetail = z.infer<typeof imageActionDetailSchema>;
