import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import { slackWebhook } from '../src/notifications/adapters/slack-webhook.ts';
import { ssmSecrets } from '../src/notifications/adapters/ssm-secrets.ts';
import { notifySlackEnvSchema } from '../src/notifications/env.ts';
import { type SnsAlertEvent, snsAlertEventSchema } from '../src/notifications/events.ts';
import { notifySlack } from '../src/notifications/notify-slack.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { idempotentOn } from '../src/shared/lambda/idempotency.ts';
import { logFailures, observability } from '../src/shared/lambda/observability.ts';
import { parseEvent } from '../src/shared/lambda/parse-event.ts';

// Cold start: environment, clients and adapters once per container. The webhook URL itself is read on the
// first alert and cached (src/notifications/adapters/ssm-secrets.ts); it is never logged.
const env = parseFunctionEnv(notifySlackEnvSchema, process.env);
const { logger, metrics } = observability('notify-slack');
const dynamo = new DynamoDBClient({ region: env.AWS_REGION });
const notify = notifySlack({
  secrets: ssmSecrets(new SSMClient({ region: env.AWS_REGION })),
  webhook: slackWebhook({ log: logger }),
  webhookParameter: env.SLACK_WEBHOOK_PARAMETER || undefined,
});

/** Time kept back from the function timeout so a failure is reported rather than timed out. */
const SAFETY_MARGIN_MS = 2_000;

/** One alert (a scan verdict or a promotion) from the SNS topic → one Slack Block Kit post. */
export const handler = middy<SnsAlertEvent>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger, metrics))
  // SNS may deliver a message twice: one message, one post.
  .use(idempotentOn('Records[0].Sns.MessageId', env.IDEMPOTENCY_TABLE, dynamo))
  .use(parseEvent(snsAlertEventSchema))
  .handler(async (event, context) => {
    const record = event.Records[0];
    if (!record) throw new Error('no SNS record'); // unreachable: the schema requires exactly one
    const summary = await notify({
      messageId: record.Sns.MessageId,
      alert: record.Sns.Message,
      remainingMs: () => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
    });
    if (summary.outcome === 'skipped') {
      logger.info('Slack alert not posted: Slack is not configured', { ...summary });
    } else {
      metrics.addMetric('SlackAlertsPosted', MetricUnit.Count, 1);
      logger.info('Slack alert posted', { ...summary });
    }
    return summary;
  });
