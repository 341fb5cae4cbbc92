import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { awsRegistries } from '../../src/promotion/adapters/aws-registries.ts';
import { dynamoPromotions } from '../../src/promotion/adapters/dynamodb-promotions.ts';
import { promotions } from '../../src/promotion/promote.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { dynamoVerdicts } from '../../src/scan-gate/index.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { awsClientConfig } from '../support/sandbox.ts';
import { scanCompleted } from '../support/scans.ts';
import { createSentinelTable } from '../support/table.ts';

/**
 * A promotion broken mid-copy (the sandbox fails the 2nd UploadLayerPart): it fails cleanly — recorded FAILED
 * with the error, no tag in the target, the request freed — and asking again completes it with a consistent
 * record. Faults are global to a sandbox, so this file runs its own.
 */

let sandbox: Sandbox;
let ecr: ECRClient;
let doc: DynamoDBDocumentClient;
let registries: ReturnType<typeof awsRegistries>;
const tableName = 'reliability-promotions';

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  const client = new DynamoDBClient({ ...awsClientConfig(sandbox.url), maxAttempts: 3 });
  doc = DynamoDBDocumentClient.from(client);
  registries = awsRegistries(awsClientConfig(sandbox.url));
  await createSentinelTable(client, tableName);
}, 90_000);

afterAll(async () => {
  registries?.destroy();
  ecr?.destroy();
  doc?.destroy();
  await sandbox?.stop();
}, 30_000);

describe('a promotion under faults', () => {
  it('fails cleanly when a layer upload fails mid-copy, and a retry completes it', async () => {
    // Prepare
    const admin = sandboxAdmin(sandbox.url);
    const app = 'faulty';
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: `${app}-dev`,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    await admin('POST', 'findings', { repositoryName: `${app}-dev`, imageTag: '1.0.0', findings: [] });
    const { imageDigest } = await pushImage(
      ecr,
      `${app}-dev`,
      sampleImage(randomBytes(8).toString('hex')),
      '1.0.0',
    );
    await scanCompleted(ecr, `${app}-dev`, imageDigest);
    const store = dynamoPromotions(doc, tableName);
    const { promote } = promotions({
      config: parseConfig('version: 1\n'),
      home: { accountId: '123456789012', region: 'us-east-1' },
      store,
      registries,
      verdicts: dynamoVerdicts(doc, tableName),
      announcer: { announce: async () => {} },
      clock: { now: () => new Date() },
      randomBytes: () => randomBytes(10),
      warn: () => {},
    });
    await admin('POST', 'faults', {
      service: 'ecr',
      action: 'UploadLayerPart',
      nth: 2,
      error: 'ThrottlingException',
    });

    // Act
    const broken = await promote({ app, version: '1.0.0', to: 'staging', by: 'alice' });
    const tagged = await ecr
      .send(
        new DescribeImagesCommand({ repositoryName: `${app}-staging`, imageIds: [{ imageTag: '1.0.0' }] }),
      )
      .then(() => true)
      .catch(() => false);
    const retried = await promote({ app, version: '1.0.0', to: 'staging', by: 'alice' });

    // Assert
    expect(broken).toMatchObject({
      outcome: 'failed',
      promotion: { status: 'FAILED', errorType: 'ThrottlingException' },
    });
    expect(broken.promotion.error).toContain('ThrottlingException');
    expect(tagged).toBe(false);
    expect(retried).toMatchObject({
      outcome: 'completed',
      existing: false,
      promotion: { status: 'COMPLETED' },
    });
    expect(retried.promotion.id).not.toBe(broken.promotion.id);
    expect((await store.get(broken.promotion.id))?.status).toBe('FAILED');
    const copied = await ecr.send(
      new BatchGetImageCommand({ repositoryName: `${app}-staging`, imageIds: [{ imageTag: '1.0.0' }] }),
    );
    expect(copied.images?.[0]?.imageId?.imageDigest).toBe(imageDigest);
    expect((await store.list({ app })).map((p) => p.status)).toEqual(['COMPLETED', 'FAILED']);
  }, 90_000);
});
