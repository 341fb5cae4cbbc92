import { z } from 'zod';

/**
 * Environment variables the Lambda functions read, validated once at cold start so a missing variable
 * fails the first invocation with its name instead of a confusing SDK error later.
 */
const lambdaEnvSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  SENTINEL_TABLE: z.string().min(1, 'SENTINEL_TABLE must name the DynamoDB table'),
  IDEMPOTENCY_TABLE: z.string().min(1, 'IDEMPOTENCY_TABLE must name the idempotency table'),
});

export type LambdaEnv = z.infer<typeof lambdaEnvSchema>;

/** Parse the function environment; throws an Error naming each missing or bad variable. */
export function parseLambdaEnv(env: NodeJS.ProcessEnv): LambdaEnv {
  const result = lambdaEnvSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid function environment: ${problems}`);
  }
  return result.data;
}
