import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Denial } from '../../src/sandbox/edge/iam.ts';
import { adminRequest } from '../support/admin.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';

/**
 * The edge's IAM check through the admin API and real SDK clients: a principal registered with a policy is held to
 * it in each service's own error shape (so the SDK raises the error AWS would), an explicit Deny wins, and
 * requests signed with any other key pass unchecked.
 */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function accessKeyId(): string {
  return `ASIATEST${randomBytes(6).toString('hex').toUpperCase()}`;
}

/** Register a principal with one policy; answer SDK client config signed with its key. */
async function principal(name: string, statements: unknown[]) {
  const key = accessKeyId();
  const response = await adminRequest(sandboxUrl(), 'POST', 'iam/principals', {
    accessKeyId: key,
    principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/test-role/${name}`,
    accountId: ACCOUNT,
    function: name,
    policies: [{ where: `${name}.policy`, document: { Version: '2012-10-17', Statement: statements } }],
  });
  expect(response.status).toBe(201);
  return {
    key,
    config: {
      ...awsClientConfig(),
      credentials: { accessKeyId: key, secretAccessKey: 'secret', sessionToken: 'token' },
    },
  };
}

async function denialsOf(name: string): Promise<Denial[]> {
  const response = await adminRequest(sandboxUrl(), 'GET', 'iam/denials');
  return (response.body as { denials: Denial[] }).denials.filter((d) => d.function === name);
}

const admin = {
  ecr: new ECRClient(awsClientConfig()),
  dynamodb: new DynamoDBClient(awsClientConfig()),
  sns: new SNSClient(awsClientConfig()),
  sqs: new SQSClient(awsClientConfig()),
};
const names = {
  repository: uniqueName('iam-repo'),
  table: uniqueName('iam-table'),
  topic: uniqueName('iam-topic'),
  queue: uniqueName('iam-queue'),
};
let topicArn = '';
let queueUrl = '';

beforeAll(async () => {
  await admin.ecr.send(new CreateRepositoryCommand({ repositoryName: names.repository }));
  await admin.dynamodb.send(
    new CreateTableCommand({
      TableName: names.table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  topicArn = (await admin.sns.send(new CreateTopicCommand({ Name: names.topic }))).TopicArn ?? '';
  queueUrl = (await admin.sqs.send(new CreateQueueCommand({ QueueName: names.queue }))).QueueUrl ?? '';
});

afterAll(() => {
  for (const client of Object.values(admin)) client.destroy();
});

describe('IAM at the sandbox edge', () => {
  it('allows what the policy grants, wildcards included, and refuses the rest as each service does', async () => {
    // Prepare
    const name = uniqueName('iam-fn');
    const { config } = await principal(name, [
      {
        Effect: 'Allow',
        Action: 'ecr:Describe*',
        Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${names.repository}`,
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${names.table}`,
      },
    ]);
    const ecr = new ECRClient(config);
    const dynamodb = new DynamoDBClient(config);
    const sns = new SNSClient(config);
    const sqs = new SQSClient(config);

    // Act
    const described = await ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: [names.repository] }),
    );
    const read = await dynamodb.send(new GetItemCommand({ TableName: names.table, Key: { pk: { S: 'x' } } }));
    const outcomes = await Promise.allSettled([
      dynamodb.send(new PutItemCommand({ TableName: names.table, Item: { pk: { S: 'x' } } })),
      sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'hello' })),
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' })),
    ]);

    // Assert
    expect(described.repositories?.[0]?.repositoryName).toBe(names.repository);
    expect(read.$metadata.httpStatusCode).toBe(200);
    const errors = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as Error & { $metadata: { httpStatusCode?: number } }) : undefined,
    );
    expect(errors.map((e) => [e?.name, e?.$metadata.httpStatusCode])).toEqual([
      ['AccessDeniedException', 400],
      ['AuthorizationErrorException', 403],
      ['AccessDenied', 403],
    ]);
    expect(errors[0]?.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/test-role/${name} is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${names.table} because no identity-based policy allows the dynamodb:PutItem action`,
    );
    // The three calls ran at once: their denials are in any order.
    expect((await denialsOf(name)).map((d) => `${d.action} ${d.resource}`).sort()).toEqual([
      `dynamodb:PutItem arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${names.table}`,
      `sns:Publish ${topicArn}`,
      `sqs:SendMessage arn:aws:sqs:${REGION}:${ACCOUNT}:${names.queue}`,
    ]);
    for (const client of [ecr, dynamodb, sns, sqs]) client.destroy();
  });

  it('lets an explicit Deny win over an Allow', async () => {
    // Prepare
    const name = uniqueName('iam-deny');
    const { config } = await principal(name, [
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
      {
        Effect: 'Deny',
        Action: 'dynamodb:PutItem',
        Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${names.table}`,
      },
    ]);
    const dynamodb = new DynamoDBClient(config);

    // Act
    const read = await dynamodb.send(new GetItemCommand({ TableName: names.table, Key: { pk: { S: 'x' } } }));
    const write = dynamodb.send(new PutItemCommand({ TableName: names.table, Item: { pk: { S: 'x' } } }));

    // Assert
    expect(read.$metadata.httpStatusCode).toBe(200);
    await expect(write).rejects.toThrow('with an explicit deny in an identity-based policy');
    dynamodb.destroy();
  });

  it('evaluates conditions on the global keys (aws:RequestedRegion, aws:PrincipalArn is the role)', async () => {
    // Prepare
    const get = new GetItemCommand({ TableName: names.table, Key: { pk: { S: 'x' } } });
    const when = (condition: Record<string, Record<string, string>>) => [
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*', Condition: condition },
    ];
    const here = await principal(
      uniqueName('iam-here'),
      when({ StringEquals: { 'aws:RequestedRegion': REGION } }),
    );
    const there = await principal(
      uniqueName('iam-there'),
      when({ StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } }),
    );
    const role = await principal(
      uniqueName('iam-role'),
      when({ ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/test-*` } }),
    );
    const clients = [here, there, role].map(({ config }) => new DynamoDBClient(config));

    // Act
    const outcomes = await Promise.allSettled(clients.map((client) => client.send(get)));

    // Assert
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    for (const client of clients) client.destroy();
  });

  it('does not check requests signed with a key nobody registered', async () => {
    // Act
    const written = await admin.dynamodb.send(
      new PutItemCommand({ TableName: names.table, Item: { pk: { S: 'admin' } } }),
    );

    // Assert
    expect(written.$metadata.httpStatusCode).toBe(200);
  });

  it('refuses a registration whose policy it cannot evaluate, naming where it is written', async () => {
    // Act
    const response = await adminRequest(sandboxUrl(), 'POST', 'iam/principals', {
      accessKeyId: accessKeyId(),
      principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/r/f`,
      accountId: ACCOUNT,
      function: 'f',
      policies: [
        {
          where: 'resources.Resources.SomeRole.Properties.Policies[0].PolicyDocument',
          document: { Statement: [{ Effect: 'Allow', Resource: '*' }] },
        },
      ],
    });

    // Assert
    expect(response.status).toBe(400);
    expect((response.body as { message: string }).message).toContain(
      'resources.Resources.SomeRole.Properties.Policies[0].PolicyDocument.Statement[0]',
    );
  });

  it('forgets unregistered keys: their requests pass unchecked again', async () => {
    // Prepare
    const name = uniqueName('iam-gone');
    const { key, config } = await principal(name, [
      { Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
    ]);
    const dynamodb = new DynamoDBClient(config);
    await expect(
      dynamodb.send(new GetItemCommand({ TableName: names.table, Key: { pk: { S: 'x' } } })),
    ).rejects.toThrow('not authorized');

    // Act
    const removed = await adminRequest(sandboxUrl(), 'DELETE', 'iam/principals', { accessKeyIds: [key] });
    const read = await dynamodb.send(new GetItemCommand({ TableName: names.table, Key: { pk: { S: 'x' } } }));

    // Assert
    expect(removed.body).toEqual({ removed: 1 });
    expect(read.$metadata.httpStatusCode).toBe(200);
    dynamodb.destroy();
  });
});
