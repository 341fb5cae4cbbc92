import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { dynamoCleanupRecords } from '../src/cleanup/adapters/dynamodb-cleanup-records.ts';
import { ecrRepositoryCatalog } from '../src/cleanup/adapters/ecr-repositories.ts';
import { sqsCleanupQueue } from '../src/cleanup/adapters/sqs-cleanup-queue.ts';
import { composeSignals, documentClient } from '../src/cleanup/compose.ts';
import { planCleanupEnvSchema } from '../src/cleanup/env.ts';
import { type PlanCleanupEvent, planCleanupEventSchema } from '../src/cleanup/events.ts';
import { startCleanupRun } from '../src/cleanup/fan-out.ts';
import type { PlanCleanupDeps } from '../src/cleanup/plan-cleanup.ts';
import { loadConfig } from '../src/config/load.ts';
import { systemClock } from '../src/shared/clock.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { functionAccount } from '../src/shared/lambda/function-account.ts';
import { logFailures, observability } from '../src/shared/lambda/observability.ts';
import { parseEvent } from '../src/shared/lambda/parse-event.ts';
import { ulid } from '../src/shared/ulid.ts';

// Cold start: environment, sentinel.config.yml (packaged at the task root), clients once per container. The
// account is known only from the first invocation's ARN, so the adapters are bound on first use.
const env = parseFunctionEnv(planCleanupEnvSchema, process.env);
const config = await loadConfig(resolve(process.cwd(), env.SENTINEL_CONFIG));
const { logger, metrics } = observability('plan-cleanup');
const sqs = new SQSClient({ region: env.AWS_REGION });
const queue = sqsCleanupQueue(sqs, env.CLEANUP_QUEUE_URL);
const ecr = new ECRClient({ region: env.AWS_REGION });
const doc = documentClient({ region: env.AWS_REGION });
const records = dynamoCleanupRecords(doc, env.SENTINEL_TABLE, { now: () => systemClock.now() });
let deps: PlanCleanupDeps | undefined;

/** The planning side: the repositories and the signals (bound on first use: the account is in the ARN). */
function planning(invokedFunctionArn: string): PlanCleanupDeps {
  if (!deps) {
    const accountId = functionAccount(invokedFunctionArn);
    const { signals } = composeSignals({
      config,
      base: { region: env.AWS_REGION },
      registry: { accountId, region: env.AWS_REGION },
      doc,
      tableName: env.SENTINEL_TABLE,
    });
    deps = {
      settings: config.cleanup,
      repositoryGroups: config.repositoryGroups,
      catalog: ecrRepositoryCatalog(ecr),
      signals,
    };
  }
  return deps;
}

/**
 * The scheduled start of a cleanup run: reads the protection signals once, records the run and queues one
 * message per repository for cleanupRepository. Dry run unless sentinel.config.yml says `cleanup.dryRun: false`;
 * a direct invocation may narrow the repositories or force a dry run (`{"repositories":[…],"dryRun":true}`).
 */
export const handler = middy<PlanCleanupEvent>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger, metrics))
  .use(parseEvent(planCleanupEventSchema))
  .handler(async (event, context) => {
    const now = systemClock.now();

    const started = await startCleanupRun(
      { plan: planning(context.invokedFunctionArn), records, queue },
      {
        runId: ulid(now, randomBytes(10)),
        now,
        dryRun: config.cleanup.dryRun || event.dryRun === true,
        ...(event.repositories ? { repositories: event.repositories } : {}),
      },
    );
    logger.info('cleanup run started', started);
    metrics.addMetric('CleanupRepositoriesQueued', MetricUnit.Count, started.repositoryCount);
    return started;
  });
