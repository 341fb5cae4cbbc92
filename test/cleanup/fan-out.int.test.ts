import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoCleanupRecords } from '../../src/cleanup/adapters/dynamodb-cleanup-records.ts';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/server.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';

/**
 * The scheduled cleanup as deployed, on the sandbox's runtime under the functions' IAM roles: planCleanup reads
 * the signals once and queues one message per repository; cleanupRepository (SQS, reserved concurrency) cleans
 * each, records its outcome once, and the last one sends the run's summary (email through the alerts topic).
 */

const REPOSITORIES = 20;
let runtime: LambdaRuntime;
let prefix: string;
let email: string;
const ecr = new ECRClient(awsClientConfig());
const ecs = new ECSClient(awsClientConfig());
const sqs = new SQSClient(awsClientConfig());
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ ...awsClientConfig(), maxAttempts: 3 }));

/** Keep the newest `v*` image of each repository: v1 and v2 go, v3 stays. */
const POLICY = {
  rules: [
    {
      rulePriority: 1,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['v*'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      },
      action: { type: 'expire' },
    },
  ],
};

async function outbox(): Promise<{ to: string[]; subject: string; body: string }[]> {
  const response = await fetch(`${sandboxUrl()}/_sandbox/outbox/email`);
  return ((await response.json()) as { messages: { to: string[]; subject: string; body: string }[] })
    .messages;
}

beforeAll(async () => {
  const id = randomBytes(4).toString('hex');
  prefix = `fan-${id}`;
  email = `cleanup-${id}@example.com`;
  const example = readFileSync(join(PROJECT_ROOT, 'sentinel.config.yml'), 'utf8');
  const config = join(tmpdir(), `${prefix}.config.yml`);
  writeFileSync(
    config,
    `${example.slice(0, example.indexOf('\nalerts:'))}
alerts:
  email: [${email}]
cleanup:
  dryRun: false
  maxDeletions: { images: 100, percent: 100 }
  defaults:
    policy: ${JSON.stringify(POLICY)}
    protect:
      minAgeDays: 0
      inUse: { ecs: { taskDefinitionRevisions: 1 }, lambda: false, inspector: false }
      promoted: false
`,
  );
  runtime = await startFunctionUnderTest('planCleanup', 'fan', {
    functions: ['planCleanup', 'cleanupRepository'],
    variables: { SENTINEL_CONFIG: config },
    functionEnvironment: { SENTINEL_CONFIG: config },
    sqsRetryVisibilitySeconds: 1,
  });
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  for (const client of [ecr, ecs, sqs, doc]) client.destroy();
}, 30_000);

describe('scheduled cleanup, fanned out', () => {
  it('cleans 20 repositories, keeps what ECS runs, records each once and sends one summary', async () => {
    // Prepare: 20 repositories with v1, v2, v3; an ECS service runs v1 of the first one.
    const names = Array.from({ length: REPOSITORIES }, (_, i) => `${prefix}-r${String(i).padStart(2, '0')}`);
    const digests = new Map<string, string[]>();
    await Promise.all(
      names.map(async (repositoryName) => {
        await ecr.send(new CreateRepositoryCommand({ repositoryName }));
        const pushed: string[] = [];
        for (const tag of ['v1', 'v2', 'v3']) {
          pushed.push(
            (await pushImage(ecr, repositoryName, sampleImage(`${repositoryName}-${tag}`), tag)).imageDigest,
          );
        }
        digests.set(repositoryName, pushed);
      }),
    );
    const running = names[0] as string;
    const cluster = uniqueName('fan');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const taskDefinition = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: cluster,
          containerDefinitions: [
            {
              name: 'app',
              image: `${SANDBOX_ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/${running}:v1`,
              cpu: 256,
              memory: 512,
            },
          ],
        }),
      )
    ).taskDefinition?.taskDefinitionArn;
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'web',
        taskDefinition,
        desiredCount: 1,
        launchType: 'FARGATE',
      }),
    );

    // Act
    const started = await runtime.invoke('planCleanup', { repositories: names });

    // Assert: the run, each repository's outcome once, the images, one summary.
    expect(started).toMatchObject({ ok: true, result: { repositoryCount: REPOSITORIES, dryRun: false } });
    const runId = (started as { result: { runId: string } }).result.runId;
    const records = dynamoCleanupRecords(doc, runtime.resources.SentinelTable?.ref ?? '');
    const report = await eventually(
      () => records.report(runId),
      (r) => r?.outcomes.length === REPOSITORIES,
      90_000,
    );
    expect(report?.outcomes.map((o) => [o.repositoryName, o.status, o.deletedCount])).toEqual(
      names.map((n) => [n, 'cleaned', n === running ? 1 : 2]),
    );
    for (const repositoryName of names) {
      const left = await ecr.send(new DescribeImagesCommand({ repositoryName }));
      const [v1, v2, v3] = digests.get(repositoryName) as string[];
      const expected = repositoryName === running ? [v1, v3] : [v3];
      expect(left.imageDetails?.map((i) => i.imageDigest).sort(), repositoryName).toEqual(
        (expected as string[]).sort(),
      );
      expect(v2).toBeDefined();
    }
    const summaries = await eventually(
      async () => (await outbox()).filter((m) => m.to.includes(email)),
      (found) => found.length > 0,
      30_000,
    );
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.subject).toContain('[CLEANUP]');
    expect(summaries[0]?.subject).toContain(`${2 * REPOSITORIES - 1} images deleted`);
  }, 240_000);

  it('sends a malformed message to the dead-letter queue with its payload, after the retries', async () => {
    // Prepare
    const body = JSON.stringify({ version: 1, runId: 'not-a-run', repositoryName: 'x' });

    // Act
    await sqs.send(
      new SendMessageCommand({ QueueUrl: runtime.resources.CleanupQueue?.url, MessageBody: body }),
    );

    // Assert
    const dead = await eventually(
      async () =>
        (
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: runtime.resources.CleanupDeadLetterQueue?.url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
            }),
          )
        ).Messages ?? [],
      (messages) => messages.some((m) => m.Body === body),
      90_000,
    );
    expect(dead.map((m) => m.Body)).toContain(body);
  }, 120_000);
});
