import * as z from 'zod';
import { IMAGE_DIGEST_PATTERN, REPOSITORY_NAME_PATTERN } from '../shared/ecr/names.ts';
import { ULID_PATTERN } from '../shared/ulid.ts';

/**
 * What the cleanup functions receive. planCleanup: the scheduled event (EventBridge Scheduler / rule, detail-type
 * `Scheduled Event`) or a direct invocation naming what to do; cleanupRepository: one SQS message per repository.
 */

const repositoryName = z
  .string()
  .min(2)
  .max(256)
  .regex(REPOSITORY_NAME_PATTERN, 'expected an ECR repository name');

/**
 * A direct invocation of planCleanup: `{"repositories": ["orders-api-dev"], "dryRun": true}`. `dryRun` can only
 * make a run more careful than the config (true), never delete when the config says dry run.
 */
const directRequestSchema = z.strictObject({
  repositories: z.array(repositoryName).max(10_000).optional(),
  dryRun: z.literal(true).optional(),
});

/** The scheduled event (only its time is used). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html */
const scheduledEventSchema = z.looseObject({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.string().optional(),
});

/** planCleanup's input, either shape, as the request it makes: a scheduled event asks for everything. */
export const planCleanupEventSchema = z
  .union([scheduledEventSchema, directRequestSchema])
  .transform((event): { repositories?: string[]; dryRun?: true } =>
    'detail-type' in event
      ? {}
      : {
          ...(event.repositories ? { repositories: event.repositories } : {}),
          ...(event.dryRun ? { dryRun: event.dryRun } : {}),
        },
  );
export type PlanCleanupEvent = z.output<typeof planCleanupEventSchema>;

const imageUseSchema = z.strictObject({
  repositoryName,
  registryId: z.string().optional(),
  digest: z.string().regex(IMAGE_DIGEST_PATTERN).optional(),
  tag: z.string().max(300).optional(),
  reason: z.string().max(2000),
});

const doubtSchema = z.strictObject({
  signal: z.string(),
  repositoryName: repositoryName.optional(),
  reason: z.string().max(2000),
});

/**
 * One repository of a run, as planCleanup sends it: the signals were read once for the whole run, and each
 * message carries its repository's share, so cleanupRepository reads only its repository's images.
 */
export const cleanupMessageSchema = z.strictObject({
  version: z.literal(1),
  runId: z.string().regex(ULID_PATTERN, 'expected a run id (ULID)'),
  repositoryName,
  dryRun: z.boolean(),
  /** The run's evaluation time: every repository of a run is judged as of the same moment. */
  now: z.iso.datetime(),
  signals: z.array(
    z.strictObject({
      signal: z.string(),
      uses: z.array(imageUseSchema),
      doubts: z.array(doubtSchema),
    }),
  ),
});
export type CleanupMessage = z.output<typeof cleanupMessageSchema>;
