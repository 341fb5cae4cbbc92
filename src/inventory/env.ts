import * as z from 'zod';
import { awsRegionVariable, idempotencyTableVariable, sentinelTableVariable } from '../shared/lambda/env.ts';

/** The environment of on-image-pushed; parse it with `parseFunctionEnv` (src/shared/lambda/env.ts). */
export const onImagePushedEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  SENTINEL_TABLE: sentinelTableVariable,
  IDEMPOTENCY_TABLE: idempotencyTableVariable,
});

export type OnImagePushedEnv = z.output<typeof onImagePushedEnvSchema>;
