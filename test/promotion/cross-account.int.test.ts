import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  ECRClient,
  PutAccountSettingCommand,
} from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { awsRegistries } from '../../src/promotion/adapters/aws-registries.ts';
import { dynamoPromotions } from '../../src/promotion/adapters/dynamodb-promotions.ts';
import { promotions } from '../../src/promotion/promote.ts';
import { dynamoVerdicts } from '../../src/scan-gate/index.ts';
import { accountCredentials } from '../support/accounts.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';
import { scanCompleted } from '../support/scans.ts';
import { createSentinelTable } from '../support/table.ts';

/**
 * A promotion between accounts, as the sandbox runs them (one ECR registry per account, keys from STS AssumeRole
 * acting in the role's account): dev in 111111111111, staging in 222222222222, each reached with its
 * environment's `roleArn`; the records stay in the home account's table.
 */

const DEV = '111111111111';
const STAGING = '222222222222';
const CONFIG = `
version: 1
environments:
  - name: dev
    accountId: "${DEV}"
    roleArn: arn:aws:iam::${DEV}:role/ecr-promoter
  - name: staging
    accountId: "${STAGING}"
    roleArn: arn:aws:iam::${STAGING}:role/ecr-promoter
`;

const client = new DynamoDBClient({ ...awsClientConfig(), maxAttempts: 3 });
const doc = DynamoDBDocumentClient.from(client);
const tableName = uniqueName('xaccount');
const registries = awsRegistries(awsClientConfig());
let devEcr: ECRClient;
let stagingEcr: ECRClient;

beforeAll(async () => {
  await createSentinelTable(client, tableName);
  devEcr = new ECRClient(await accountCredentials(sandboxUrl(), DEV, { roleName: 'ecr-promoter' }));
  stagingEcr = new ECRClient(await accountCredentials(sandboxUrl(), STAGING, { roleName: 'ecr-promoter' }));
});

afterAll(async () => {
  for (const ecr of [devEcr, stagingEcr]) {
    await ecr?.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'DISABLED' }));
  }
  registries.destroy();
  devEcr?.destroy();
  stagingEcr?.destroy();
  doc.destroy();
});

describe('a promotion across accounts', () => {
  it('copies from the dev account into the staging account by digest, through the ECR API', async () => {
    // Prepare: blob mounting on in both registries, which it can't use: a mount stays inside one registry.
    for (const ecr of [devEcr, stagingEcr]) {
      await ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
    }
    const app = uniqueName('xapp');
    const repositoryName = `${app}-dev`;
    await devEcr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
    );
    const findings = {
      repositoryName,
      imageTag: '2.0.0',
      findings: [],
      registryId: DEV,
      region: 'us-east-1',
    };
    expect((await admin('POST', 'findings', findings)).status).toBe(201);
    const { imageDigest } = await pushImage(
      devEcr,
      repositoryName,
      sampleImage(`${app}-${randomBytes(4).toString('hex')}`),
      '2.0.0',
    );
    await scanCompleted(devEcr, repositoryName, imageDigest);
    const { promote } = promotions({
      config: parseConfig(CONFIG),
      home: { accountId: '123456789012', region: 'us-east-1' },
      store: dynamoPromotions(doc, tableName),
      registries,
      verdicts: dynamoVerdicts(doc, tableName),
      announcer: { announce: async () => {} },
      clock: { now: () => new Date() },
      randomBytes: () => randomBytes(10),
      warn: () => {},
    });

    // Act
    const result = await promote({ app, version: '2.0.0', to: 'staging', by: 'alice' });

    // Assert
    expect(result).toMatchObject({
      outcome: 'completed',
      promotion: {
        from: { accountId: DEV, repositoryName },
        to: { accountId: STAGING, repositoryName: `${app}-staging` },
        copy: { repositoryCreated: true, blobsMounted: 0 },
      },
    });
    expect(result.promotion.copy?.blobsCopied).toBeGreaterThan(0);
    expect(result.promotion.copy?.bytesCopied).toBeGreaterThan(0);
    const copied = await stagingEcr.send(
      new BatchGetImageCommand({ repositoryName: `${app}-staging`, imageIds: [{ imageTag: '2.0.0' }] }),
    );
    expect(copied.images?.[0]?.imageId?.imageDigest).toBe(imageDigest);
    expect(copied.images?.[0]?.registryId).toBe(STAGING);
    await expect(
      devEcr.send(
        new BatchGetImageCommand({ repositoryName: `${app}-staging`, imageIds: [{ imageTag: '2.0.0' }] }),
      ),
    ).rejects.toThrow(/does not exist in the registry with id '111111111111'/);
  }, 60_000);
});
