import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetImageCommand, CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoPromotions } from '../../src/promotion/adapters/dynamodb-promotions.ts';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { onFailureRecord, startFunctionUnderTest } from '../support/runtime.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { scanCompleted } from '../support/scans.ts';

/**
 * The promoteImage function as deployed, on the sandbox's runtime under its IAM role from serverless.yml (every
 * call it makes is checked): invoked directly, and by a `Promotion Requested` event on the default bus. It runs
 * with the example sentinel.config.yml (dev → staging → prod).
 */

let runtime: LambdaRuntime;
const ecr = new ECRClient(awsClientConfig());
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ ...awsClientConfig(), maxAttempts: 3 }));
const events = new EventBridgeClient(awsClientConfig());
const sqs = new SQSClient(awsClientConfig());

beforeAll(async () => {
  runtime = await startFunctionUnderTest('promoteImage', 'promo');
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  for (const client of [ecr, doc, events, sqs]) client.destroy();
}, 30_000);

const store = () => dynamoPromotions(doc, runtime.resources.SentinelTable?.ref ?? '');

/** A new app's clean image, scanned in its dev repository. */
async function devImage() {
  const app = uniqueName('fnapp');
  const repositoryName = `${app}-dev`;
  await ecr.send(
    new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
  );
  expect((await admin('POST', 'findings', { repositoryName, imageTag: '3.1.0', findings: [] })).status).toBe(
    201,
  );
  const image = sampleImage(`${app}-${randomBytes(4).toString('hex')}`);
  const { imageDigest } = await pushImage(ecr, repositoryName, image, '3.1.0');
  await scanCompleted(ecr, repositoryName, imageDigest);
  return { app, imageDigest };
}

describe('promoteImage', () => {
  it('promotes when invoked, under its own role, and records it', async () => {
    // Prepare
    const { app, imageDigest } = await devImage();

    // Act
    const outcome = await runtime.invoke('promoteImage', {
      action: 'promote',
      app,
      version: '3.1.0',
      to: 'staging',
      by: 'ci-pipeline',
    });

    // Assert
    expect(outcome).toEqual({
      ok: true,
      result: {
        id: expect.any(String),
        outcome: 'completed',
        existing: false,
        status: 'COMPLETED',
        digest: imageDigest,
      },
    });
    const copied = await ecr.send(
      new BatchGetImageCommand({ repositoryName: `${app}-staging`, imageIds: [{ imageTag: '3.1.0' }] }),
    );
    expect(copied.images?.[0]?.imageId?.imageDigest).toBe(imageDigest);
    expect(await store().releases(app)).toEqual([
      expect.objectContaining({ environment: 'staging', promotedBy: 'ci-pipeline' }),
    ]);
  }, 60_000);

  it('takes a Promotion Requested event from the default bus', async () => {
    // Prepare
    const { app } = await devImage();

    // Act
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'ecr-sentinel',
            DetailType: 'Promotion Requested',
            Detail: JSON.stringify({ app, version: '3.1.0', to: 'staging', by: 'release-bot' }),
          },
        ],
      }),
    );

    // Assert
    const promoted = await eventually(
      () => store().list({ app }),
      (found) => found[0]?.status === 'COMPLETED',
      30_000,
    );
    expect(promoted[0]).toMatchObject({ requestedBy: 'release-bot', status: 'COMPLETED' });
  }, 60_000);

  it('sends a request it cannot carry out to the onFailure queue, naming why', async () => {
    // Prepare
    const app = uniqueName('nothing');

    // Act
    await runtime.invoke(
      'promoteImage',
      { action: 'promote', app, version: '1.0.0', to: 'staging', by: 'ci' },
      'Event',
    );

    // Assert
    const record = await onFailureRecord(
      runtime,
      sqs,
      (r) => (r.requestPayload as { app?: string } | undefined)?.app === app,
    );
    expect(record?.responsePayload).toMatchObject({
      errorType: 'PromotionRequestError',
      errorMessage: `no image tagged 1.0.0 in ${app}-dev (dev, account 123456789012, us-east-1)`,
    });
  }, 60_000);
});
