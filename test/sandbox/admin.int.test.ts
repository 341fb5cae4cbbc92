import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { awsClientConfig } from '../support/sandbox.ts';

// Every admin endpoint changes state the whole sandbox shares (reset, faults, clock, counters), so this file
// runs its own sandbox instead of the run-wide one other test files use in parallel.
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
});

afterAll(async () => {
  await sandbox?.stop();
});

beforeEach(async () => {
  await call('POST', 'reset');
});

function clientConfig() {
  return awsClientConfig(sandbox.url);
}

// biome-ignore lint/suspicious/noExplicitAny: admin answers are loosely typed JSON
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${sandbox.url}/_sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe('health and reset', () => {
  it('reports both services running with the moto pid', async () => {
    const health = await call('GET', 'health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      services: { ecr: 'running', moto: 'running' },
      accountId: '123456789012',
      region: 'us-east-1',
      motoPid: sandbox.motoPid,
      url: sandbox.url,
    });
  });

  it('empties ECR and moto, the counters, the faults, the outboxes and the clock', async () => {
    // Prepare
    const ecr = new ECRClient(clientConfig());
    const sqs = new SQSClient(clientConfig());
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'before-reset' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'before-reset' }));
    await call('POST', 'faults', { service: 'ssm', error: 'ThrottlingException' });
    await call('POST', 'clock', { now: '2030-01-01T00:00:00Z' });
    await fetch(`${sandbox.url}/_sandbox/webhooks/slack`, { method: 'POST', body: '{"text":"x"}' });
    // Act
    const reset = await call('POST', 'reset');
    // Assess
    expect(reset).toEqual({ status: 200, body: { status: 'reset' } });
    expect((await ecr.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    expect((await call('GET', 'faults')).body).toEqual({ faults: [] });
    expect((await call('GET', 'outbox/slack')).body).toEqual({ messages: [] });
    expect(Math.abs(Date.parse((await call('GET', 'clock')).body.now) - Date.now())).toBeLessThan(2000);
    // Only the two calls made after the reset were counted.
    expect((await call('GET', 'requests')).body).toEqual({
      ecr: { DescribeRepositories: 1 },
      sqs: { ListQueues: 1 },
    });
    ecr.destroy();
    sqs.destroy();
  });
});

describe('request counters', () => {
  it('counts requests per service and action, and DELETE zeroes them', async () => {
    // Prepare
    const ecr = new ECRClient(clientConfig());
    const sns = new SNSClient(clientConfig());
    // Act
    await ecr.send(new DescribeRepositoriesCommand({}));
    await ecr.send(new DescribeRepositoriesCommand({}));
    await sns.send(new CreateTopicCommand({ Name: 'counted' }));
    await call('GET', 'health');
    // Assess
    expect((await call('GET', 'requests')).body).toEqual({
      ecr: { DescribeRepositories: 2 },
      sns: { CreateTopic: 1 },
    });
    expect(await call('DELETE', 'requests')).toEqual({ status: 200, body: {} });
    expect((await call('GET', 'requests')).body).toEqual({});
    ecr.destroy();
    sns.destroy();
  });
});

describe('clock', () => {
  it('is set, advanced and reset', async () => {
    expect((await call('POST', 'clock', { now: '2030-06-01T12:00:00Z' })).body.now).toMatch(
      /^2030-06-01T12:00:0/,
    );
    const advanced = await call('POST', 'clock', { advanceSeconds: 86_400 });
    expect(advanced.status).toBe(200);
    expect(advanced.body.now).toMatch(/^2030-06-02T12:00:0/);
    expect((await call('GET', 'clock')).body.now).toMatch(/^2030-06-02T12:00:0/);
    const reset = await call('POST', 'clock', { reset: true });
    expect(Math.abs(Date.parse(reset.body.now) - Date.now())).toBeLessThan(2000);
  });

  it('stamps ECR with the sandbox time', async () => {
    await call('POST', 'clock', { now: '2031-02-03T04:05:06Z' });
    const ecr = new ECRClient(clientConfig());
    const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'clocked' }));
    expect(created.repository?.createdAt?.toISOString()).toMatch(/^2031-02-03T04:05/);
    ecr.destroy();
  });

  it.each([
    [{ now: 'next tuesday' }, 'now'],
    [{ advanceSeconds: '60' }, 'advanceSeconds'],
    [{ reset: 'yes' }, 'reset'],
    ['{not json', 'JSON'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const response = await call('POST', 'clock', body);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(field);
  });
});

