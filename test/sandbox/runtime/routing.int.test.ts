import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerless } from '../../../src/sandbox/runtime/config.ts';
import { PROJECT_ROOT } from '../../support/cli.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';

const SAMPLES_DIR = fileURLToPath(new URL('../../../events/aws/', import.meta.url));

/** Which function each AWS sample must reach through serverless.yml's patterns (none: no function). */
const EXPECTED: Record<string, string[]> = {
  'ecr-image-action-push.json': ['onImagePushed'],
  'ecr-image-scan-basic.json': ['onScanCompleted'],
  'inspector2-scan-ecr.json': ['onScanCompleted'],
  'inspector2-scan-ecr-inspector-guide.json': ['onScanCompleted'],
};

const samples = readdirSync(SAMPLES_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({
    file,
    event: JSON.parse(readFileSync(`${SAMPLES_DIR}${file}`, 'utf8')) as Record<string, unknown>,
  }))
  // Only EventBridge-shaped samples can be routed (the CloudTrail record is not an event).
  .filter((s) => typeof s.event['detail-type'] === 'string');

describe('routing of AWS sample events through serverless.yml patterns (moto evaluates them)', () => {
  const events = new EventBridgeClient(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  /** Function → the queues of its rules (a function may have several eventBridge events). */
  const queues = new Map<string, string[]>();
  const received = new Map<string, string[]>();

  beforeAll(async () => {
    // Prepare: one rule per function event with the deployed pattern, each delivering to its own queue.
    const model = loadServerless({
      serverlessFile: `${PROJECT_ROOT}serverless.yml`,
      stage: 'routing',
      region: 'us-east-1',
      accountId: '123456789012',
      endpoint: sandboxUrl(),
    });
    const prefix = uniqueName('route');
    for (const fn of model.functions) {
      for (const event of fn.events) {
        if (event.kind !== 'eventBridge') continue;
        const name = `${prefix}-${fn.key}-${event.index}`.slice(0, 64);
        const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
        );
        await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(event.pattern) }));
        await events.send(
          new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'q', Arn: Attributes?.QueueArn }] }),
        );
        queues.set(fn.key, [...(queues.get(fn.key) ?? []), QueueUrl]);
      }
    }

    // Act: every sample onto the default bus as the service would emit it.
    for (const { event } of samples) {
      const out = await events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: String(event.source),
              DetailType: String(event['detail-type']),
              Detail: JSON.stringify(event.detail),
              Resources: event.resources as string[],
            },
          ],
        }),
      );
      expect(out.FailedEntryCount ?? 0).toBe(0);
    }
    for (const [fn, urls] of queues) {
      const bodies: string[] = [];
      for (const url of urls) {
        for (let empty = 0; empty < 2; ) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          if (Messages.length === 0) empty++;
          for (const m of Messages) bodies.push(m.Body ?? '');
        }
      }
      received.set(fn, bodies);
    }
  }, 60_000);

  afterAll(() => {
    events.destroy();
    sqs.destroy();
  });

  it('has routing expectations only for samples that exist', () => {
    expect(Object.keys(EXPECTED).every((file) => samples.some((s) => s.file === file))).toBe(true);
    expect(samples.length).toBeGreaterThanOrEqual(10);
  });

  it.each(samples.map((s) => [s.file, s]))('%s reaches exactly its function(s)', (file, sample) => {
    const reached = [...received]
      .filter(([, bodies]) =>
        bodies.some((b) =>
          isDeepStrictEqual((JSON.parse(b) as { detail: unknown }).detail, sample.event.detail),
        ),
      )
      .map(([fn]) => fn);

    expect(reached.sort()).toEqual((EXPECTED[file] ?? []).slice().sort());
  });
});
