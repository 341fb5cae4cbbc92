import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/shared/ecr/digest.ts';
import { type ImageToPush, pushImage } from '../support/images.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';

const dynamodb = new DynamoDBClient(awsClientConfig());
const sns = new SNSClient(awsClientConfig());
const sqs = new SQSClient(awsClientConfig());
const events = new EventBridgeClient(awsClientConfig());
const ecr = new ECRClient(awsClientConfig());

afterAll(() => {
  for (const client of [dynamodb, sns, sqs, events, ecr]) client.destroy();
});

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
}

/** Long-poll a queue until a message arrives or the deadline passes. */
async function receiveOne(queueUrl: string, timeoutMs = 15_000): Promise<Message> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
    );
    if (Messages?.[0]) return Messages[0];
  }
  throw new Error(`no message on ${queueUrl} within ${timeoutMs} ms`);
}

/** A tiny OCI image whose layer bytes are unique to `name`. */
function sampleImage(name: string): ImageToPush & { blobs: Buffer[] } {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }),
  );
  const layer = Buffer.from(`layer of ${name}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256Digest(config),
      size: config.length,
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: sha256Digest(layer),
        size: layer.length,
      },
    ],
  });
  return { blobs: [config, layer], manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
}

describe('moto through the edge', () => {
  it('stores and reads a DynamoDB item', async () => {
    // Prepare
    const TableName = uniqueName('items');
    await dynamodb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // Act
    await dynamodb.send(
      new PutItemCommand({ TableName, Item: { pk: { S: 'image#1' }, verdict: { S: 'PASS' } } }),
    );
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName, Key: { pk: { S: 'image#1' } } }));
    // Assess
    expect(Item).toEqual({ pk: { S: 'image#1' }, verdict: { S: 'PASS' } });
  });

  it('returns SQS queue URLs on the edge endpoint', async () => {
    const { url } = await queue(uniqueName('q'));
    expect(url.startsWith(awsClientConfig().endpoint)).toBe(true);
  });

  it('delivers an SNS publish to a subscribed SQS queue', async () => {
    // Prepare
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('topic') }));
    const target = await queue(uniqueName('sns-target'));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: target.arn }));
    // Act
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: 'hello from the edge' }));
    // Assess
    const received = JSON.parse((await receiveOne(target.url)).Body ?? '{}');
    expect(received).toMatchObject({ Type: 'Notification', MessageId, Message: 'hello from the edge' });
  });

  it('routes a PutEvents event matching an aws.ecr rule to its SQS target', async () => {
    // Prepare
    const repositoryName = uniqueName('routed');
    const target = await queue(uniqueName('rule-target'));
    const Name = uniqueName('rule');
    await events.send(
      new PutRuleCommand({
        Name,
        EventPattern: JSON.stringify({
          source: ['aws.ecr'],
          detail: { 'repository-name': [repositoryName] },
        }),
      }),
    );
    await events.send(new PutTargetsCommand({ Rule: Name, Targets: [{ Id: 'q', Arn: target.arn }] }));
    // Act
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.ecr',
            DetailType: 'ECR Image Action',
            Detail: JSON.stringify({
              'repository-name': repositoryName,
              'action-type': 'PUSH',
              result: 'SUCCESS',
            }),
          },
        ],
      }),
    );
    // Assess
    expect(put.FailedEntryCount).toBe(0);
    const event = JSON.parse((await receiveOne(target.url)).Body ?? '{}');
    expect(event).toMatchObject({ source: 'aws.ecr', 'detail-type': 'ECR Image Action' });
    expect(event.detail['repository-name']).toBe(repositoryName);
  });

  it('delivers the ECR Image Action of a push to a rule on moto’s default bus', async () => {
    // Prepare
    const repositoryName = uniqueName('pushed');
    const target = await queue(uniqueName('push-target'));
    const Name = uniqueName('push-rule');
    await events.send(
      new PutRuleCommand({
        Name,
        EventPattern: JSON.stringify({
          source: ['aws.ecr'],
          'detail-type': ['ECR Image Action'],
          detail: { 'repository-name': [repositoryName] },
        }),
      }),
    );
    await events.send(new PutTargetsCommand({ Rule: Name, Targets: [{ Id: 'q', Arn: target.arn }] }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    // Act
    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
    // Assess
    const event = JSON.parse((await receiveOne(target.url)).Body ?? '{}');
    expect(event).toMatchObject({
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      detail: {
        'repository-name': repositoryName,
        'action-type': 'PUSH',
        result: 'SUCCESS',
        'image-digest': imageDigest,
        'image-tag': 'v1',
      },
    });
  });

  it('serves the blob bytes GetDownloadUrlForLayer points at', async () => {
    // Prepare
    const repositoryName = uniqueName('blobs');
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const image = sampleImage(repositoryName);
    await pushImage(ecr, repositoryName, image, 'v1');
    const layer = image.blobs[1] as Buffer;
    const digest = sha256Digest(layer);
    // Act
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: digest }),
    );
    const response = await fetch(downloadUrl as string);
    // Assess
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(layer);
    const missing = await fetch(
      `${awsClientConfig().endpoint}/_sandbox/ecr/blob?repository=${repositoryName}&digest=sha256:0`,
    );
    expect(missing.status).toBe(404);
  });
});
