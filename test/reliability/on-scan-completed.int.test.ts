import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import {
  basicScanEvent,
  enhancedScanEvent,
  malformedScanEvents,
} from '../scan-gate/malformed-scan-events.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { invokeCorpus } from '../support/corpus.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { onFailureRecord, startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig } from '../support/sandbox.ts';

/**
 * on-scan-completed under hostile input, through the real handler as the local runtime runs it (account
 * 123456789012, us-east-1): malformed events, failed-scan events naming images ECR doesn't hold, and scans of
 * another account's or Region's registry. This file counts AWS calls with the sandbox's request counters, which
 * every client of a sandbox shares, so it runs a sandbox of its own.
 */

const OTHER_DIGEST = `sha256:${'0'.repeat(64)}`;

let sandbox: Sandbox;
let runtime: LambdaRuntime;
let ecr: ECRClient;
let sqs: SQSClient;
let verdicts: ReturnType<typeof dynamoVerdicts>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  const config = awsClientConfig(sandbox.url);
  ecr = new ECRClient(config);
  sqs = new SQSClient(config);
  runtime = await startFunctionUnderTest('onScanCompleted', 'hostilescan', { endpoint: sandbox.url });
  verdicts = dynamoVerdicts(
    DynamoDBDocumentClient.from(new DynamoDBClient(config)),
    runtime.resources.SentinelTable?.ref ?? '',
  );
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  await sandbox?.stop();
  ecr?.destroy();
  sqs?.destroy();
}, 30_000);

async function requests(): Promise<Record<string, Record<string, number>>> {
  return (await sandboxAdmin(sandbox.url)('GET', 'requests')) as Record<string, Record<string, number>>;
}

async function clearRequests() {
  await sandboxAdmin(sandbox.url)('DELETE', 'requests');
}

/** What the function wrote or published: DynamoDB writes and SNS publishes counted since the last clear. */
async function effects() {
  const counted = await requests();
  const { BatchWriteItem = 0, PutItem = 0, UpdateItem = 0 } = counted.dynamodb ?? {};
  return { writes: BatchWriteItem + PutItem + UpdateItem, publishes: counted.sns?.Publish ?? 0 };
}

/** A repository that nothing scans on push (so no scan event of its own), holding one image tagged `v1`. */
async function pushedImage(repositoryName: string) {
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
  return imageDigest;
}

describe('the malformed scan event corpus', () => {
  const repositoryName = 'corpus-dev';
  let imageDigest = '';

  beforeAll(async () => {
    imageDigest = await pushedImage(repositoryName);
  }, 60_000);

  it('refuses every variant, naming the field, with no AWS call and nothing stored or alerted', async () => {
    const corpus = malformedScanEvents(
      basicScanEvent({ id: 'corpus', repositoryName, imageDigest, status: 'FAILED' }),
      enhancedScanEvent({ id: 'corpus', repositoryName, imageDigest }),
    );
    await clearRequests();

    const { outcomes, accepted, unnamed } = await invokeCorpus(runtime, 'onScanCompleted', corpus);
    expect(corpus.length).toBeGreaterThan(140);
    expect(accepted).toEqual([]);
    expect(unnamed).toEqual([]);
    expect(outcomes.every((o) => o.outcome.error?.errorType === 'InvalidEventError')).toBe(true);
    expect((await requests()).ecr).toBeUndefined();
    expect(await effects()).toEqual({ writes: 0, publishes: 0 });
    expect(await verdicts.latest(repositoryName, imageDigest)).toBeUndefined();
  });
});

