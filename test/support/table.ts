import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadServerless } from '../../src/sandbox/runtime/config.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';

/**
 * Create a table shaped exactly like serverless.yml's SentinelTable (keys, the gsi1 index), named `tableName`:
 * the template stays the one place the table is defined.
 */
export async function createSentinelTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const model = loadServerless({
    serverlessFile: `${PROJECT_ROOT}serverless.yml`,
    stage: 'test',
    region: 'us-east-1',
    accountId: '123456789012',
    endpoint: 'http://127.0.0.1:4566',
  });
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } =
    model.registry.resolvedProperties('SentinelTable');
  // CloudFormation's property shapes are the API's; the resolved template is untyped data, hence the casts.
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: AttributeDefinitions as never,
      KeySchema: KeySchema as never,
      GlobalSecondaryIndexes: GlobalSecondaryIndexes as never,
    }),
  );
}
