import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { dynamoInventory } from '../src/inventory/dynamodb-inventory.ts';
import { ecrRegistry, scanClientConfig } from '../src/inventory/ecr-registry.ts';
import { onImagePushedEnvSchema } from '../src/inventory/env.ts';
import { type ImagePushedEvent, imagePushedEventSchema } from '../src/inventory/events.ts';
import { recordPushedImage } from '../src/inventory/record-pushed-image.ts';
import { systemClock } from '../src/shared/clock.ts';
import { parseFunctionEnv } from '../src/shared/lambda/env.ts';
import { idempotentOn } from '../src/shared/lambda/idempotency.ts';
import { logFailures, observability } from '../src/shared/lambda/observability.ts';
import { parseEvent } from '../src/shared/lambda/parse-event.ts';

// Cold start: config, clients and adapters once per container.
const env = parseFunctionEnv(onImagePushedEnvSchema, process.env);
const { logger, metrics } = observability('on-image-pushed');
const dynamo = new DynamoDBClient({ region: env.AWS_REGION });
const ecr = new ECRClient({ region: env.AWS_REGION });
// StartImageScan gets a client of its own without SDK retries: see ecrRegistry.
const ecrScans = new ECRClient({ region: env.AWS_REGION, ...scanClientConfig });
const record = recordPushedImage({
  registry: ecrRegistry(ecr, { scanClient: ecrScans }),
  inventory: dynamoInventory(DynamoDBDocumentClient.from(dynamo), env.SENTINEL_TABLE),
  clock: systemClock,
});

/**
 * `ECR Image Action` PUSH/SUCCESS → inventory record (+ a scan when nothing scans on push). Any other event fails
 * the invocation with an InvalidEventError naming the field, so after Lambda's retries it reaches the onFailure
 * queue with its payload.
 */
export const handler = middy<ImagePushedEvent>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(logFailures(logger, metrics))
  // EventBridge redelivers with the same id: one event, one effect (e.g. one StartImageScan).
  .use(idempotentOn('id', env.IDEMPOTENCY_TABLE, dynamo))
  .use(parseEvent(imagePushedEventSchema))
  .handler(async (event) => {
    const summary = await record({
      eventId: event.id,
      repositoryName: event.detail['repository-name'],
      imageDigest: event.detail['image-digest'],
      imageTag: event.detail['image-tag'],
    });
    metrics.addMetric('ImagesRecorded', MetricUnit.Count, summary.outcome === 'recorded' ? 1 : 0);
    if (summary.eventTag === 'not-on-image') {
      logger.warn('event tag not on the image: recorded the tags ECR reports', {
        eventId: event.id,
        eventTag: event.detail['image-tag'],
        tags: summary.tags,
      });
    }
    logger.info('pushed image handled', { eventId: event.id, ...summary });
    return summary;
  });
