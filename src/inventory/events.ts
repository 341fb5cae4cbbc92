import * as z from 'zod';
import {
  ACCOUNT_ID_PATTERN,
  imageDigestSchema,
  imageTagSchema,
  repositoryNameSchema,
} from '../shared/ecr/names.ts';

/**
 * `detail` of an `ECR Image Action` event for a successful push, the only kind on-image-pushed handles: EventBridge's
 * rule already filters on `action-type` and `result`, but the function can be invoked with anything, so a DELETE,
 * an UPDATE_STORAGE_CLASS or a result other than SUCCESS is refused here too. `image-tag` is a single string, absent
 * for an untagged push; it is checked for shape only: the tags recorded are the ones ECR reports.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const imagePushedDetailSchema = z.object({
  result: z.literal('SUCCESS'),
  'repository-name': repositoryNameSchema,
  'image-digest': imageDigestSchema,
  'action-type': z.literal('PUSH'),
  'image-tag': imageTagSchema.optional(),
});

export type ImagePushedDetail = z.infer<typeof imagePushedDetailSchema>;

/**
 * EventBridge event ids are UUIDs (AWS's own samples carry ids that are not): any short string is taken, and the
 * bound keeps a hostile id out of the inventory row (`lastEventId`) and the logs.
 */
const EVENT_ID_MAX_LENGTH = 128;

/** An AWS Region code: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1. */
const AWS_REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$/;

/**
 * An `ECR Image Action` PUSH event as EventBridge delivers it: the envelope validated as Powertools'
 * `EventBridgeSchema` does (same fields, same order, so the same issues for what that schema refuses), written here
 * because importing that schema bundles the whole of zod with its locales into the function (+360 KB minified,
 * bench/bundles.ts); on top of it, `source` and `detail-type` must be ECR's and every string is bounded.
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export const imagePushedEventSchema = z.object({
  version: z.string().max(16),
  id: z.string().min(1).max(EVENT_ID_MAX_LENGTH),
  source: z.literal('aws.ecr'),
  account: z.string().regex(ACCOUNT_ID_PATTERN, 'expected a 12-digit AWS account id'),
  time: z.iso.datetime(),
  region: z.string().regex(AWS_REGION_PATTERN, 'expected an AWS Region such as us-east-1'),
  resources: z.array(z.string()),
  'detail-type': z.literal('ECR Image Action'),
  detail: imagePushedDetailSchema,
  'replay-name': z.string().max(256).optional(),
});

export type ImagePushedEvent = z.infer<typeof imagePushedEventSchema>;
