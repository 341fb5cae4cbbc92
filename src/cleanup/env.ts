import * as z from 'zod';
import { awsRegionVariable, sentinelStageVariable, sentinelTableVariable } from '../shared/lambda/env.ts';

const sentinelConfigVariable = z.string().min(1).default('sentinel.config.yml');

/** The environment of plan-cleanup; parse it with `parseFunctionEnv` (src/shared/lambda/env.ts). */
export const planCleanupEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  SENTINEL_TABLE: sentinelTableVariable,
  CLEANUP_QUEUE_URL: z.string().url('CLEANUP_QUEUE_URL must be the URL of the cleanup queue'),
  /** sentinel.config.yml, resolved against the working directory (the task root in Lambda). */
  SENTINEL_CONFIG: sentinelConfigVariable,
});

/** The environment of cleanup-repository. */
export const cleanupRepositoryEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  SENTINEL_TABLE: sentinelTableVariable,
  ALERTS_TOPIC_ARN: z.string().min(1, 'ALERTS_TOPIC_ARN must name the SNS alerts topic'),
  /**
   * The cleanup queue's redrive `maxReceiveCount`: the delivery that reaches it is the last before the
   * dead-letter queue, so its failure is recorded as the repository's outcome (the run still completes).
   */
  CLEANUP_MAX_RECEIVES: z.coerce.number().int().min(1).default(3),
  SENTINEL_STAGE: sentinelStageVariable,
  SENTINEL_CONFIG: sentinelConfigVariable,
});
