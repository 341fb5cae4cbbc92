import { randomBytes } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { ecrRepositoryNames } from '../src/compliance/adapters/ecr-repository-names.ts';
import { sqsComplianceQueue } from '../src/compliance/adapters/sqs-compliance-queue.ts';
import { startSweep } from '../src/compliance/check.ts';
import { sweepComplianceEnvSchema } from '../src/compliance/env.ts';
import { type SweepEvent, sweepEventSchema } from '../src/compliance/events.ts';
import { systemClock } from '../src/shared/clock.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { logFailures, observability } from '../src/shared/lambda/observability.ts';
import { parseEvent } from '../src/shared/lambda/parse-event.ts';
import { ulid } from '../src/shared/ulid.ts';

const env = parseFunctionEnv(sweepComplianceEnvSchema, process.env);
const { logger, metrics } = observability('sweep-compliance');
const lister = ecrRepositoryNames(new ECRClient({ region: env.AWS_REGION }));
const queue = sqsComplianceQueue(new SQSClient({ region: env.AWS_REGION }), env.COMPLIANCE_QUEUE_URL);

/**
 * The scheduled reconciliation of what CloudTrail events missed (EventBridge delivers them best effort): every
 * repository (or those a direct invocation names: `{"repositories": […]}`) and the registry, in batches of 25 on
 * ComplianceQueue for checkRepositories. The run id names every record and alert the sweep causes.
 */
export const handler = middy<SweepEvent>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger))
  .use(parseEvent(sweepEventSchema))
  .handler(async (event) => {
    const runId = ulid(systemClock.now(), randomBytes(10));
    const started = await startSweep(
      { lister, queue },
      { runId, ...(event.repositories ? { repositories: event.repositories } : {}) },
    );
    logger.info('compliance sweep queued', started);
    metrics.addMetric('ComplianceRepositoriesQueued', MetricUnit.Count, started.repositories);
    return started;
  });
