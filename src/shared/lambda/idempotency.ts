import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** How long a handled event is remembered: longer than any redelivery (EventBridge retries for up to 24 h). */
const REMEMBER_SECONDS = 24 * 3600;

/**
 * Powertools idempotency middleware keyed on one field of the event (e.g. `id` of an EventBridge event), with
 * records in the idempotency table: a redelivered event returns the first invocation's result, no effects.
 * IAM: dynamodb:PutItem, GetItem, UpdateItem, DeleteItem on the table.
 */
export function idempotentOn(eventKeyJmesPath: string, tableName: string, dynamo: DynamoDBClient) {
  return makeHandlerIdempotent({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamo }),
    config: new IdempotencyConfig({ eventKeyJmesPath, expiresAfterSeconds: REMEMBER_SECONDS }),
  });
}
