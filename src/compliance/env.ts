import * as z from 'zod';
import { awsRegionVariable, sentinelStageVariable, sentinelTableVariable } from '../shared/lambda/env.ts';

/** The compliance functions' environments; parse with `parseFunctionEnv` (src/shared/lambda/env.ts). */

const sentinelConfigVariable = z.string().min(1).default('sentinel.config.yml');
const queueUrl = z.string().url('COMPLIANCE_QUEUE_URL must be the URL of the compliance queue');
const alertsTopic = z.string().min(1, 'ALERTS_TOPIC_ARN must name the SNS alerts topic');
/**
 * The Lambda function names of ecr-sentinel's enforcing functions, comma-separated: a call one of them made is
 * the echo of a fix, checked but never enforced again.
 */
const enforcers = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );

/** checkCompliance: checks and fixes what a CloudTrail event changed; fans out a registry-wide check. */
export const checkComplianceEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  SENTINEL_TABLE: sentinelTableVariable,
  ALERTS_TOPIC_ARN: alertsTopic,
  COMPLIANCE_QUEUE_URL: queueUrl,
  SENTINEL_ENFORCERS: enforcers,
  SENTINEL_STAGE: sentinelStageVariable,
  SENTINEL_CONFIG: sentinelConfigVariable,
});

/** sweepCompliance: lists the repositories and queues them. */
export const sweepComplianceEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  COMPLIANCE_QUEUE_URL: queueUrl,
});

/** checkRepositories: checks and fixes one batch of repositories per message. */
export const checkRepositoriesEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  SENTINEL_TABLE: sentinelTableVariable,
  ALERTS_TOPIC_ARN: alertsTopic,
  /** The queue's redrive maxReceiveCount: logged with a failure on the last delivery before the DLQ. */
  COMPLIANCE_MAX_RECEIVES: z.coerce.number().int().min(1).default(3),
  SENTINEL_STAGE: sentinelStageVariable,
  SENTINEL_CONFIG: sentinelConfigVariable,
});