describe('faults', () => {
  it('fails matching ECR requests with the given error, in the JSON protocol', async () => {
    // Prepare
    const ecr = new ECRClient(clientConfig());
    const added = await call('POST', 'faults', {
      service: 'ecr',
      action: 'DescribeRepositories',
      error: 'ThrottlingException',
    });
    expect(added.status).toBe(201);
    // Act
    const failure = await ecr.send(new DescribeRepositoriesCommand({})).catch((error: unknown) => error);
    const other = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'not-faulted' }));
    // Assess
    expect(failure).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect(other.repository?.repositoryName).toBe('not-faulted');
    expect((await call('GET', 'requests')).body.ecr).toEqual({
      CreateRepository: 1,
      DescribeRepositories: 1,
    });
    ecr.destroy();
  });

  it('fails a query-protocol service (SNS) with an ErrorResponse the SDK understands', async () => {
    const sns = new SNSClient(clientConfig());
    await call('POST', 'faults', { service: 'sns', status: 503 });
    const failure = await sns
      .send(new CreateTopicCommand({ Name: 'faulted' }))
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    const raw = await fetch(sandbox.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/sns/aws4_request, Signature=x',
      },
      body: 'Action=ListTopics&Version=2010-03-31',
    });
    expect(raw.status).toBe(503);
    expect(await raw.text()).toMatch(
      /<ErrorResponse.*<Type>Receiver<\/Type><Code>ServiceUnavailable<\/Code>/,
    );
    sns.destroy();
  });

  it('fails SQS (JSON protocol) with its error code', async () => {
    const sqs = new SQSClient(clientConfig());
    await call('POST', 'faults', { service: 'sqs', action: 'ListQueues', error: 'RequestThrottled' });
    const failure = await sqs.send(new ListQueuesCommand({})).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'RequestThrottled', $metadata: { httpStatusCode: 400 } });
    sqs.destroy();
  });

  it('never fires at rate 0, lists the rules and clears them', async () => {
    const ecr = new ECRClient(clientConfig());
    await call('POST', 'faults', { service: 'ecr', error: 'ThrottlingException', rate: 0 });
    await expect(ecr.send(new DescribeRepositoriesCommand({}))).resolves.toBeDefined();
    const listed = await call('GET', 'faults');
    expect(listed.body.faults).toEqual([
      expect.objectContaining({ service: 'ecr', rate: 0, error: 'ThrottlingException', status: 400 }),
    ]);
    expect(await call('DELETE', 'faults')).toEqual({ status: 200, body: { faults: [] } });
    expect((await call('GET', 'faults')).body.faults).toEqual([]);
    ecr.destroy();
  });

  it('removes one rule by id', async () => {
    const added = await call('POST', 'faults', { service: 'ecr', error: 'X' });
    expect((await call('DELETE', `faults/${added.body.id}`)).status).toBe(200);
    expect((await call('DELETE', `faults/${added.body.id}`)).status).toBe(404);
  });

  it('answers 400 for a rule without error or status', async () => {
    const response = await call('POST', 'faults', { service: 'ecr' });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain('"error"');
  });
});

