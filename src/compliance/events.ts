import * as z from 'zod';
import { repositoryNameSchema as repositoryName } from '../shared/ecr/names.ts';
import { CONTROL_IDS } from './domain/control.ts';
import {
  isOwnCall,
  repositoryOfArn,
  WATCHED_CALL_NAMES,
  WATCHED_CALLS,
  type WatchedCall,
} from './domain/triggers.ts';

/**
 * What the compliance functions receive. checkCompliance: ECR's control-plane calls as EventBridge delivers
 * their CloudTrail records (`AWS API Call via CloudTrail`, source `aws.ecr`, the record as `detail`);
 * sweepCompliance: the schedule, or a direct invocation; checkRepositories: one SQS message per batch of
 * repositories.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html
 */

/** What started a check: a CloudTrail event (its `eventID`) or a sweep run (its id). */
export const complianceTriggerSchema = z.strictObject({
  kind: z.enum(['cloudtrail', 'sweep']),
  id: z.string().min(1).max(128),
  /** The API call, for a CloudTrail trigger. */
  eventName: z.string().max(64).optional(),
});
export type ComplianceTrigger = z.output<typeof complianceTriggerSchema>;

/**
 * The CloudTrail record of one ECR call. Lenient about what CloudTrail adds (it grows fields over time); strict
 * about what decides the check: the event source, a watched call, its id, and the repository it names.
 */
const cloudTrailDetailSchema = z.looseObject({
  eventSource: z.literal('ecr.amazonaws.com'),
  eventName: z.enum(WATCHED_CALL_NAMES),
  eventID: z.string().min(1).max(128),
  eventTime: z.string().optional(),
  awsRegion: z.string().optional(),
  userIdentity: z.looseObject({ arn: z.string().optional() }).optional(),
  /** The request as sent: null for calls without parameters. */
  requestParameters: z
    .looseObject({ repositoryName: z.string().optional(), resourceArn: z.string().optional() })
    .nullish(),
  /** Present when the call failed: it changed nothing. */
  errorCode: z.string().optional(),
});

const cloudTrailEventSchema = z.looseObject({
  id: z.string().min(1),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: z.literal('aws.ecr'),
  account: z.string().optional(),
  region: z.string().optional(),
  time: z.string().optional(),
  detail: cloudTrailDetailSchema,
});

/** What a CloudTrail event asks to check: its repository, the registry, or every repository. */
export type CheckTarget =
  | { readonly scope: 'repository'; readonly repositoryName: string }
  | { readonly scope: 'registry' }
  | { readonly scope: 'every-repository' };

/** What a CloudTrail event asks to check. */
export type CloudTrailCheck =
  | {
      readonly kind: 'check';
      readonly trigger: ComplianceTrigger;
      /** The ECR call. */
      readonly call: WatchedCall;
      readonly target: CheckTarget;
      /** The caller's ARN (`userIdentity.arn`). */
      readonly callerArn?: string;
    }
  | { readonly kind: 'ignore'; readonly eventId: string; readonly reason: string };

/**
 * An ECR call's CloudTrail event → what to check. A call that failed (`errorCode`) changed nothing: ignored. A
 * repository-level call must name a repository (`repositoryName`, or for tags a repository `resourceArn`).
 */
export const cloudTrailCheckSchema = cloudTrailEventSchema.transform((event, ctx): CloudTrailCheck => {
  const { detail } = event;
  if (detail.errorCode !== undefined)
    return { kind: 'ignore', eventId: event.id, reason: `the call failed (${detail.errorCode})` };
  const call = detail.eventName;
  const { scope } = WATCHED_CALLS[call];
  const trigger = { kind: 'cloudtrail' as const, id: detail.eventID, eventName: call };
  const callerArn = detail.userIdentity?.arn;
  const base = { kind: 'check' as const, trigger, call, ...(callerArn ? { callerArn } : {}) };
  if (scope !== 'repository') return { ...base, target: { scope } };
  const parameters = detail.requestParameters ?? {};
  const name =
    parameters.repositoryName ??
    (parameters.resourceArn === undefined ? undefined : repositoryOfArn(parameters.resourceArn));
  if (name === undefined && parameters.resourceArn !== undefined)
    return { kind: 'ignore', eventId: event.id, reason: 'the tagged resource is not a repository' };
  const parsed = repositoryName.safeParse(name);
  if (!parsed.success) {
    ctx.addIssue({
      code: 'custom',
      path: ['detail', 'requestParameters', 'repositoryName'],
      message: `expected the ECR repository ${detail.eventName} acted on`,
      input: name,
    });
    return z.NEVER;
  }
  return { ...base, target: { scope, repositoryName: parsed.data } };
});
export type CloudTrailCheckEvent = z.output<typeof cloudTrailCheckSchema>;

/** Whether a CloudTrail check is the echo of one of our own fixes (see `isOwnCall`). */
export function isEcho(check: CloudTrailCheck, enforcers: readonly string[]): boolean {
  return check.kind === 'check' && isOwnCall(check.callerArn, enforcers);
}

/** The schedule's event (only that it came is used). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html */
const scheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  id: z.string().optional(),
});

/** A direct invocation of sweepCompliance: `{}` or `{"repositories": ["orders-api-dev"]}`. */
const directSweepSchema = z.strictObject({
  repositories: z.array(repositoryName).max(10_000).optional(),
});

/** sweepCompliance's input as the request it makes: a schedule sweeps every repository. */
export const sweepEventSchema = z
  .union([scheduledEventSchema, directSweepSchema])
  .transform((event): { repositories?: string[] } =>
    'detail-type' in event || event.repositories === undefined ? {} : { repositories: event.repositories },
  );
export type SweepEvent = z.output<typeof sweepEventSchema>;

/** Repositories per message: BatchGetRepositoryScanningConfiguration's batch, so one call reads a message's. */
export const REPOSITORIES_PER_MESSAGE = 25;

/**
 * One batch of repositories to check (checkRepositories): who asked (for the records), which repositories, the
 * registry's own controls too (one message of a sweep carries them), which checks (all when absent), and
 * whether enforce-mode checks may be fixed (not for the echo of our own fix).
 */
export const complianceMessageSchema = z.strictObject({
  version: z.literal(1),
  trigger: complianceTriggerSchema,
  repositoryNames: z.array(repositoryName).max(REPOSITORIES_PER_MESSAGE),
  registry: z.boolean(),
  controls: z.array(z.enum(CONTROL_IDS)).min(1).optional(),
  enforce: z.boolean(),
});
export type ComplianceMessage = z.output<typeof complianceMessageSchema>;
