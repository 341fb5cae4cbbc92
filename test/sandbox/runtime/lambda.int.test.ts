import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaRuntime, startLambdaRuntime } from '../../../src/sandbox/runtime/index.ts';
import { startOwnMoto } from './fixtures/moto.ts';

const fixtureRoot = fileURLToPath(new URL('./fixtures/', import.meta.url));

let moto: Awaited<ReturnType<typeof startOwnMoto>>;
let runtime: LambdaRuntime;
const lines: string[] = [];
let clockOffsetMs = 0;
const config = () => ({
  endpoint: moto.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
});

async function recorded(
  functionName: string,
): Promise<Array<{ event: unknown; context: Record<string, unknown> }>> {
  const dynamodb = new DynamoDBClient(config());
  const { Items = [] } = await dynamodb.send(
    new ScanCommand({ TableName: runtime.resources.RecordTable?.ref }),
  );
  dynamodb.destroy();
  return Items.filter((item) => item.fn?.S === functionName).map((item) => ({
    event: JSON.parse(item.event?.S ?? 'null'),
    context: JSON.parse(item.context?.S ?? '{}'),
  }));
}

beforeAll(async () => {
  moto = await startOwnMoto();
  runtime = await startLambdaRuntime({
    endpoint: moto.url,
    // moto alone, without the sandbox edge that enforces IAM (runtime/iam.ts).
    iam: false,
    serverlessFile: `${fixtureRoot}serverless.yml`,
    projectRoot: fixtureRoot,
    stage: 'test',
    now: () => new Date(Date.now() + clockOffsetMs),
    log: (line) => lines.push(line),
    pollWaitSeconds: 1,
    retryDelaysMs: [50, 50],
    scheduleTickMs: 50,
  });
});

afterAll(async () => {
  await runtime?.stop();
  await moto?.stop();
});