describe('findings', () => {
  it('answers 400 with the emulator message for an invalid entry', async () => {
    const response = await call('POST', 'findings', {
      repositoryName: 'r',
      imageTag: 'v1',
      findings: [{ name: 'CVE-1', severity: 'SCARY' }],
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/severity/);
  });

  it('stores a valid entry and lists it', async () => {
    const entry = {
      repositoryName: 'r',
      imageTag: 'v1',
      findings: [{ name: 'CVE-2024-1', severity: 'HIGH' }],
    };
    expect((await call('POST', 'findings', entry)).status).toBe(201);
    expect((await call('GET', 'findings')).body.findings).toEqual([entry]);
  });
});

describe('email outbox', () => {
  async function topicWithEmailSubscribers(sns: SNSClient, name: string) {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email-json', Endpoint: 'robot@example.com' }));
    return TopicArn as string;
  }

  it('records a publish for every email and email-json subscriber', async () => {
    // Prepare
    const sns = new SNSClient(clientConfig());
    const topicArn = await topicWithEmailSubscribers(sns, 'alerts');
    // Act
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Scan failed',
        Message: 'repo api: 2 CRITICAL',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
      }),
    );
    // Assess
    const { body } = await call('GET', 'outbox/email');
    expect(body.messages).toHaveLength(2);
    const [email, json] = body.messages;
    expect(email).toMatchObject({
      to: 'ops@example.com',
      protocol: 'email',
      topicArn,
      subject: 'Scan failed',
      message: 'repo api: 2 CRITICAL',
      messageId: MessageId,
      messageAttributes: { severity: { DataType: 'String', StringValue: 'CRITICAL' } },
    });
    expect(json).toMatchObject({ to: 'robot@example.com', protocol: 'email-json', messageId: MessageId });
    expect(JSON.parse(json.message)).toMatchObject({
      Type: 'Notification',
      MessageId,
      TopicArn: topicArn,
      Subject: 'Scan failed',
      Message: 'repo api: 2 CRITICAL',
      MessageAttributes: { severity: { Type: 'String', Value: 'CRITICAL' } },
    });
    sns.destroy();
  });

  it('gives each protocol its own body with MessageStructure json', async () => {
    const sns = new SNSClient(clientConfig());
    const topicArn = await topicWithEmailSubscribers(sns, 'structured');
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: '{"kind":"machine"}', email: 'Readable text for people' }),
      }),
    );
    const { body } = await call('GET', 'outbox/email');
    expect(body.messages.map((m: { protocol: string }) => m.protocol)).toEqual(['email', 'email-json']);
    expect(body.messages[0].message).toBe('Readable text for people');
    expect(body.messages[0].subject).toBe('AWS Notification Message');
    expect(JSON.parse(body.messages[1].message).Message).toBe('{"kind":"machine"}');
    sns.destroy();
  });

  it('records each entry of a PublishBatch', async () => {
    const sns = new SNSClient(clientConfig());
    const topicArn = await topicWithEmailSubscribers(sns, 'batched');
    const { Successful } = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'one', Message: 'first', Subject: 'First' },
          { Id: 'two', Message: 'second' },
        ],
      }),
    );
    const { body } = await call('GET', 'outbox/email');
    const ids = new Map((Successful ?? []).map((s) => [s.Id, s.MessageId]));
    expect(
      body.messages.map((m: { to: string; message: string; messageId: string }) => [m.to, m.messageId]),
    ).toEqual([
      ['ops@example.com', ids.get('one')],
      ['robot@example.com', ids.get('one')],
      ['ops@example.com', ids.get('two')],
      ['robot@example.com', ids.get('two')],
    ]);
    expect(body.messages[0]).toMatchObject({ subject: 'First', message: 'first' });
    sns.destroy();
  });

  it('honours a subscription filter policy and sees new subscriptions', async () => {
    const sns = new SNSClient(clientConfig());
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'filtered' }));
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'email',
        Endpoint: 'critical@example.com',
        ReturnSubscriptionArn: true,
      }),
    );
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn,
        AttributeName: 'FilterPolicy',
        AttributeValue: '{"severity":["CRITICAL"]}',
      }),
    );
    const publish = (severity: string) =>
      sns.send(
        new PublishCommand({
          TopicArn,
          Message: severity,
          MessageAttributes: { severity: { DataType: 'String', StringValue: severity } },
        }),
      );
    await publish('LOW');
    await publish('CRITICAL');
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'all@example.com' }));
    await publish('MEDIUM');
    const { body } = await call('GET', 'outbox/email');
    expect(body.messages.map((m: { to: string; message: string }) => `${m.to} ${m.message}`)).toEqual([
      'critical@example.com CRITICAL',
      'all@example.com MEDIUM',
    ]);
    expect(await call('DELETE', 'outbox/email')).toEqual({ status: 200, body: { messages: [] } });
    expect((await call('GET', 'outbox/email')).body.messages).toEqual([]);
    sns.destroy();
  });
});

describe('Slack webhook and outbox', () => {
  async function post(body: string, contentType = 'application/json') {
    const response = await fetch(`${sandbox.url}/_sandbox/webhooks/slack`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  }

  it('answers ok like Slack and records the post', async () => {
    const payload = {
      text: 'fallback',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }],
    };
    expect(await post(JSON.stringify(payload))).toEqual({
      status: 200,
      type: 'text/plain; charset=utf-8',
      text: 'ok',
    });
    const { body } = await call('GET', 'outbox/slack');
    expect(body.messages).toEqual([{ timestamp: expect.any(String), payload }]);
  });

  it.each([
    ['not JSON', 'nope', 'invalid_payload'],
    ['no text', '{"icon_emoji":":x:"}', 'no_text'],
    ['a block without a type', '{"blocks":[{"text":"x"}]}', 'invalid_blocks'],
    ['too long', JSON.stringify({ text: 'x'.repeat(40_001) }), 'msg_too_long'],
  ])('answers 400 for %s and records nothing', async (_name, body, error) => {
    expect(await post(body)).toMatchObject({ status: 400, text: error });
    expect((await call('GET', 'outbox/slack')).body.messages).toEqual([]);
  });

  it('clears the outbox on DELETE', async () => {
    await post('{"text":"one"}');
    expect(await call('DELETE', 'outbox/slack')).toEqual({ status: 200, body: { messages: [] } });
    expect((await call('GET', 'outbox/slack')).body.messages).toEqual([]);
  });
});

describe('routing', () => {
  it('answers 404 for an unknown admin route and 405 for a wrong method', async () => {
    expect((await call('GET', 'nope')).status).toBe(404);
    const wrong = await call('PUT', 'clock', {});
    expect(wrong.status).toBe(405);
  });

  it('serves 404 for a blob the emulator does not have', async () => {
    const response = await call('GET', 'ecr/blob?repository=none&digest=sha256:00');
    expect(response.status).toBe(404);
  });
});
