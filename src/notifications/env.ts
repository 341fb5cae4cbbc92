import * as z from 'zod';
import { awsRegionVariable, idempotencyTableVariable } from '../shared/lambda/env.ts';
import { SSM_PARAMETER_NAME_PATTERN } from '../shared/ssm-names.ts';

/**
 * The environment of notify-slack; parse it with `parseFunctionEnv` (src/shared/lambda/env.ts).
 * `SLACK_WEBHOOK_PARAMETER` is resolved at deploy time from sentinel.config.yml `alerts.slack.webhookParameter`
 * (serverless.yml → deploy/alert-subscriptions.cjs), the same value the function's IAM policy is scoped to; empty
 * when Slack is not configured (the function then posts nothing and says so).
 */
export const notifySlackEnvSchema = z.object({
  AWS_REGION: awsRegionVariable,
  IDEMPOTENCY_TABLE: idempotencyTableVariable,
  SLACK_WEBHOOK_PARAMETER: z
    .string()
    .default('')
    .refine((v) => v === '' || SSM_PARAMETER_NAME_PATTERN.test(v), 'expected an SSM parameter name'),
});

export type NotifySlackEnv = z.output<typeof notifySlackEnvSchema>;
