/**
 * Creating serverless.yml's resources in moto: DynamoDB tables, SQS queues, SNS topics and subscriptions, SSM
 * parameters. Idempotent: what already exists is kept (queues get their attributes set again).
 */
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { ResourceRegistry } from './resources.ts';

export interface Clients {
  sqs: SQSClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  ssm: SSMClient;
}

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
];

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

/** Provisioning order: a resource after those it references. */
function ordered(registry: ResourceRegistry): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const dependency of registry.dependencies(id)) visit(dependency);
    order.push(id);
  };
  for (const id of registry.declarations.keys()) visit(id);
  return order;
}

/** Create (or confirm) a queue with attributes; returns its URL. */
export async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  try {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return created.QueueUrl as string;
  } catch (error) {
    if (errorName(error) !== 'QueueNameExists' && errorName(error) !== 'QueueAlreadyExists') throw error;
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { FifoQueue: _fifo, ...settable } = attributes;
    if (Object.keys(settable).length > 0) {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: settable }));
    }
    return QueueUrl as string;
  }
}

/** Create what the template declares; returns the logical ids skipped (no local meaning). */
export async function provisionResources(
  registry: ResourceRegistry,
  clients: Clients,
  debug: (line: string) => void,
): Promise<string[]> {
  const skipped: string[] = [];
  for (const logicalId of ordered(registry)) {
    const declaration = registry.declarations.get(logicalId);
    if (!declaration) continue;
    if (declaration.kind === 'skipped') {
      skipped.push(logicalId);
      debug(`skipping ${logicalId} (${declaration.type}): no local meaning`);
      continue;
    }
    const properties = registry.resolvedProperties(logicalId);
    const physical = registry.physical(logicalId);
    switch (declaration.kind) {
      case 'table': {
        const billingMode =
          (properties.BillingMode as string | undefined) ??
          (properties.ProvisionedThroughput ? 'PROVISIONED' : 'PAY_PER_REQUEST');
        const stripThroughput = (indexes: unknown) =>
          Array.isArray(indexes)
            ? indexes.map((index: Record<string, unknown>) => {
                if (billingMode !== 'PAY_PER_REQUEST') return index;
                const { ProvisionedThroughput: _ignored, ...rest } = index;
                return rest;
              })
            : undefined;
        const stream = properties.StreamSpecification as { StreamViewType?: string } | undefined;
        try {
          const created = await clients.dynamodb.send(
            new CreateTableCommand({
              TableName: physical.name,
              KeySchema: properties.KeySchema as never,
              AttributeDefinitions: properties.AttributeDefinitions as never,
              BillingMode: billingMode as never,
              ...(billingMode === 'PROVISIONED'
                ? { ProvisionedThroughput: properties.ProvisionedThroughput as never }
                : {}),
              ...(properties.GlobalSecondaryIndexes
                ? { GlobalSecondaryIndexes: stripThroughput(properties.GlobalSecondaryIndexes) as never }
                : {}),
              ...(properties.LocalSecondaryIndexes
                ? { LocalSecondaryIndexes: properties.LocalSecondaryIndexes as never }
                : {}),
              ...(stream?.StreamViewType
                ? {
                    StreamSpecification: {
                      StreamEnabled: true,
                      StreamViewType: stream.StreamViewType as never,
                    },
                  }
                : {}),
            }),
          );
          const streamArn = created.TableDescription?.LatestStreamArn;
          if (streamArn) registry.setActual(logicalId, { streamArn });
        } catch (error) {
          if (errorName(error) !== 'ResourceInUseException') throw error;
        }
        const ttl = properties.TimeToLiveSpecification as
          | { AttributeName?: string; Enabled?: boolean }
          | undefined;
        if (ttl?.Enabled && ttl.AttributeName) {
          try {
            await clients.dynamodb.send(
              new UpdateTimeToLiveCommand({
                TableName: physical.name,
                TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
              }),
            );
          } catch (error) {
            debug(`TTL on ${physical.name}: ${(error as Error).message}`);
          }
        }
        break;
      }
      case 'queue': {
        const attributes: Record<string, string> = {};
        for (const key of QUEUE_ATTRIBUTES) {
          const value = properties[key];
          if (value === undefined) continue;
          attributes[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
        }
        const url = await ensureQueue(clients.sqs, physical.name, attributes);
        registry.setActual(logicalId, { url });
        break;
      }
      case 'topic': {
        const attributes: Record<string, string> = {};
        if (properties.DisplayName !== undefined) attributes.DisplayName = String(properties.DisplayName);
        if (properties.FifoTopic !== undefined) attributes.FifoTopic = String(properties.FifoTopic);
        const { TopicArn } = await clients.sns.send(
          new CreateTopicCommand({ Name: physical.name, Attributes: attributes }),
        );
        for (const subscription of (properties.Subscription as Array<Record<string, string>> | undefined) ??
          []) {
          await clients.sns.send(
            new SubscribeCommand({
              TopicArn,
              Protocol: subscription.Protocol,
              Endpoint: subscription.Endpoint,
            }),
          );
        }
        break;
      }
      case 'subscription': {
        const attributes: Record<string, string> = {};
        for (const key of ['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy']) {
          const value = properties[key];
          if (value !== undefined)
            attributes[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
        }
        const subscribed = await clients.sns.send(
          new SubscribeCommand({
            TopicArn: String(properties.TopicArn),
            Protocol: String(properties.Protocol),
            Endpoint: String(properties.Endpoint),
            Attributes: attributes,
            ReturnSubscriptionArn: true,
          }),
        );
        if (subscribed.SubscriptionArn) registry.setActual(logicalId, { arn: subscribed.SubscriptionArn });
        break;
      }
      case 'parameter':
        await clients.ssm.send(
          new PutParameterCommand({
            Name: physical.name,
            Type: (properties.Type as never) ?? 'String',
            Value: String(properties.Value ?? ''),
            Overwrite: true,
          }),
        );
        break;
    }
  }
  return skipped;
}
