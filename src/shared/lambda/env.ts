import * as z from 'zod';

/**
 * Environment variables the Lambda functions read, one schema per function, validated once at cold start so
 * a missing variable fails the first invocation with its name instead of a confusing SDK error later.
 */

const region = z.string().min(1).default('us-east-1');
const table = z.string().min(1, 'SENTINEL_TABLE must name the DynamoDB table');

/** on-image-pushed. */
const lambdaEnvSchema = z.object({
  AWS_REGION: region,
  SENTINEL_TABLE: table,
  IDEMPOTENCY_TABLE: z.string().min(1, 'IDEMPOTENCY_TABLE must name the idempotency table'),
});

/** on-scan-completed. */
export const onScanCompletedEnvSchema = z.object({
  AWS_REGION: region,
  SENTINEL_TABLE: table,
  ALERTS_TOPIC_ARN: z.string().min(1, 'ALERTS_TOPIC_ARN must name the SNS alerts topic'),
  /** sentinel.config.yml, resolved against the working directory (the task root in Lambda). */
  SENTINEL_CONFIG: z.string().min(1).default('sentinel.config.yml'),
});

export type LambdaEnv = z.infer<typeof lambdaEnvSchema>;
export type OnScanCompletedEnv = z.infer<typeof onScanCompletedEnvSchema>;

/** Parse a function environment with its schema; throws an Error naming each missing or bad variable. */
export function parseFunctionEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid function environment: ${problems}`);
  }
  return result.data;
}

/** The on-image-pushed environment (kept under its original name). */
export function parseLambdaEnv(env: NodeJS.ProcessEnv): LambdaEnv {
  return parseFunctionEnv(lambdaEnvSchema, env);
}
