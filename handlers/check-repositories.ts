import { resolve } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type CheckDeps, checkCompliance, fixFailure } from '../src/compliance/check.ts';
import { complianceDocumentClient, complianceMetricPoints, composeCheck } from '../src/compliance/compose.ts';
import { checkRepositoriesEnvSchema } from '../src/compliance/env.ts';
import { complianceMessageSchema } from '../src/compliance/events.ts';
import { loadConfig } from '../src/config/load.ts';
import { snsAlerts } from '../src/notifications/index.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { functionWhere } from '../src/shared/lambda/function-account.ts';
import {
  countFailedEvents,
  emitMetric,
  logFailures,
  observability,
} from '../src/shared/lambda/observability.ts';
import { parseMessageBody } from '../src/shared/lambda/parse-event.ts';

const env = parseFunctionEnv(checkRepositoriesEnvSchema, process.env);
const config = await loadConfig(resolve(process.cwd(), env.SENTINEL_CONFIG));
const { logger, metrics } = observability('check-repositories');
const ecr = new ECRClient({ region: env.AWS_REGION });
const doc = complianceDocumentClient(env.AWS_REGION);
const alerts = snsAlerts(new SNSClient({ region: env.AWS_REGION }), env.ALERTS_TOPIC_ARN);
let deps: CheckDeps | undefined;

function depsFor(invokedFunctionArn: string): CheckDeps {
  if (!deps) {
    const where = functionWhere(invokedFunctionArn, env.AWS_REGION, env.SENTINEL_STAGE);
    deps = composeCheck({ config, ecr, doc, tableName: env.SENTINEL_TABLE, alerts, where });
  }
  return deps;
}

/**
 * A batch of repositories per SQS message (a sweep's, or a registry-wide change's): checked, enforce-mode drift
 * fixed, statuses and remediations recorded, changes alerted. A message that fails (malformed, a fix failed, an
 * error) is reported in `batchItemFailures` alone, so SQS redelivers only it; after the queue's maxReceiveCount
 * it moves to the dead-letter queue with its payload. A redelivery records and alerts nothing twice.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger))
  .handler(async (event, context) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const message = parseMessageBody(record.body, complianceMessageSchema);
      if (typeof message === 'string') {
        logger.error('malformed compliance message', { messageId: record.messageId, problem: message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const receives = Number(record.attributes.ApproximateReceiveCount);
      try {
        const outcome = await checkCompliance(depsFor(context.invokedFunctionArn), {
          trigger: message.trigger,
          repositoryNames: message.repositoryNames,
          registry: message.registry,
          ...(message.controls ? { controls: message.controls } : {}),
          enforce: message.enforce,
          mayBeRetry: receives > 1,
        });
        emitMetric(metrics, ...complianceMetricPoints(config, outcome));
        logger.info('repositories checked', {
          triggerId: outcome.triggerId,
          repositoriesChecked: outcome.repositoriesChecked,
          missing: outcome.missing,
          drift: outcome.summary.drift,
          fixed: outcome.summary.fixed,
          unknown: outcome.summary.unknown,
          applied: outcome.applied,
          failed: outcome.failed,
          alertsSent: outcome.alertsSent,
        });
        const failure = fixFailure(outcome);
        if (failure) throw failure;
      } catch (error) {
        logger.error('repositories not checked', {
          triggerId: message.trigger.id,
          repositories: message.repositoryNames.length,
          lastDelivery: receives >= env.COMPLIANCE_MAX_RECEIVES,
          error,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    countFailedEvents(metrics, 'check-repositories', batchItemFailures.length);
    return { batchItemFailures };
  });
