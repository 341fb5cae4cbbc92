import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IamPermissions } from '../iam.ts';

/** How long a handled event is remembered: longer than any redelivery (EventBridge retries for up to 24 h). */
const REMEMBER_SECONDS = 24 * 3600;

/**
 * What {@link idempotentOn} calls: Powertools' persistence layer makes these calls, out of sight of our code.
 * @see https://docs.aws.amazon.com/powertools/typescript/latest/features/idempotency/#iam-permissions
 */
export const idempotentOnPermissions: IamPermissions = [
  {
    actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    resource: 'idempotency-table',
  },
];

/**
 * Powertools idempotency middleware keyed on one field of the event (e.g. `id` of an EventBridge event), with
 * records in the idempotency table: a redelivered event returns the first invocation's result, no effects.
 */
export function idempotentOn(eventKeyJmesPath: string, tableName: string, dynamo: DynamoDBClient) {
  return makeHandlerIdempotent({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamo }),
    config: new IdempotencyConfig({ eventKeyJmesPath, expiresAfterSeconds: REMEMBER_SECONDS }),
  });
}
