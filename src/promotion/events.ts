/**
 * What the promoteImage function is asked to do, and what it tells the default bus. Requests come invoked
 * directly (`{ "action": "promote", ... }`) or as EventBridge custom events from source `ecr-sentinel`
 * (`Promotion Requested`, `Promotion Approved`); results go out as `Promotion Completed`, `Promotion Failed` and
 * friends, so deploy pipelines can react.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 */
import * as z from 'zod';
import { imageTagSchema } from '../shared/ecr/names.ts';
import { applicationNameSchema, environmentNameSchema } from '../shared/environments.ts';
import { PROMOTION_ID_PATTERN } from './domain/promotion.ts';
import type { PromotionEvent } from './ports.ts';

/** The source of our own events. */
export const EVENT_SOURCE = 'ecr-sentinel';

const principalSchema = z
  .string()
  .trim()
  .min(1, 'required: who asks (a name or an IAM ARN)')
  .max(256)
  .refine((name) => !/\p{Cc}/u.test(name), 'expected a name without control characters');
const environmentSchema = environmentNameSchema;
const appSchema = applicationNameSchema;
const idSchema = z
  .string()
  .regex(PROMOTION_ID_PATTERN, 'expected a promotion id (26 characters, e.g. 01JDX3…)');

const promoteSchema = z.strictObject({
  action: z.literal('promote'),
  app: appSchema,
  version: imageTagSchema,
  to: environmentSchema,
  from: environmentSchema.optional(),
  by: principalSchema,
});
const approveSchema = z.strictObject({ action: z.literal('approve'), id: idSchema, by: principalSchema });
const rejectSchema = z.strictObject({
  action: z.literal('reject'),
  id: idSchema,
  by: principalSchema,
  reason: z.string().trim().min(1, 'required: why').max(1000),
});

/** One request, whichever way it came. */
export const promotionRequestSchema = z.discriminatedUnion('action', [
  promoteSchema,
  approveSchema,
  rejectSchema,
]);
export type PromotionRequest = z.output<typeof promotionRequestSchema>;

/**
 * The detail-type of each request event, and the action it asks for. Rejections come from the CLI or a direct
 * invocation only. None of these is ever announced (see {@link RESULT_DETAIL_TYPES}): the function's own
 * events can't trigger it again.
 */
export const REQUEST_DETAIL_TYPES = {
  'Promotion Requested': 'promote',
  'Promotion Approved': 'approve',
} as const;

/**
 * A request invoked directly, or carried by an EventBridge event (its `detail` is the request without `action`,
 * which the detail-type gives).
 */
export const promoteImageEventSchema = z.unknown().transform((value, ctx): PromotionRequest => {
  const envelope = z
    .looseObject({
      source: z.literal(EVENT_SOURCE),
      'detail-type': z.enum(Object.keys(REQUEST_DETAIL_TYPES) as [keyof typeof REQUEST_DETAIL_TYPES]),
      detail: z.record(z.string(), z.unknown()),
    })
    .safeParse(value);
  const isEvent = typeof value === 'object' && value !== null && 'detail-type' in value;
  const request = isEvent
    ? envelope.success
      ? { ...envelope.data.detail, action: REQUEST_DETAIL_TYPES[envelope.data['detail-type']] }
      : undefined
    : value;
  if (isEvent && !envelope.success) {
    for (const issue of envelope.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  const parsed = promotionRequestSchema.safeParse(request);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    ctx.addIssue({
      code: 'custom',
      message: issue.message,
      path: isEvent ? ['detail', ...issue.path] : issue.path,
    });
  }
  return z.NEVER;
});

/**
 * The detail-type each outcome is announced with on the default bus; an approval is not announced there (it
 * arrived as a request, and `Promotion Approved` would trigger the function again).
 */
export const RESULT_DETAIL_TYPES: Readonly<Record<PromotionEvent, string | undefined>> = {
  'pending-approval': 'Promotion Pending Approval',
  approved: undefined,
  rejected: 'Promotion Rejected',
  expired: 'Promotion Expired',
  completed: 'Promotion Completed',
  failed: 'Promotion Failed',
  refused: 'Promotion Failed',
};
