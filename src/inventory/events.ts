import * as z from 'zod';
import { imageDigestSchema } from '../shared/ecr/names.ts';

/** https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html */
/** `detail` of an `ECR Image Action` event. `image-tag` is absent for an untagged push. */
export const imageActionDetailSchema = z.object({
  result: z.string(),
  'repository-name': z.string().min(1),
  'image-digest': imageDigestSchema,
  'action-type': z.string(),
  'image-tag': z.string().min(1).optional(),
});

export type ImageActionDetail = z.infer<typeof imageActionDetailSchema>;
