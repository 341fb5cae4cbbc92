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

/**
 * An `ECR Image Action` event as EventBridge delivers it: the envelope validated as Powertools' `EventBridgeSchema`
 * does (same fields, same order, so the same issues), written here because importing that schema bundles the
 * whole of zod with its locales into the function (+360 KB minified, bench/bundles.ts).
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export const imageActionEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: imageActionDetailSchema,
  'replay-name': z.string().optional(),
});

export type ImageActionEvent = z.infer<typeof imageActionEventSchema>;
