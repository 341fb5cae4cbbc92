import * as z from 'zod';

/**
 * The environment of notify-slack, validated once at cold start.
 * `SLACK_WEBHOOK_PARAMETER` is resolved at deploy time from sentinel.config.yml `alerts.slack.webhookParameter`
 * (serverless.yml → deploy/alert-subscriptions.cjs), the same value the function's IAM policy is scoped to; empty
 * when Slack is not configured (the function then posts nothing and says so).
 */
const notifySlackEnvSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  IDEMPOTENCY_TABLE: z.string().min(1, 'IDEMPOTENCY_TABLE must name the idempotency table'),
  SLACK_WEBHOOK_PARAMETER: z
    .string()
    .default('')
    .refine((v) => v === '' || /^[a-zA-Z0-9_.\-/]{1,2048}$/.test(v), 'expected an SSM parameter name'),
});

export type NotifySlackEnv = z.infer<typeof notifySlackEnvSchema>;

export function parseNotifySlackEnv(env: NodeJS.ProcessEnv): NotifySlackEnv {
  const result = notifySlackEnvSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid function environment: ${problems}`);
  }
  return result.data;
}
