import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/cli.ts';
import { cfnLint } from './cfn-lint.ts';
import { packagedService } from './packaged.ts';

/**
 * The packaged template watches every failure: an `Errors` alarm per function and a depth alarm per queue that
 * holds failures, found here from the template itself (not from deploy/alarms.cjs, which generates them), each
 * notifying AlertsTopic when it fires and when it clears; and CloudWatch may publish to the encrypted topic.
 */

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
type Resources = Record<string, Resource>;

const TOPIC = { Ref: 'AlertsTopic' };

/** `{ "Fn::GetAtt": [id, "Arn"] }` → id. */
function getAttId(value: unknown): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

/** Queues of the template that hold failures: redrive targets, Lambda onFailure destinations, rule DLQs. */
function failureQueues(resources: Resources): Map<string, string> {
  const found = new Map<string, string>();
  const add = (value: unknown, why: string) => {
    const id = getAttId(value);
    if (id && resources[id]?.Type === 'AWS::SQS::Queue') found.set(id, why);
    else throw new Error(`${why}: not a queue of the stack: ${JSON.stringify(value)}`);
  };
  for (const [id, { Type, Properties = {} }] of Object.entries(resources)) {
    if (Type === 'AWS::SQS::Queue' && Properties.RedrivePolicy) {
      add(
        (Properties.RedrivePolicy as { deadLetterTargetArn?: unknown }).deadLetterTargetArn,
        `${id} redrive`,
      );
    }
    if (Type === 'AWS::Lambda::EventInvokeConfig') {
      const onFailure = (
        Properties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined
      )?.OnFailure;
      if (onFailure) add(onFailure.Destination, `${id} onFailure`);
    }
    if (Type === 'AWS::Events::Rule') {
      for (const target of (Properties.Targets as { DeadLetterConfig?: { Arn?: unknown } }[] | undefined) ??
        []) {
        if (target.DeadLetterConfig) add(target.DeadLetterConfig.Arn, `${id} dead-letter queue`);
      }
    }
  }
  return found;
}

function alarms(resources: Resources): Record<string, unknown>[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties ?? {});
}

describe('alarms in the packaged template', () => {
  let template: string;
  let resources: Resources;

  beforeAll(async () => {
    const out = await packagedService();
    template = join(out, 'cloudformation-template-update-stack.json');
    resources = (JSON.parse(await readFile(template, 'utf8')) as { Resources: Resources }).Resources;
  }, 180_000);

  it('gives every function an Errors alarm notifying AlertsTopic both ways', () => {
    const functions = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id);
    expect(functions.length).toBeGreaterThanOrEqual(6);

    for (const id of functions) {
      const matching = alarms(resources).filter(
        (a) =>
          a.Namespace === 'AWS/Lambda' &&
          a.MetricName === 'Errors' &&
          JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }]),
      );
      expect(matching, id).toHaveLength(1);
      expect(matching[0], id).toMatchObject({
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        ActionsEnabled: true,
        AlarmActions: [TOPIC],
        OKActions: [TOPIC],
      });
    }
  });

  it('gives every dead-letter and onFailure queue a depth alarm notifying AlertsTopic both ways', () => {
    const queues = failureQueues(resources);
    expect([...queues.keys()]).toEqual(
      expect.arrayContaining(['OnFailureQueue', 'EventsDeadLetterQueue', 'CleanupDeadLetterQueue']),
    );

    for (const id of queues.keys()) {
      const matching = alarms(resources).filter(
        (a) =>
          a.Namespace === 'AWS/SQS' &&
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions) ===
            JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }]),
      );
      expect(matching, id).toHaveLength(1);
      expect(matching[0], id).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [TOPIC],
        OKActions: [TOPIC],
      });
    }
    // A queue that only carries work (CleanupQueue) has no depth alarm: a backlog there is not a failure.
    const watched = alarms(resources).filter((a) => a.Namespace === 'AWS/SQS');
    expect(watched).toHaveLength(queues.size);
  });

  it('lets CloudWatch publish to AlertsTopic: a customer managed key CloudWatch may use, and the topic policy', () => {
    const topic = resources.AlertsTopic?.Properties ?? {};
    const keyId = getAttId(topic.KmsMasterKeyId);
    expect(keyId && resources[keyId]?.Type).toBe('AWS::KMS::Key');
    const keyPolicy = resources[keyId as string]?.Properties?.KeyPolicy as {
      Statement: { Effect: string; Principal?: { Service?: string }; Action: string | string[] }[];
    };
    const forCloudWatch = keyPolicy.Statement.filter(
      (s) => s.Effect === 'Allow' && s.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(forCloudWatch.flatMap((s) => s.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);

    const policies = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::SNS::TopicPolicy' &&
        JSON.stringify(r.Properties?.Topics) === JSON.stringify([TOPIC]),
    );
    expect(policies).toHaveLength(1);
    const document = policies[0]?.Properties?.PolicyDocument as
      | { Statement: Record<string, unknown>[] }
      | undefined;
    const statements = document?.Statement ?? [];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: TOPIC,
      }),
    );
  });

  it('passes cfn-lint (no errors)', async () => {
    const lint = await cfnLint(template);
    // cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational.
    expect(lint.code & 2, lint.stdout).toBe(0);
  }, 120_000);
});

describe('deploy/alarms.cjs follows serverless.yml', () => {
  const require = createRequire(import.meta.url);
  const generator = require(join(PROJECT_ROOT, 'deploy/alarms.cjs')) as {
    readServerless(): {
      functions: Record<string, Record<string, unknown>>;
      resources: { Resources?: Resources }[];
    };
    alarmResources(doc: unknown): Resources;
  };

  it('adds the alarms of a new function and of a new dead-letter queue', () => {
    const doc = generator.readServerless();
    const resources = doc.resources.find((item) => typeof item === 'object' && item.Resources)
      ?.Resources as Resources;
    resources.AuditDeadLetterQueue = { Type: 'AWS::SQS::Queue', Properties: {} };
    resources.AuditQueue = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['AuditDeadLetterQueue', 'Arn'] } },
      },
    };
    doc.functions['check-things'] = { handler: 'handlers/check-things.handler' };

    const generated = generator.alarmResources(doc);

    expect(generated.CheckDashthingsErrorsAlarm?.Properties?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: 'CheckDashthingsLambdaFunction' } },
    ]);
    expect(generated.AuditDeadLetterQueueDepthAlarm?.Properties?.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': ['AuditDeadLetterQueue', 'QueueName'] } },
    ]);
    expect(generated.AuditQueueDepthAlarm).toBeUndefined();
  });

  it('refuses a failure queue it cannot name, saying where it is', () => {
    const doc = generator.readServerless();
    const fn = doc.functions.onImagePushed as { destinations: { onFailure: { arn: unknown } } };
    fn.destinations = { onFailure: { arn: 'arn:aws:sqs:us-east-1:123456789012:somewhere' } };

    expect(() => generator.alarmResources(doc)).toThrow(/functions\.onImagePushed\.destinations\.onFailure/);
  });
});
