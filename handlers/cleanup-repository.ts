import { resolve } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoCleanupNotices } from '../src/cleanup/adapters/dynamodb-cleanup-notices.ts';
import { dynamoCleanupRecords } from '../src/cleanup/adapters/dynamodb-cleanup-records.ts';
import { ecrRepositoryImages } from '../src/cleanup/adapters/ecr-images.ts';
import { ecrImageRemover } from '../src/cleanup/adapters/ecr-remover.ts';
import { ecrRepositoryCatalog } from '../src/cleanup/adapters/ecr-repositories.ts';
import { documentClient } from '../src/cleanup/compose.ts';
import { cleanupRepositoryEnvSchema } from '../src/cleanup/env.ts';
import { type CleanupMessage, cleanupMessageSchema } from '../src/cleanup/events.ts';
import { cleanRepository, failedOutcome, finishRun } from '../src/cleanup/fan-out.ts';
import { loadConfig } from '../src/config/load.ts';
import { snsAlerts } from '../src/notifications/index.ts';
import { systemClock } from '../src/shared/clock.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { functionWhere } from '../src/shared/lambda/function-account.ts';
import {
  countFailedEvents,
  emitMetric,
  logFailures,
  observability,
  repositoryGroupDimension,
} from '../src/shared/lambda/observability.ts';
import { parseMessageBody } from '../src/shared/lambda/parse-event.ts';

// Cold start: environment, sentinel.config.yml, clients once per container; adapters bound on first use (the
// account comes from the invocation's ARN).
const env = parseFunctionEnv(cleanupRepositoryEnvSchema, process.env);
const config = await loadConfig(resolve(process.cwd(), env.SENTINEL_CONFIG));
const { logger, metrics } = observability('cleanup-repository');
const alerts = snsAlerts(new SNSClient({ region: env.AWS_REGION }), env.ALERTS_TOPIC_ARN);
const ecr = new ECRClient({ region: env.AWS_REGION });
const doc = documentClient({ region: env.AWS_REGION });
const records = dynamoCleanupRecords(doc, env.SENTINEL_TABLE, { now: () => systemClock.now() });
const remover = ecrImageRemover(ecr);
const notices = dynamoCleanupNotices(doc, env.SENTINEL_TABLE);
// Signals arrive in the message: this function reads only its repository (images, its own lifecycle policy).
const plan = {
  settings: config.cleanup,
  repositoryGroups: config.repositoryGroups,
  catalog: ecrRepositoryCatalog(ecr),
  images: ecrRepositoryImages(ecr),
  signals: [],
};

/**
 * One repository of a cleanup run per SQS message (reserved concurrency keeps ECR from being flooded): plan it,
 * clean it (unless the run is a dry run), record the outcome once, send the run's summary when it is the last.
 * A failed message is reported in `batchItemFailures` alone, so SQS redelivers only it; after the queue's
 * `maxReceiveCount` it moves to the dead-letter queue with its payload. On that last delivery the failure is
 * recorded as the repository's outcome first, so the run completes and its summary names it. A malformed
 * message goes to the dead-letter queue the same way.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger, metrics))
  .handler(async (event, context) => {
    const where = functionWhere(context.invokedFunctionArn, env.AWS_REGION, env.SENTINEL_STAGE);
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const message = parseMessageBody(record.body, cleanupMessageSchema);
      if (typeof message === 'string') {
        logger.error('malformed cleanup message', { messageId: record.messageId, problem: message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const deps = {
        plan,
        remover,
        records,
        notices,
        alerts,
        where,
        now: () => systemClock.now(),
      };
      try {
        const result = await cleanRepository(deps, message);
        const { outcome } = result;
        logger.info('repository cleaned', {
          runId: message.runId,
          repositoryName: message.repositoryName,
          status: outcome.status,
          deleted: outcome.deletedCount,
          failures: outcome.failures.length,
          first: result.first,
          remaining: result.remaining,
          summarySent: result.summarySent,
        });
        // Once per repository and run (a redelivered message finds its outcome recorded: `first` false). A dry run
        // or a notice reclaims nothing yet: its bytes are only planned.
        if (result.first) {
          const group = repositoryGroupDimension(config.repositoryGroups, message.repositoryName);
          emitMetric(
            metrics,
            {
              name: 'CleanupOutcomes',
              value: 1,
              dimensions: { RepositoryGroup: group, Outcome: outcome.status },
            },
            { name: 'ImagesDeleted', value: outcome.deletedCount, dimensions: { RepositoryGroup: group } },
            {
              name: 'BytesReclaimed',
              unit: MetricUnit.Bytes,
              value: outcome.status === 'cleaned' ? outcome.bytesReclaimed : 0,
              dimensions: { RepositoryGroup: group },
            },
          );
        }
      } catch (error) {
        logger.error('repository not cleaned', {
          runId: message.runId,
          repositoryName: message.repositoryName,
          error,
        });
        if (Number(record.attributes.ApproximateReceiveCount) >= env.CLEANUP_MAX_RECEIVES) {
          await recordFailure(deps, message, error);
        }
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    // Failed records are reported, not thrown: logFailures never sees them.
    countFailedEvents(metrics, 'cleanup-repository', batchItemFailures.length);
    return { batchItemFailures };
  });

/** The last delivery failed: record it as the outcome (best effort) so the run completes with its summary. */
async function recordFailure(
  deps: Parameters<typeof cleanRepository>[0],
  message: CleanupMessage,
  error: unknown,
): Promise<void> {
  try {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const recorded = await deps.records.recordOutcome(failedOutcome(message, reason, deps.now()));
    await finishRun(deps, message.runId, recorded.remaining);
  } catch (recordError) {
    logger.error('failure not recorded: the run will not complete', { runId: message.runId, recordError });
  }
}