describe('a failed-scan event', () => {
  const repositoryName = 'failed-dev';
  let imageDigest = '';

  beforeAll(async () => {
    imageDigest = await pushedImage(repositoryName);
  }, 60_000);

  it.each([
    ['FAILED', 'a repository ECR does not hold', 'no-such-repository', () => OTHER_DIGEST],
    ['UNSUPPORTED_IMAGE', 'an image its repository does not hold', repositoryName, () => OTHER_DIGEST],
  ])(
    '%s naming %s is skipped as image-gone: one ECR call, nothing stored, no alert',
    async (status, _what, repository, digest) => {
      await clearRequests();

      const outcome = await runtime.invoke(
        'onScanCompleted',
        basicScanEvent({ repositoryName: repository, imageDigest: digest(), status }),
      );

      expect(outcome).toMatchObject({ ok: true, result: { outcome: 'image-gone', alert: 'none' } });
      expect((await requests()).ecr).toEqual({ DescribeImageScanFindings: 1 });
      expect(await effects()).toEqual({ writes: 0, publishes: 0 });
      expect(await verdicts.latest(repository, digest())).toBeUndefined();
    },
  );

  it('of an image ECR holds is still judged ERROR and alerted (fail closed)', async () => {
    await clearRequests();

    const outcome = await runtime.invoke(
      'onScanCompleted',
      basicScanEvent({ repositoryName, imageDigest, status: 'FAILED' }),
    );

    expect(outcome).toMatchObject({ ok: true, result: { outcome: 'judged', status: 'ERROR', alert: 'new' } });
    expect((await requests()).ecr).toEqual({ DescribeImageScanFindings: 1 });
    expect((await verdicts.latest(repositoryName, imageDigest))?.status).toBe('ERROR');
  });
});

describe('a scan of another registry', () => {
  const repositoryName = 'shared-name-dev';
  let imageDigest = '';

  beforeAll(async () => {
    imageDigest = await pushedImage(repositoryName);
  }, 60_000);

  it.each([
    ['another account', { account: '210987654321' }, 'account 210987654321 region us-east-1'],
    ['another Region', { region: 'eu-west-1' }, 'account 123456789012 region eu-west-1'],
  ])(
    'in %s is refused, naming it, and never judged against the local repository of that name',
    async (_case, where, named) => {
      await clearRequests();

      const enhanced = await runtime.invoke(
        'onScanCompleted',
        enhancedScanEvent({ repositoryName, imageDigest, ...where }),
      );
      const basic = await runtime.invoke(
        'onScanCompleted',
        basicScanEvent({ repositoryName, imageDigest, status: 'FAILED', ...where }),
      );

      for (const outcome of [enhanced, basic]) {
        expect(outcome).toMatchObject({
          ok: false,
          error: { errorType: 'ForeignRegistryError', errorMessage: expect.stringContaining(named) },
        });
      }
      expect((await requests()).ecr).toBeUndefined();
      expect(await effects()).toEqual({ writes: 0, publishes: 0 });
      expect(await verdicts.latest(repositoryName, imageDigest)).toBeUndefined();
    },
  );

  it('goes to the onFailure queue with its payload after the retries', async () => {
    const event = enhancedScanEvent({
      id: 'foreign-account',
      repositoryName,
      imageDigest,
      account: '210987654321',
    });

    await runtime.invoke('onScanCompleted', event, 'Event');

    const record = await onFailureRecord(runtime, sqs, 'foreign-account');
    expect(record?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(record?.responsePayload).toMatchObject({
      errorType: 'ForeignRegistryError',
      errorMessage: expect.stringContaining('account 210987654321'),
    });
    expect(await verdicts.latest(repositoryName, imageDigest)).toBeUndefined();
  });
});

describe("AWS's sample scan events", () => {
  const sample = (file: string): unknown =>
    JSON.parse(readFileSync(new URL(`../../events/aws/${file}`, import.meta.url), 'utf8'));

  it('pass the event checks: the basic one is of this registry (its image is not here), the others are foreign', async () => {
    const basic = await runtime.invoke('onScanCompleted', sample('ecr-image-scan-basic.json'));
    const inspector = await runtime.invoke('onScanCompleted', sample('inspector2-scan-ecr.json'));
    const guide = await runtime.invoke('onScanCompleted', sample('inspector2-scan-ecr-inspector-guide.json'));

    expect(basic).toMatchObject({ ok: true, result: { outcome: 'image-gone' } });
    expect(inspector).toMatchObject({ ok: false, error: { errorType: 'ForeignRegistryError' } });
    expect(guide).toMatchObject({ ok: false, error: { errorType: 'ForeignRegistryError' } });
  });
});
