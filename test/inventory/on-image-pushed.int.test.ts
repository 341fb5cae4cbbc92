import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { onFailureRecord, startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The on-image-pushed flow on the sandbox: ECR emits the push event, moto's EventBridge routes it through the
 * rule from serverless.yml, the runtime invokes the handler, and the inventory row lands in DynamoDB.
 */
describe('on-image-pushed on the sandbox', () => {
  let runtime: LambdaRuntime;
  const ecr = new ECRClient(awsClientConfig());
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig()));
  const sqs = new SQSClient(awsClientConfig());
  const events = new EventBridgeClient(awsClientConfig());
  let table = '';
  const runtimeLog: string[] = [];

  beforeAll(async () => {
    runtime = await startFunctionUnderTest('onImagePushed', 'pushed', {
      log: (line) => runtimeLog.push(line),
    });
    table = runtime.resources.SentinelTable?.ref ?? '';
  }, 60_000);

  afterAll(async () => {
    await runtime.stop();
  }, 30_000);

  async function inventory(repositoryName: string) {
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `REPO#${repositoryName}` },
      }),
    );
    return out.Items ?? [];
  }

  it('records a pushed image and starts a scan when nothing scans on push', async () => {
    const repositoryName = uniqueName('inv');
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));

    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1.0.0');

    const rows = await eventually(
      () => inventory(repositoryName),
      (items) => items.length === 1,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      entity: 'Image',
      repositoryName,
      imageDigest,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      tags: new Set(['v1.0.0']),
    });
    expect(rows[0]?.sizeInBytes).toBeGreaterThan(0);
    await runtime.idle(10_000);
    const scan = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest } }),
    );
    expect(['IN_PROGRESS', 'COMPLETE']).toContain(scan.imageScanStatus?.status);
  });

  it('handles the same event twice as one, and merges the tags of a later push', async () => {
    const repositoryName = uniqueName('dup');
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
    );
    const image = sampleImage(repositoryName);
    const { imageDigest } = await pushImage(ecr, repositoryName, image, 'v1');
    await eventually(
      () => inventory(repositoryName),
      (items) => items.length === 1,
    );
    await runtime.idle(10_000);
    const event = {
      version: '0',
      id: uniqueName('evt'),
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        result: 'SUCCESS',
        'repository-name': repositoryName,
        'image-digest': imageDigest,
        'action-type': 'PUSH',
        'image-tag': 'v1',
      },
    };

    const first = await runtime.invoke('onImagePushed', event);
    const second = await runtime.invoke('onImagePushed', event);
    await ecr.send(
      new PutImageCommand({
        repositoryName,
        imageManifest: image.manifest,
        imageManifestMediaType: image.mediaType,
        imageTag: 'stable',
      }),
    );
    const rows = await eventually(
      () => inventory(repositoryName),
      (items) => (items[0]?.tags as Set<string> | undefined)?.size === 2,
    );

    expect(first).toMatchObject({ ok: true, result: { outcome: 'recorded', scan: 'scans-on-push' } });
    expect(second).toEqual(first);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tags).toEqual(new Set(['v1', 'stable']));
  });

  it('sends a malformed event to the onFailure queue with its payload after the retries, writing nothing', async () => {
    const repositoryName = uniqueName('bad');
    const id = uniqueName('malformed');

    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.ecr',
            DetailType: 'ECR Image Action',
            Detail: JSON.stringify({
              result: 'SUCCESS',
              'repository-name': repositoryName,
              'action-type': 'PUSH',
              'image-tag': id,
            }),
          },
        ],
      }),
    );

    const record = await onFailureRecord(runtime, sqs, (r) => r.requestPayload?.detail?.['image-tag'] === id);
    expect(record?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(record?.responsePayload?.errorMessage).toMatch(/image-digest/);
    expect(await inventory(repositoryName)).toEqual([]);
    expect(runtimeLog.join('\n')).toMatch(/invocation failed/);
  });
});
