import { resolve } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { ecrRepositoryNames } from '../src/compliance/adapters/ecr-repository-names.ts';
import { sqsComplianceQueue } from '../src/compliance/adapters/sqs-compliance-queue.ts';
import { type ChangeDeps, checkChange, fixFailure } from '../src/compliance/check.ts';
import { complianceDocumentClient, complianceMetricPoints, composeCheck } from '../src/compliance/compose.ts';
import { controlsOf } from '../src/compliance/domain/triggers.ts';
import { checkComplianceEnvSchema } from '../src/compliance/env.ts';
import { type CloudTrailCheckEvent, cloudTrailCheckSchema, isEcho } from '../src/compliance/events.ts';
import { loadConfig } from '../src/config/load.ts';
import { snsAlerts } from '../src/notifications/index.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { functionWhere } from '../src/shared/lambda/function-account.ts';
import { emitMetric, logFailures, observability } from '../src/shared/lambda/observability.ts';
import { parseEvent } from '../src/shared/lambda/parse-event.ts';

// Cold start: environment, sentinel.config.yml (packaged at the task root), clients once per container; the
// account (for alerts' console links) is known from the first invocation's ARN.
const env = parseFunctionEnv(checkComplianceEnvSchema, process.env);
const config = await loadConfig(resolve(process.cwd(), env.SENTINEL_CONFIG));
const { logger, metrics } = observability('check-compliance');
const ecr = new ECRClient({ region: env.AWS_REGION });
const doc = complianceDocumentClient(env.AWS_REGION);
const alerts = snsAlerts(new SNSClient({ region: env.AWS_REGION }), env.ALERTS_TOPIC_ARN);
const queue = sqsComplianceQueue(new SQSClient({ region: env.AWS_REGION }), env.COMPLIANCE_QUEUE_URL);
const lister = ecrRepositoryNames(ecr);
let deps: ChangeDeps | undefined;

function depsFor(invokedFunctionArn: string): ChangeDeps {
  if (!deps) {
    const where = functionWhere(invokedFunctionArn, env.AWS_REGION, env.SENTINEL_STAGE);
    deps = {
      ...composeCheck({ config, ecr, doc, tableName: env.SENTINEL_TABLE, alerts, where }),
      lister,
      queue,
    };
  }
  return deps;
}

/**
 * An ECR control-plane call, as CloudTrail recorded it, checked within seconds: the repository it acted on (only
 * the checks the call can change), the registry's replication or creation templates, or every repository's
 * scanning after a change of the registry's scanning rules (fanned out to checkRepositories when many).
 * Enforce-mode drift is fixed, unless the call was one of our own fixes (its echo is checked, never fixed
 * again, so a fix can't start a loop). A failed call, or a tag on something other than a repository, is
 * ignored; a malformed event fails to the onFailure queue naming the field; failed fixes are recorded and
 * alerted, then the invocation fails so Lambda retries it.
 */
export const handler = middy<CloudTrailCheckEvent>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger))
  .use(parseEvent(cloudTrailCheckSchema))
  .handler(async (event, context) => {
    if (event.kind === 'ignore') {
      logger.info('event ignored', { eventId: event.eventId, reason: event.reason });
      return { outcome: 'ignored', eventId: event.eventId, reason: event.reason };
    }
    const echo = isEcho(event, env.SENTINEL_ENFORCERS);
    const eventName = event.call;
    const outcome = await checkChange(depsFor(context.invokedFunctionArn), event, {
      controls: controlsOf(event.call),
      enforce: !echo,
    });
    if (!('summary' in outcome)) {
      logger.info('registry-wide check queued', outcome);
      return { outcome: 'queued', echo, ...outcome };
    }
    emitMetric(metrics, ...complianceMetricPoints(config, outcome));
    const result = {
      outcome: 'checked',
      echo,
      eventName,
      triggerId: outcome.triggerId,
      repositoriesChecked: outcome.repositoriesChecked,
      missing: outcome.missing,
      pass: outcome.summary.pass,
      drift: outcome.summary.drift,
      fixed: outcome.summary.fixed,
      unknown: outcome.summary.unknown,
      applied: outcome.applied,
      failed: outcome.failed,
      alertsSent: outcome.alertsSent,
    };
    logger.info('compliance checked', result);
    const failure = fixFailure(outcome);
    if (failure) throw failure;
    return result;
  });
