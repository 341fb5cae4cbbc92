import { resolve } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { loadConfig } from '../src/config/load.ts';
import { snsAlerts } from '../src/notifications/adapters/sns-alerts.ts';
import { dynamoVerdicts } from '../src/scan-gate/adapters/dynamodb-verdicts.ts';
import { ecrFindingsReader } from '../src/scan-gate/adapters/ecr-findings-reader.ts';
import { ecrTagger } from '../src/scan-gate/adapters/ecr-tagger.ts';
import { onScanCompletedEnvSchema } from '../src/scan-gate/env.ts';
import {
  type HomeRegistry,
  normaliseScanEvent,
  type ScanCompletedEvent,
  scanCompletedEventSchema,
} from '../src/scan-gate/events.ts';
import { EnforcementError, judgeScan } from '../src/scan-gate/judge-scan.ts';
import { systemClock } from '../src/shared/clock.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { type FunctionWhere, functionWhere } from '../src/shared/lambda/function-account.ts';
import {
  emitMetric,
  findingsBySeverity,
  logFailures,
  observability,
  repositoryGroupDimension,
} from '../src/shared/lambda/observability.ts';
import { parseEvent } from '../src/shared/lambda/parse-event.ts';

// Cold start: environment, sentinel.config.yml (packaged at the task root), clients and adapters once per
// container. A bad config fails every invocation with a ConfigError naming the bad keys.
const env = parseFunctionEnv(onScanCompletedEnvSchema, process.env);
const config = await loadConfig(resolve(process.cwd(), env.SENTINEL_CONFIG));
const { logger, metrics } = observability('on-scan-completed');
const ecr = new ECRClient({ region: env.AWS_REGION });
const verdicts = dynamoVerdicts(
  DynamoDBDocumentClient.from(new DynamoDBClient({ region: env.AWS_REGION })),
  env.SENTINEL_TABLE,
);
const judge = judgeScan({
  reader: ecrFindingsReader(ecr),
  store: verdicts,
  claims: verdicts,
  publisher: snsAlerts(new SNSClient({ region: env.AWS_REGION }), env.ALERTS_TOPIC_ARN),
  tagger: ecrTagger(ecr),
  config,
  clock: systemClock,
});

/**
 * The registry this function judges: its own account (from the ARN it was invoked by, Lambda's only source of
 * it) and Region, with the stage its alerts name. A scan event of any other registry is refused
 * (ForeignRegistryError).
 */
function homeRegistry(invokedFunctionArn: string): HomeRegistry & FunctionWhere {
  return functionWhere(invokedFunctionArn, env.AWS_REGION, env.SENTINEL_STAGE);
}

/**
 * `ECR Image Scan` (basic) and `Inspector2 Scan` (enhanced) → verdict by digest, stored; an SNS alert when it
 * changed; `untag` enforcement of a failing image. No Powertools idempotency: judge-scan's alert claims make a
 * redelivered or concurrent copy of an event a no-op for alerts (and keep calls per event low), and a failed
 * enforcement must run again on the retry. A failed enforcement counts in `EnforcementFailures` and is thrown,
 * so that Lambda retries it. An event that is not a scan event of this account and Region's registry, or that
 * names a repository, digest or tag ECR could not hold, fails (InvalidEventError naming the field, or
 * ForeignRegistryError), so after Lambda's retries it reaches the onFailure queue with its payload.
 */
export const handler = middy<ScanCompletedEvent>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger, metrics))
  .use(parseEvent(scanCompletedEventSchema))
  .handler(async (event, context) => {
    let summary: Awaited<ReturnType<typeof judge>>;
    try {
      summary = await judge(event, homeRegistry(context.invokedFunctionArn));
    } catch (error) {
      if (error instanceof EnforcementError) {
        metrics.addMetric('EnforcementFailures', MetricUnit.Count, 1);
        logger.error('scan event handled, enforcement failed', { eventId: event.id, ...error.summary });
      }
      throw error;
    }
    metrics.addMetric('ScanVerdicts', MetricUnit.Count, summary.outcome === 'judged' ? 1 : 0);
    metrics.addMetric('ScanAlerts', MetricUnit.Count, summary.alert === 'none' ? 0 : 1);
    metrics.addMetric('TagsRemoved', MetricUnit.Count, summary.untagged.length);
    if (summary.outcome === 'judged') {
      // Findings as the scan reported them (before exceptions), per severity: what a dashboard trends.
      const group = repositoryGroupDimension(config.repositoryGroups, summary.repositoryName);
      emitMetric(
        metrics,
        { name: 'ImagesScanned', value: 1, dimensions: { RepositoryGroup: group } },
        {
          name: 'Verdicts',
          value: 1,
          dimensions: { RepositoryGroup: group, Outcome: summary.status ?? 'ERROR' },
        },
        ...findingsBySeverity(normaliseScanEvent(event).severityCounts, group),
      );
    }
    logger.info('scan event handled', { eventId: event.id, ...summary });
    return summary;
  });
