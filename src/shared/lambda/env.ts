import * as z from 'zod';

/**
 * A Lambda function's environment, validated once at cold start with the function's own schema (each lives
 * with its capability, beside the handler's use case), so a missing variable fails the first invocation with
 * its name instead of a confusing SDK error later. The variables several functions share are defined here once.
 */

/** `AWS_REGION`: set by Lambda; the default serves local runs. */
export const awsRegionVariable = z.string().min(1).default('us-east-1');

/** `SENTINEL_TABLE`: the single table (src/shared/table.ts). */
export const sentinelTableVariable = z.string().min(1, 'SENTINEL_TABLE must name the DynamoDB table');

/** `SENTINEL_STAGE`: the deployed stage (serverless.yml sets it for every function); alerts name it. */
export const sentinelStageVariable = z.string().min(1).optional();

/** `IDEMPOTENCY_TABLE`: the Powertools idempotency records (src/shared/lambda/idempotency.ts). */
export const idempotencyTableVariable = z
  .string()
  .min(1, 'IDEMPOTENCY_TABLE must name the idempotency table');

/**
 * Parse a function environment with its schema.
 * @throws Error `invalid function environment: NAME: problem; …` naming each missing or bad variable
 */
export function parseFunctionEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid function environment: ${problems}`);
  }
  return result.data;
}
