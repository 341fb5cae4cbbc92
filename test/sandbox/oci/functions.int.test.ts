import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImageScanFindingsCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../../src/sandbox/runtime/index.ts';
import { eventually } from '../../support/eventually.ts';
import { startFunctionUnderTest } from '../../support/runtime.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { awsEcr } from '../ecr/aws-cli.ts';
import { clientSandbox, loginPassword, ociLayout, registryHost, requireTool, skopeoPush } from './clients.ts';

/**
 * One store, as far as the deployed functions: an image pushed through the registry API by a real client
 * (Debian's skopeo) emits the PUSH event that serverless.yml's rule routes to on-image-pushed, which records it
 * in the inventory and starts its scan, exactly as for a push through the ECR API (test/inventory).
 */
describe('a push through /v2/ reaches the functions', { timeout: 120_000 }, () => {
  const endpoint = sandboxUrl();
  const host = registryHost(endpoint);
  const repositoryName = uniqueName('oci-fn');
  const ecr = new ECRClient(awsClientConfig());
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig()));
  let runtime: LambdaRuntime;
  let client: Awaited<ReturnType<typeof clientSandbox>>;

  beforeAll(async () => {
    runtime = await startFunctionUnderTest('onImagePushed', 'ocifn');
    client = await clientSandbox();
    // No scan on push: the function starts the scan, which shows it ran.
    await awsEcr(endpoint, ['create-repository', '--repository-name', repositoryName]);
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
    await client?.cleanup();
    ecr.destroy();
    doc.destroy();
  }, 30_000);

  it('records the image skopeo pushed and starts its scan', async () => {
    requireTool('skopeo');
    // Prepare
    const layout = await ociLayout(client.dir, 'pushed for the functions\n', 'v1');
    const creds = `AWS:${await loginPassword(endpoint)}`;
    // Act
    await skopeoPush(client.env, creds, `${layout.path}:v1`, `${host}/${repositoryName}:v1`);
    // Assess
    const table = runtime.resources.SentinelTable?.ref ?? '';
    const rows = await eventually(
      async () =>
        (
          await doc.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': `REPO#${repositoryName}` },
            }),
          )
        ).Items ?? [],
      (items) => items.length === 1,
    );
    expect(rows[0]).toMatchObject({
      entity: 'Image',
      repositoryName,
      imageDigest: layout.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      tags: new Set(['v1']),
    });
    await runtime.idle(10_000);
    const scan = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest: layout.digest } }),
    );
    expect(['IN_PROGRESS', 'COMPLETE']).toContain(scan.imageScanStatus?.status);
  });
});