describe('local Lambda runtime on moto', () => {
  it('provisions resources and lists functions, skipping what has no local meaning', () => {
    expect(runtime.functions.map((f) => f.name)).toEqual([
      'recorder',
      'thrower',
      'snsRecorder',
      'batcher',
      'ticker',
      'slow',
    ]);
    expect(runtime.resources.RecordTable?.ref).toBe('rt-fixture-test-RecordTable');
    expect(runtime.resources.WorkQueue?.url).toBe(`${moto.url}/123456789012/rt-fixture-test-WorkQueue`);
    expect(runtime.skipped).toEqual(['FixtureRole']);
  });

  it('delivers an EventBridge event with exactly the envelope AWS delivers', async () => {
    const events = new EventBridgeClient(config());
    await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'rt.fixture', DetailType: 'Recorded', Detail: JSON.stringify({ n: 1 }), Resources: [] },
        ],
      }),
    );
    events.destroy();
    await runtime.idle(10_000);
    const [record] = await recorded('rt-fixture-test-recorder');
    expect(Object.keys(record?.event as object)).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
    expect(record?.event).toMatchObject({
      account: '123456789012',
      detail: { n: 1 },
      'detail-type': 'Recorded',
    });
    expect(record?.context).toMatchObject({
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:rt-fixture-test-recorder',
      endpoint: moto.url,
      functionNameEnv: 'rt-fixture-test-recorder',
    });
    expect(lines.some((line) => line.startsWith('[recorder] START RequestId: '))).toBe(true);
    expect(lines.some((line) => line.startsWith('[recorder] REPORT RequestId: '))).toBe(true);
    expect(lines).toContain('[recorder] recording rt-fixture-test-recorder');
  });

  it('retries a failing async invocation and sends the destination record to the onFailure queue', async () => {
    const events = new EventBridgeClient(config());
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'rt.fixture',
            DetailType: 'Boom',
            Detail: JSON.stringify({ reason: 'test' }),
            Resources: [],
          },
        ],
      }),
    );
    events.destroy();
    await runtime.idle(10_000);
    expect(runtime.stats().thrower).toEqual({
      invocations: 3,
      errors: 3,
      retries: 2,
      failuresSentToDestination: 1,
    });
    const sqs = new SQSClient(config());
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: runtime.resources.FailureQueue?.url, WaitTimeSeconds: 1 }),
    );
    sqs.destroy();
    expect(Messages).toHaveLength(1);
    const record = JSON.parse(Messages[0]?.Body ?? '{}');
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:rt-fixture-test-thrower:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { source: 'rt.fixture', 'detail-type': 'Boom', detail: { reason: 'test' } },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'FixtureFailure', errorMessage: 'always fails: test' },
    });
    expect(record.requestPayload).not.toHaveProperty('ingestion-time');
    expect(lines.some((line) => line.startsWith('[thrower] ERROR') && line.includes('FixtureFailure'))).toBe(
      true,
    );
  });

  it('delivers SNS notifications that pass the filter policy as Records[].Sns', async () => {
    const sns = new SNSClient(config());
    const TopicArn = runtime.resources.AlertsTopic?.arn;
    await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: 'hello',
        Message: 'alert body',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'alert' } },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn,
        Message: 'ignored',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'other' } },
      }),
    );
    sns.destroy();
    await runtime.idle(10_000);
    const records = await recorded('rt-fixture-test-snsRecorder');
    expect(records).toHaveLength(1);
    const event = records[0]?.event as { Records: Array<Record<string, unknown>> };
    expect(event.Records[0]).toMatchObject({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      Sns: {
        Type: 'Notification',
        TopicArn,
        Subject: 'hello',
        Message: 'alert body',
        MessageAttributes: { kind: { Type: 'String', Value: 'alert' } },
      },
    });
    expect(String(event.Records[0]?.EventSubscriptionArn)).toMatch(new RegExp(`^${TopicArn}:`));
  });

  it('delivers SQS batches and deletes only the records that did not fail', async () => {
    const sqs = new SQSClient(config());
    const QueueUrl = runtime.resources.WorkQueue?.url;
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['ok-1', 'fail', 'ok-2'].map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
    // The failed record is received twice (VisibilityTimeout 1 s, maxReceiveCount 2), then moves to the DLQ.
    const deadline = Date.now() + 15_000;
    let dlqCount = 0;
    while (Date.now() < deadline) {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: runtime.resources.WorkDeadLetterQueue?.url,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      dlqCount = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
      if (dlqCount > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await runtime.idle(10_000);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    sqs.destroy();
    expect(dlqCount).toBe(1);
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    expect(runtime.stats().batcher?.invocations).toBeGreaterThanOrEqual(2);
  });

  it('runs a scheduled function on demand and when the sandbox clock passes its rate', async () => {
    const onDemand = await runtime.invoke('ticker');
    expect(onDemand).toEqual({ ok: true, result: { recorded: true } });
    clockOffsetMs += 61_000;
    const deadline = Date.now() + 5000;
    while ((runtime.stats().ticker?.invocations ?? 0) < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await runtime.idle(10_000);
    const records = await recorded('rt-fixture-test-ticker');
    expect(records).toHaveLength(2);
    for (const { event } of records) {
      expect(event).toMatchObject({
        version: '0',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        region: 'us-east-1',
        resources: ['arn:aws:events:us-east-1:123456789012:rule/rt-fixture-test-ticker-rule-1'],
        detail: {},
      });
    }
  });

  it('enforces the function timeout and answers RequestResponse errors', async () => {
    const outcome = await runtime.invoke('slow', {});
    expect(outcome).toEqual({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' },
    });
    await expect(runtime.invoke('nope', {})).rejects.toThrow(/unknown function "nope"/);
  });

  it('starts again against the same moto (resources and rules already exist)', async () => {
    const again = await startLambdaRuntime({
      endpoint: moto.url,
      iam: false,
      serverlessFile: `${fixtureRoot}serverless.yml`,
      projectRoot: fixtureRoot,
      stage: 'test',
      log: () => {},
      pollWaitSeconds: 1,
    });
    expect(again.resources.RecordTable?.ref).toBe('rt-fixture-test-RecordTable');
    await again.stop();
  });

  it('pushes 200 EventBridge events through one function', { timeout: 60_000 }, async () => {
    const events = new EventBridgeClient(config());
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      await events.send(
        new PutEventsCommand({
          Entries: Array.from({ length: 10 }, (_, j) => ({
            Source: 'rt.fixture',
            DetailType: 'Recorded',
            Detail: JSON.stringify({ n: i * 10 + j }),
            Resources: [],
          })),
        }),
      );
    }
    const published = performance.now();
    await runtime.idle(60_000);
    const done = performance.now();
    events.destroy();
    console.info(
      `200 events: PutEvents ${(published - started).toFixed(0)} ms, all handled ${(done - started).toFixed(0)} ms`,
    );
    expect(runtime.stats().recorder?.invocations).toBe(201);
  });
});
