import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { malformedPushEvents, pushEvent } from '../inventory/malformed-push-events.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { invokeCorpus } from '../support/corpus.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { onFailureRecord, startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig } from '../support/sandbox.ts';

/**
 * on-image-pushed under hostile input and ECR's scan quota, through the real handler as the local runtime runs
 * it. This file counts AWS calls with the sandbox's request counters, which every client of a sandbox shares, so
 * it runs a sandbox of its own instead of the run-wide one other files use in parallel.
 */

let sandbox: Sandbox;
let runtime: LambdaRuntime;
let ecr: ECRClient;
let doc: DynamoDBDocumentClient;
let sqs: SQSClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  const config = awsClientConfig(sandbox.url);
  ecr = new ECRClient(config);
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  sqs = new SQSClient(config);
  runtime = await startFunctionUnderTest('onImagePushed', 'hostile', { endpoint: sandbox.url });
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  await sandbox?.stop();
  ecr?.destroy();
  sqs?.destroy();
}, 30_000);

async function inventory(repositoryName: string) {
  const out = await doc.send(
    new QueryCommand({
      TableName: runtime.resources.SentinelTable?.ref,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `REPO#${repositoryName}` },
    }),
  );
  return out.Items ?? [];
}

async function requests(): Promise<Record<string, Record<string, number>>> {
  return (await sandboxAdmin(sandbox.url)('GET', 'requests')) as Record<string, Record<string, number>>;
}

async function clearRequests() {
  await sandboxAdmin(sandbox.url)('DELETE', 'requests');
}

/** A repository that nothing scans on push (so the handler calls StartImageScan), with one image tagged `v1`. */
async function pushedImage(repositoryName: string) {
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
  // The push event reaches the runtime through moto's EventBridge; wait until it has been handled.
  await eventually(
    () => inventory(repositoryName),
    (items) => items.length === 1,
  );
  await runtime.idle(20_000);
  return imageDigest;
}

describe('StartImageScan under the daily scan quota', () => {
  it('is sent once when ECR answers LimitExceededException', async () => {
    const repositoryName = 'quota-dev';
    const imageDigest = await pushedImage(repositoryName);
    await clearRequests();

    // A second push event for the same image (a duplicate delivery, a re-push) on the same day.
    const outcome = await runtime.invoke(
      'onImagePushed',
      pushEvent({ id: 'second-delivery', repositoryName, imageDigest, imageTag: 'v1' }),
    );

    expect(outcome).toMatchObject({ ok: true, result: { outcome: 'recorded', scan: 'already-scanned' } });
    expect((await requests()).ecr).toMatchObject({ DescribeImages: 1, StartImageScan: 1 });
  });

  it('still leaves other ECR calls their retries', async () => {
    const repositoryName = 'retries-dev';
    const imageDigest = await pushedImage(repositoryName);
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: 'ecr',
        action: 'DescribeImages',
        rate: 1,
        error: 'ThrottlingException',
      }),
    });
    await clearRequests();

    const outcome = await runtime.invoke(
      'onImagePushed',
      pushEvent({ id: 'throttled-lookup', repositoryName, imageDigest, imageTag: 'v1' }),
    );
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
    });

    expect(outcome).toMatchObject({ ok: false, error: { errorType: 'ThrottlingException' } });
    expect((await requests()).ecr?.DescribeImages).toBe(3);
  });
});

describe('the malformed push event corpus', () => {
  const repositoryName = 'corpus-dev';
  let imageDigest = '';

  beforeAll(async () => {
    imageDigest = await pushedImage(repositoryName);
  }, 60_000);

  it('refuses every variant, naming the field, and makes no AWS call for any of them', async () => {
    const genuine = pushEvent({ id: 'corpus', repositoryName, imageDigest, imageTag: 'v1' });
    const corpus = malformedPushEvents(genuine).map((variant, n) => {
      // Each variant its own id, so the idempotency record of one never answers for another.
      const event = variant.event as Record<string, unknown>;
      const own = variant.field !== 'id' && typeof event === 'object' && event && !Array.isArray(event);
      return own ? { ...variant, event: { ...event, id: `corpus-${n}` } } : variant;
    });
    const rowBefore = (await inventory(repositoryName))[0];
    await clearRequests();

    const { outcomes, accepted, unnamed } = await invokeCorpus(runtime, 'onImagePushed', corpus);
    expect(corpus.length).toBeGreaterThan(70);
    expect(accepted).toEqual([]);
    expect(unnamed).toEqual([]);
    expect(outcomes.every((o) => o.outcome.error?.errorType === 'InvalidEventError')).toBe(true);
    expect((await requests()).ecr).toBeUndefined();
    expect(await inventory(repositoryName)).toEqual([rowBefore]);
  });

  it('records only the tags ECR reports when the event names a tag the image never had', async () => {
    const event = pushEvent({ id: 'forged-tag', repositoryName, imageDigest, imageTag: 'prod-approved' });

    const outcome = await runtime.invoke('onImagePushed', event);

    expect(outcome).toMatchObject({ ok: true, result: { tags: ['v1'], eventTag: 'not-on-image' } });
    const rows = await inventory(repositoryName);
    expect(rows.map((row) => row.tags)).toEqual([new Set(['v1'])]);
  });

  it('still accepts the AWS sample push event', async () => {
    const sample = JSON.parse(
      readFileSync(new URL('../../events/aws/ecr-image-action-push.json', import.meta.url), 'utf8'),
    );

    const outcome = await runtime.invoke('onImagePushed', sample);

    // Its repository doesn't exist here: accepted, and nothing to record.
    expect(outcome).toMatchObject({ ok: true, result: { outcome: 'image-gone' } });
  });

  it('sends a refused event to the onFailure queue with its payload after the retries', async () => {
    const event = { ...pushEvent({ id: 'delete-event', repositoryName, imageDigest }) };
    (event.detail as Record<string, unknown>)['action-type'] = 'DELETE';

    await runtime.invoke('onImagePushed', event, 'Event');

    const record = await onFailureRecord(runtime, sqs, 'delete-event');
    expect(record?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(record?.responsePayload).toMatchObject({
      errorType: 'InvalidEventError',
      errorMessage: expect.stringContaining('detail.action-type: '),
    });
  });
});
