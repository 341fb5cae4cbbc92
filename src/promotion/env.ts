import * as z from 'zod';
import { awsRegionVariable, sentinelStageVariable, sentinelTableVariable } from '../shared/lambda/env.ts';

/** The environment of promote-image; parse it with `parseFunctionEnv` (src/shared/lambda/env.ts). */
export const promoteImageEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  SENTINEL_TABLE: sentinelTableVariable,
  ALERTS_TOPIC_ARN: z.string().min(1, 'ALERTS_TOPIC_ARN must name the SNS alerts topic'),
  /** sentinel.config.yml, resolved against the working directory (the task root in Lambda). */
  SENTINEL_CONFIG: z.string().min(1).default('sentinel.config.yml'),
  SENTINEL_STAGE: sentinelStageVariable,
});
