import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  type CreateRepositoryCommandInput,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  PutAccountSettingCommand,
} from '@aws-sdk/client-ecr';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { awsRegistries } from '../../src/promotion/adapters/aws-registries.ts';
import { dynamoPromotions } from '../../src/promotion/adapters/dynamodb-promotions.ts';
import { formatResult } from '../../src/promotion/cli-format.ts';
import type { RegistryLocation } from '../../src/promotion/ports.ts';
import { promotions } from '../../src/promotion/promote.ts';
import { SANDBOX_ACCOUNT_ID, type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { dynamoVerdicts } from '../../src/scan-gate/index.ts';
import { sha256Digest } from '../../src/shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES } from '../../src/shared/ecr/manifests.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { type ImageToPush, pushImage } from '../support/images.ts';
import { startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { scanCompleted } from '../support/scans.ts';
import { createSentinelTable } from '../support/table.ts';

/**
 * Promotions inside one registry take the blob-mounting fast path of the registry API (`POST
 * /v2/<target>/blobs/uploads/?mount=&from=`) when the account setting BLOB_MOUNTING is ENABLED, and fall back to
 * the ECR API copy otherwise — never failing because the fast path is unavailable. A sandbox of its own: the
 * request counters, the account setting and fault rules are the registry's, shared by every caller.
 */

const HOME: RegistryLocation = { accountId: SANDBOX_ACCOUNT_ID, region: 'us-east-1' };
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** An OCI image of random layers (nothing dedupes by accident). */
function randomImage(layerSizes: number[]): ImageToPush & { digest: string; blobDigests: string[] } {
  const layers = layerSizes.map((size) => randomBytes(size));
  const config = Buffer.from(JSON.stringify({ os: 'linux', nonce: randomBytes(8).toString('hex') }));
  const descriptor = (mediaType: string, bytes: Buffer) => ({
    mediaType,
    size: bytes.length,
    digest: sha256Digest(bytes),
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    config: descriptor('application/vnd.oci.image.config.v1+json', config),
    layers: layers.map((layer) => descriptor(OCI_LAYER, layer)),
  });
  const blobs = [config, ...layers];
  return {
    blobs,
    manifest,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    digest: sha256Digest(manifest),
    blobDigests: blobs.map((b) => sha256Digest(b)),
  };
}

type Counts = Record<string, Record<string, number> | undefined>;

describe('promotion inside one registry with blob mounting', { timeout: 60_000 }, () => {
  let sandbox: Sandbox;
  let admin: ReturnType<typeof sandboxAdmin>;
  let ecr: ECRClient;
  let registries: ReturnType<typeof awsRegistries>;
  const warnings: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, quiet: true });
    admin = sandboxAdmin(sandbox.url);
    ecr = new ECRClient(awsClientConfig(sandbox.url));
    registries = awsRegistries(awsClientConfig(sandbox.url), { warn: (m) => warnings.push(m) });
  });

  afterAll(async () => {
    registries?.destroy();
    ecr?.destroy();
    await sandbox?.stop();
  });

  beforeEach(async () => {
    warnings.length = 0;
    await setMounting('DISABLED');
  });

  async function setMounting(value: 'ENABLED' | 'DISABLED', client = ecr) {
    await client.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value }));
  }

  /** A dev repository holding a fresh image under 1.0.0, and an empty staging repository. */
  async function devAndStaging(
    client = ecr,
    staging: Partial<CreateRepositoryCommandInput> = {},
    layerSizes = [300_000, 700_000],
  ) {
    const image = randomImage(layerSizes);
    const dev = uniqueName('mount-dev');
    const target = uniqueName('mount-staging');
    await client.send(new CreateRepositoryCommand({ repositoryName: dev }));
    await client.send(new CreateRepositoryCommand({ repositoryName: target, ...staging }));
    await pushImage(client, dev, image, '1.0.0');
    return {
      image,
      dev,
      staging: target,
      source: { registryId: SANDBOX_ACCOUNT_ID, repositoryName: dev, imageDigest: image.digest },
      target: { registryId: SANDBOX_ACCOUNT_ID, repositoryName: target, imageTag: '1.0.0' },
    };
  }

  async function counts(): Promise<Counts> {
    return (await admin('GET', '/requests')) as Counts;
  }

  async function expectPullable(
    repositoryName: string,
    image: ReturnType<typeof randomImage>,
    imageTag = '1.0.0',
  ) {
    const got = await ecr.send(
      new BatchGetImageCommand({
        repositoryName,
        imageIds: [{ imageTag }],
        acceptedMediaTypes: Object.values(MANIFEST_MEDIA_TYPES),
      }),
    );
    expect(got.images?.[0]?.imageId?.imageDigest).toBe(image.digest);
    expect(got.images?.[0]?.imageManifest).toBe(image.manifest);
    const check = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: image.blobDigests }),
    );
    expect(check.failures ?? []).toEqual([]);
    for (const [i, digest] of image.blobDigests.entries()) {
      const { downloadUrl } = await ecr.send(
        new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: digest }),
      );
      const bytes = Buffer.from(await (await fetch(downloadUrl ?? '')).arrayBuffer());
      expect(bytes.equals(image.blobs[i] as Buffer)).toBe(true);
    }
  }

  it('mounts every blob when BLOB_MOUNTING is ENABLED: 0 bytes uploaded, same digest, pullable', async () => {
    // Prepare
    const { image, staging, source, target } = await devAndStaging();
    await setMounting('ENABLED');
    await admin('DELETE', '/requests');

    // Act
    const outcome = await registries.copier(HOME, HOME).copy(source, target, { copyReferrers: true });

    // Assess
    expect(outcome).toEqual({
      blobsCopied: 0,
      blobsSkipped: 0,
      blobsMounted: 3,
      bytesCopied: 0,
      manifestsPut: 1,
      referrersCopied: 0,
      alreadyPresent: false,
    });
    const seen = await counts();
    expect(seen.ecr?.UploadLayerPart).toBeUndefined();
    expect(seen.ecr?.InitiateLayerUpload).toBeUndefined();
    expect(seen.ecr?.GetDownloadUrlForLayer).toBeUndefined();
    expect(seen.ecr?.GetAccountSetting).toBe(1);
    expect(seen.ecr?.PutImage).toBe(1);
    expect(seen.unknown?.['POST /v2']).toBe(3);
    await expectPullable(staging, image);
    expect(warnings).toEqual([]);
  });

  it('keeps the registry token for later copies until shortly before it expires', async () => {
    // Prepare
    const first = await devAndStaging();
    const second = await devAndStaging();
    await setMounting('ENABLED');
    const fresh = awsRegistries(awsClientConfig(sandbox.url));
    await admin('DELETE', '/requests');

    // Act
    try {
      await fresh.copier(HOME, HOME).copy(first.source, first.target, { copyReferrers: false });
      await fresh.copier(HOME, HOME).copy(second.source, second.target, { copyReferrers: false });
    } finally {
      fresh.destroy();
    }

    // Assess
    const seen = await counts();
    expect(seen.ecr?.GetAuthorizationToken).toBe(1);
    expect(seen.ecr?.GetAccountSetting).toBe(2);
    expect(seen.unknown?.['POST /v2']).toBe(6);
    expect(seen.ecr?.UploadLayerPart).toBeUndefined();
  });

  it('copies through the ECR API when BLOB_MOUNTING is DISABLED, asking for no registry token', async () => {
    // Prepare
    const { image, staging, source, target } = await devAndStaging();
    await admin('DELETE', '/requests');

    // Act
    const outcome = await registries.copier(HOME, HOME).copy(source, target, { copyReferrers: true });

    // Assess
    expect(outcome).toMatchObject({ blobsCopied: 3, blobsMounted: 0, manifestsPut: 1 });
    expect(outcome.bytesCopied).toBe(image.blobs.reduce((n, b) => n + b.length, 0));
    const seen = await counts();
    expect(seen.ecr?.UploadLayerPart).toBe(3);
    expect(seen.ecr?.GetAuthorizationToken).toBeUndefined();
    expect(seen.unknown?.['POST /v2']).toBeUndefined();
    await expectPullable(staging, image);
    expect(warnings).toEqual([]);
  });

  it('cancels the upload session ECR opens instead of mounting (202) and uploads the blob', async () => {
    // Prepare: ECR mounts only between repositories of the same encryption; staging's is KMS.
    const { image, staging, source, target } = await devAndStaging(ecr, {
      encryptionConfiguration: { encryptionType: 'KMS' },
    });
    await setMounting('ENABLED');
    await admin('DELETE', '/requests');

    // Act
    const outcome = await registries.copier(HOME, HOME).copy(source, target, { copyReferrers: false });

    // Assess
    expect(outcome).toMatchObject({ blobsCopied: 3, blobsMounted: 0, manifestsPut: 1 });
    const seen = await counts();
    expect(seen.unknown?.['POST /v2']).toBe(3);
    expect(seen.unknown?.['DELETE /v2']).toBe(3);
    expect(seen.ecr?.UploadLayerPart).toBe(3);
    await expectPullable(staging, image);
  });

  it.each([
    ['GetAccountSetting', 'ServerException', 500],
    ['GetAuthorizationToken', 'ServerException', 500],
  ])('falls back to the ECR API copy when %s fails (%s), warning once', async (action, error, status) => {
    // Prepare
    const first = await devAndStaging();
    const second = await devAndStaging();
    await setMounting('ENABLED');
    const rule = (await admin('POST', '/faults', { service: 'ecr', action, rate: 1, error, status })) as {
      id: string;
    };
    const fresh = awsRegistries(awsClientConfig(sandbox.url), { warn: (m) => warnings.push(m) });

    // Act
    let outcomes: Awaited<ReturnType<ReturnType<typeof fresh.copier>['copy']>>[];
    try {
      outcomes = [
        await fresh.copier(HOME, HOME).copy(first.source, first.target, { copyReferrers: false }),
        await fresh.copier(HOME, HOME).copy(second.source, second.target, { copyReferrers: false }),
      ];
    } finally {
      await admin('DELETE', `/faults/${rule.id}`);
      fresh.destroy();
    }

    // Assess
    for (const outcome of outcomes) expect(outcome).toMatchObject({ blobsCopied: 3, blobsMounted: 0 });
    await expectPullable(first.staging, first.image);
    await expectPullable(second.staging, second.image);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('blob mounting unavailable');
    expect(warnings[0]).toContain(error);
  });

  it('uploads through the ECR API the blob whose mount failed with a 5xx, and mounts the others', async () => {
    // Prepare: a mount is authorised as InitiateLayerUpload (src/sandbox/oci/faults.ts), so the rule's one firing
    // fails the first mount POST; the ECR API InitiateLayerUpload of the fallback comes after it.
    const { image, staging, source, target } = await devAndStaging();
    await setMounting('ENABLED');
    const rule = (await admin('POST', '/faults', {
      service: 'ecr',
      action: 'InitiateLayerUpload',
      status: 503,
      nth: 1,
      times: 1,
    })) as { id: string };
    await admin('DELETE', '/requests');

    // Act
    let outcome: Awaited<ReturnType<ReturnType<typeof registries.copier>['copy']>>;
    try {
      outcome = await registries.copier(HOME, HOME).copy(source, target, { copyReferrers: false });
    } finally {
      await admin('DELETE', `/faults/${rule.id}`);
    }

    // Assess
    expect(outcome).toMatchObject({ blobsMounted: 2, blobsCopied: 1, manifestsPut: 1 });
    const seen = await counts();
    expect(seen.unknown?.['POST /v2']).toBe(3);
    expect(seen.ecr?.InitiateLayerUpload).toBe(1);
    await expectPullable(staging, image);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('HTTP 503');
  });

  it('falls back when IAM denies GetAccountSetting, and the copy succeeds', async () => {
    // Prepare: a principal whose role allows all of ECR but reading account settings.
    const accessKeyId = `AKIAMOUNT${randomBytes(6).toString('hex').toUpperCase()}`;
    await admin('POST', '/iam/principals', {
      accessKeyId,
      principalArn: `arn:aws:sts::${SANDBOX_ACCOUNT_ID}:assumed-role/promoter/mount-test`,
      accountId: SANDBOX_ACCOUNT_ID,
      function: 'mount-test',
      policies: [
        {
          where: 'test policy',
          document: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'ecr:*', Resource: '*' },
              { Effect: 'Deny', Action: 'ecr:GetAccountSetting', Resource: '*' },
            ],
          },
        },
      ],
    });
    const base = {
      ...awsClientConfig(sandbox.url),
      credentials: { accessKeyId, secretAccessKey: 'testing' },
    };
    const denied = new ECRClient(base);
    const asRole = awsRegistries(base, { warn: (m) => warnings.push(m) });
    try {
      const { image, staging, source, target } = await devAndStaging(denied);
      await setMounting('ENABLED');

      // Act
      const outcome = await asRole.copier(HOME, HOME).copy(source, target, { copyReferrers: false });

      // Assess
      expect(outcome).toMatchObject({ blobsCopied: 3, blobsMounted: 0, manifestsPut: 1 });
      await expectPullable(staging, image);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/GetAccountSetting.*AccessDenied/);
      const { denials } = (await admin('GET', '/iam/denials')) as { denials: Array<{ action: string }> };
      expect(denials.map((d) => d.action)).toContain('ecr:GetAccountSetting');
    } finally {
      asRole.destroy();
      denied.destroy();
      await admin('DELETE', '/iam/principals', { accessKeyIds: [accessKeyId] });
    }
  });

  it('mounts in the deployed promoteImage function, under the role serverless.yml grants it', async () => {
    // Prepare: the function on this sandbox's runtime (every call, /v2/ included, held to its role).
    const runtime = await startFunctionUnderTest('promoteImage', 'mountfn', { endpoint: sandbox.url });
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...awsClientConfig(sandbox.url), maxAttempts: 3 }),
    );
    try {
      const app = uniqueName('fnmount');
      const repositoryName = `${app}-dev`;
      await ecr.send(
        new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
      );
      await admin('POST', '/findings', { repositoryName, imageTag: '3.1.0', findings: [] });
      const image = randomImage([200_000, 300_000]);
      const { imageDigest } = await pushImage(ecr, repositoryName, image, '3.1.0');
      await scanCompleted(ecr, repositoryName, imageDigest);
      await setMounting('ENABLED');
      await admin('DELETE', '/iam/denials');
      await admin('DELETE', '/requests');

      // Act
      const outcome = await runtime.invoke('promoteImage', {
        action: 'promote',
        app,
        version: '3.1.0',
        to: 'staging',
        by: 'ci-pipeline',
      });

      // Assess
      expect(outcome).toMatchObject({ ok: true, result: { outcome: 'completed', status: 'COMPLETED' } });
      const [record] = await dynamoPromotions(doc, runtime.resources.SentinelTable?.ref ?? '').list({ app });
      expect(record?.copy).toMatchObject({ blobsCopied: 0, blobsMounted: 3, bytesCopied: 0 });
      expect(((await admin('GET', '/iam/denials')) as { denials: unknown[] }).denials).toEqual([]);
      expect((await counts()).ecr?.UploadLayerPart).toBeUndefined();
      await expectPullable(`${app}-staging`, image, '3.1.0');
    } finally {
      await runtime.stop();
      doc.destroy();
    }
  });

  it('records a promotion inside one registry as mounted, 0 bytes uploaded', async () => {
    // Prepare: dev and staging environments of one account and Region; the image scanned clean in dev.
    const dynamo = new DynamoDBClient({ ...awsClientConfig(sandbox.url), maxAttempts: 3 });
    const doc = DynamoDBDocumentClient.from(dynamo);
    const tableName = uniqueName('mount');
    await createSentinelTable(dynamo, tableName);
    const app = uniqueName('mapp');
    const repositoryName = `${app}-dev`;
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
    );
    await admin('POST', '/findings', { repositoryName, imageTag: '2.0.0', findings: [] });
    const image = randomImage([400_000]);
    const { imageDigest } = await pushImage(ecr, repositoryName, image, '2.0.0');
    await scanCompleted(ecr, repositoryName, imageDigest);
    await setMounting('ENABLED');
    const { promote } = promotions({
      config: parseConfig('version: 1\nenvironments:\n  - name: dev\n  - name: staging\n'),
      home: HOME,
      store: dynamoPromotions(doc, tableName),
      registries,
      verdicts: dynamoVerdicts(doc, tableName),
      announcer: { announce: async () => {} },
      clock: { now: () => new Date() },
      randomBytes: () => randomBytes(10),
      warn: (m) => warnings.push(m),
    });

    // Act
    let result: Awaited<ReturnType<typeof promote>>;
    try {
      result = await promote({ app, version: '2.0.0', to: 'staging', by: 'alice' });
    } finally {
      doc.destroy();
    }

    // Assess
    expect(result).toMatchObject({
      outcome: 'completed',
      promotion: {
        status: 'COMPLETED',
        copy: { blobsCopied: 0, blobsMounted: 2, bytesCopied: 0, repositoryCreated: true },
      },
    });
    expect(formatResult(result)).toContain(
      '  copied   0 blobs (0 B), 2 mounted (0 bytes uploaded for them), 0 already there; 1 manifest\n',
    );
    await expectPullable(`${app}-staging`, image, '2.0.0');
    expect(warnings).toEqual([]);
  });
});
