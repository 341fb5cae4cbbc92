import { resolve } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { loadConfig } from '../src/config/load.ts';
import { composePromotions } from '../src/promotion/compose.ts';
import { promoteImageEnvSchema } from '../src/promotion/env.ts';
import { type PromotionRequest, promoteImageEventSchema } from '../src/promotion/events.ts';
import { systemClock } from '../src/shared/clock.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { functionAccount } from '../src/shared/lambda/function-account.ts';
import { emitMetric, logFailures, observability } from '../src/shared/lambda/observability.ts';
import { parseEvent } from '../src/shared/lambda/parse-event.ts';

// Cold start: environment, sentinel.config.yml (packaged at the task root), clients once per container. The
// account is known only from the first invocation's ARN, so the use cases are bound on first use.
const env = parseFunctionEnv(promoteImageEnvSchema, process.env);
const config = await loadConfig(resolve(process.cwd(), env.SENTINEL_CONFIG));
const { logger, metrics } = observability('promote-image');
let composed: ReturnType<typeof composePromotions> | undefined;

function useCases(invokedFunctionArn: string) {
  if (!composed) {
    const accountId = functionAccount(invokedFunctionArn);
    composed = composePromotions({
      config,
      base: { region: env.AWS_REGION },
      home: { accountId, region: env.AWS_REGION },
      tableName: env.SENTINEL_TABLE,
      clock: systemClock,
      alertsTopicArn: env.ALERTS_TOPIC_ARN,
      stage: env.SENTINEL_STAGE,
      warn: (message) => logger.warn(message),
    });
  }
  return composed.useCases;
}

/**
 * Promotions as a function: invoked directly (`{"action":"promote","app","version","to","by"}`, `approve`,
 * `reject`) or by the EventBridge events `Promotion Requested` / `Promotion Approved` (source `ecr-sentinel`).
 * Runs the same use cases as the CLI and returns the promotion. A request that can't be carried out (unknown
 * environment or tag, not pending, the requester approving) fails, naming why, so after Lambda's retries it
 * reaches the onFailure queue with its payload; a refused or failed promotion is recorded and returned.
 */
export const handler = middy<PromotionRequest>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger, metrics))
  .use(parseEvent(promoteImageEventSchema))
  .handler(async (request, context) => {
    const cases = useCases(context.invokedFunctionArn);
    const result =
      request.action === 'promote'
        ? await cases.promote(request)
        : request.action === 'approve'
          ? await cases.approve(request.id, request.by)
          : await cases.reject(request.id, request.by, request.reason);
    const { promotion, outcome, existing } = result;
    logger.info('promotion', { id: promotion.id, outcome, existing, status: promotion.status });
    // A repeated request returns the promotion it repeats: counted once, when it happened.
    if (!existing) {
      emitMetric(metrics, {
        name: 'Promotions',
        value: 1,
        dimensions: { TargetEnvironment: promotion.to.environment, Outcome: outcome },
      });
    }
    return { id: promotion.id, outcome, existing, status: promotion.status, digest: promotion.digest };
  });
