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
import type { Promotion } from '../../src/promotion/domain/promotion.ts';
import { PromotionConflictError } from '../../src/promotion/errors.ts';
import type { PromotionEvent } from '../../src/promotion/ports.ts';
import { PromotionRequestError, promotions } from '../../src/promotion/promote.ts';
import { dynamoVerdicts } from '../../src/scan-gate/index.ts';
import type { Clock } from '../../src/shared/clock.ts';
import { type ImageToPush, pushImage, sampleImage } from '../support/images.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';
import { scanCompleted } from '../support/scans.ts';
import { createSentinelTable } from '../support/table.ts';

/**
 * The promote, approve and reject use cases against the sandbox, through the real adapters (ECR emulator,
 * DynamoDB in moto): gate with the target's policy, records, approval, copies. Announcements are recorded.
 */

const CONFIG = `
version: 1
environments:
  - name: dev
  - name: staging
  - name: prod
    requiresApproval: true
scanGate:
  defaults:
    thresholds: { CRITICAL: 0, HIGH: 0 }
  environments:
    dev:
      thresholds: { HIGH: 5 }
`;

// With the SDK's default retries, as deployed: moto answers a few concurrent transactions on one item with a 500
// (its HTML error page), which the SDK retries as it would AWS's InternalServerError.
const client = new DynamoDBClient({ ...awsClientConfig(), maxAttempts: 3 });
const doc = DynamoDBDocumentClient.from(client);
const ecr = new ECRClient(awsClientConfig());
const tableName = uniqueName('promote');
const registries = awsRegistries(awsClientConfig());
const announced: Array<{ event: PromotionEvent; id: string }> = [];
const warnings: string[] = [];

function useCases(clock: Clock = { now: () => new Date() }, configText = CONFIG) {
  return promotions({
    config: parseConfig(configText),
    home: { accountId: '123456789012', region: 'us-east-1' },
    store: dynamoPromotions(doc, tableName),
    registries,
    verdicts: dynamoVerdicts(doc, tableName),
    announcer: {
      async announce(event, promotion) {
        announced.push({ event, id: promotion.id });
      },
    },
    clock,
    randomBytes: () => randomBytes(10),
    warn: (message) => warnings.push(message),
  });
}

/** A fresh image of a new app in its dev repository, scanned with `found` findings (the catalogue's). */
async function devImage(
  found: Array<{ name: string; severity: 'HIGH' | 'CRITICAL' }> = [],
  options: { scan?: boolean } = {},
) {
  const app = uniqueName('app');
  const repositoryName = `${app}-dev`;
  await ecr.send(
    new CreateRepositoryCommand({
      repositoryName,
      imageScanningConfiguration: { scanOnPush: options.scan ?? true },
    }),
  );
  const image: ImageToPush = sampleImage(`${app}-${randomBytes(4).toString('hex')}`);
  if (options.scan ?? true) {
    expect(
      (await admin('POST', 'findings', { repositoryName, imageTag: '1.0.0', findings: found })).status,
    ).toBe(201);
  }
  const { imageDigest } = await pushImage(ecr, repositoryName, image, '1.0.0');
  if (options.scan ?? true) {
    await scanCompleted(ecr, repositoryName, imageDigest);
  }
  return { app, imageDigest };
}

async function manifestOf(repositoryName: string, imageTag: string) {
  const out = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag }] }));
  return out.images?.[0];
}

beforeAll(async () => {
  await createSentinelTable(client, tableName);
});

afterAll(() => {
  registries.destroy();
  ecr.destroy();
  doc.destroy();
});

describe('promote', () => {
  it('copies dev → staging by digest, records it, and answers the same request with the same promotion', async () => {
    // Prepare
    const { app, imageDigest } = await devImage();
    const { promote } = useCases();

    // Act
    const first = await promote({ app, version: '1.0.0', to: 'staging', by: 'alice' });
    const again = await promote({ app, version: '1.0.0', to: 'staging', by: 'alice' });

    // Assert
    expect(first).toMatchObject({
      outcome: 'completed',
      existing: false,
      promotion: { status: 'COMPLETED', digest: imageDigest },
    });
    expect(first.promotion.copy).toMatchObject({
      repositoryCreated: true,
      alreadyPresent: false,
      manifestsPut: 1,
    });
    // Uploaded: BLOB_MOUNTING is off in the shared sandbox (test/promotion/blob-mount.int.test.ts mounts).
    const { blobsCopied = 0, blobsMounted = 0 } = first.promotion.copy ?? {};
    expect([blobsCopied > 0, blobsMounted]).toEqual([true, 0]);
    const source = await manifestOf(`${app}-dev`, '1.0.0');
    const target = await manifestOf(`${app}-staging`, '1.0.0');
    expect(target?.imageId?.imageDigest).toBe(imageDigest);
    expect(target?.imageManifest).toBe(source?.imageManifest);
    expect(again).toMatchObject({
      outcome: 'completed',
      existing: true,
      promotion: { id: first.promotion.id },
    });
    expect(await dynamoPromotions(doc, tableName).releases(app)).toEqual([
      expect.objectContaining({
        environment: 'staging',
        digest: imageDigest,
        promotedBy: 'alice',
        gateStatus: 'PASS',
      }),
    ]);
    expect((await dynamoVerdicts(doc, tableName).latest(`${app}-staging`, imageDigest))?.status).toBe('PASS');
    expect(announced).toContainEqual({ event: 'completed', id: first.promotion.id });
  }, 60_000);

  it("refuses what passes dev's limits but not the target's, naming the blocking CVEs, and records it", async () => {
    // Prepare
    const { app, imageDigest } = await devImage([{ name: 'CVE-2026-0001', severity: 'HIGH' }]);
    const { promote } = useCases();

    // Act
    const result = await promote({ app, version: '1.0.0', to: 'staging', by: 'alice' });

    // Assert
    expect(result.outcome).toBe('refused');
    expect(result.promotion).toMatchObject({
      status: 'FAILED',
      reason: `${app}-staging's policy says FAIL: 1 HIGH (max 0) (blocking: CVE-2026-0001)`,
      gate: { status: 'FAIL', blocking: ['CVE-2026-0001'], scannedRepository: `${app}-dev` },
    });
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: `${app}-staging`, imageIds: [{ imageDigest }] })),
    ).rejects.toThrow();
    expect((await dynamoVerdicts(doc, tableName).latest(`${app}-staging`, imageDigest))?.status).toBe('FAIL');
  }, 60_000);

  it("lets staging take a finding within its limits, and refuses the prod promotion over prod's", async () => {
    // Prepare: HIGH findings allowed up to 5 in dev and staging, none in prod (the defaults).
    const lenientUntilProd = `${CONFIG}    staging:\n      thresholds: { HIGH: 5 }\n`;
    const finding = { name: 'CVE-2026-0002', severity: 'HIGH' as const };
    const { app, imageDigest } = await devImage([finding]);
    // The copy in staging is scanned on push too, and its scan (the newest) must find what dev's found.
    const staged = { repositoryName: `${app}-staging`, imageDigest, findings: [finding] };
    expect((await admin('POST', 'findings', staged)).status).toBe(201);
    const { promote } = useCases(undefined, lenientUntilProd);

    // Act
    const staging = await promote({ app, version: '1.0.0', to: 'staging', by: 'alice' });
    const prod = await promote({ app, version: '1.0.0', to: 'prod', by: 'alice' });

    // Assert
    expect(staging).toMatchObject({ outcome: 'completed', promotion: { digest: imageDigest } });
    expect(prod.outcome).toBe('refused');
    expect(prod.promotion.reason).toBe(
      `${app}-prod's policy says FAIL: 1 HIGH (max 0) (blocking: CVE-2026-0002)`,
    );
  }, 60_000);

  it('refuses an image nobody scanned, and one whose scan is too old', async () => {
    // Prepare
    const unscanned = await devImage([], { scan: false });
    const scanned = await devImage();
    const eightDaysOn: Clock = { now: () => new Date(Date.now() + 8 * 86_400_000) };

    // Act
    const never = await useCases().promote({
      app: unscanned.app,
      version: '1.0.0',
      to: 'staging',
      by: 'alice',
    });
    const stale = await useCases(eightDaysOn).promote({
      app: scanned.app,
      version: '1.0.0',
      to: 'staging',
      by: 'alice',
    });

    // Assert
    expect(never.outcome).toBe('refused');
    expect(never.promotion.reason).toMatch(/^no completed scan: /);
    expect(stale.outcome).toBe('refused');
    expect(stale.promotion.reason).toMatch(/is 8 days old, more than promotion.maxScanAgeDays \(7\)/);
  }, 60_000);

  it('names the repository and tag when the tag does not exist', async () => {
    const { app } = await devImage([], { scan: false });
    await expect(useCases().promote({ app, version: '9.9.9', to: 'staging', by: 'alice' })).rejects.toThrow(
      new PromotionRequestError(`no image tagged 9.9.9 in ${app}-dev (dev, account 123456789012, us-east-1)`),
    );
  }, 30_000);

  it('makes one promotion of concurrent identical requests', async () => {
    // Prepare
    const { app } = await devImage();
    const { promote } = useCases();

    // Act
    const results = await Promise.all(
      Array.from({ length: 3 }, () => promote({ app, version: '1.0.0', to: 'staging', by: 'alice' })),
    );

    // Assert
    expect(new Set(results.map((r) => r.promotion.id)).size).toBe(1);
    expect(results.filter((r) => !r.existing)).toHaveLength(1);
    expect(await dynamoPromotions(doc, tableName).list({ app })).toHaveLength(1);
  }, 60_000);
});

describe('approval into prod', () => {
  async function pendingInProd(): Promise<{ app: string; pending: Promotion }> {
    const { app } = await devImage();
    const cases = useCases();
    await cases.promote({ app, version: '1.0.0', to: 'staging', by: 'alice' });
    const { promotion } = await cases.promote({ app, version: '1.0.0', to: 'prod', by: 'alice' });
    return { app, pending: promotion };
  }

  it('waits for a second person, refuses the requester, then copies on approval', async () => {
    // Prepare
    const { app, pending } = await pendingInProd();
    const { approve } = useCases();

    // Act
    const own = await approve(pending.id, 'ALICE').catch((error: unknown) => error);
    const approved = await approve(pending.id, 'bob');

    // Assert
    expect(pending).toMatchObject({ status: 'PENDING_APPROVAL', requiresApproval: true });
    expect(announced).toContainEqual({ event: 'pending-approval', id: pending.id });
    expect(own).toBeInstanceOf(PromotionConflictError);
    expect((own as Error).message).toBe(
      `ALICE requested promotion ${pending.id} and can't approve it: a second person must`,
    );
    expect(approved).toMatchObject({
      outcome: 'completed',
      promotion: { status: 'COMPLETED', approvedBy: 'bob' },
    });
    expect((await manifestOf(`${app}-prod`, '1.0.0'))?.imageId?.imageDigest).toBe(pending.digest);
  }, 60_000);

  it('lets one of two concurrent approvals win', async () => {
    // Prepare
    const { pending } = await pendingInProd();
    const { approve } = useCases();

    // Act
    const outcomes = await Promise.allSettled([approve(pending.id, 'bob'), approve(pending.id, 'carol')]);

    // Assert
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(PromotionConflictError);
  }, 60_000);

  it('rejects with a reason, after which a new request makes a new promotion', async () => {
    // Prepare
    const { app, pending } = await pendingInProd();
    const cases = useCases();

    // Act
    const rejected = await cases.reject(pending.id, 'carol', 'release freeze');
    const again = await cases.promote({ app, version: '1.0.0', to: 'prod', by: 'alice' });

    // Assert
    expect(rejected.promotion).toMatchObject({
      status: 'REJECTED',
      rejectedBy: 'carol',
      reason: 'release freeze',
    });
    expect(again).toMatchObject({ outcome: 'pending-approval', existing: false });
    expect(again.promotion.id).not.toBe(pending.id);
  }, 60_000);

  it('refuses an approval after approvalTtlHours, and records the promotion EXPIRED', async () => {
    // Prepare
    const { pending } = await pendingInProd();
    const fourDaysOn: Clock = { now: () => new Date(Date.now() + 4 * 86_400_000) };

    // Act
    const late = useCases(fourDaysOn).approve(pending.id, 'bob');

    // Assert
    await expect(late).rejects.toThrow(
      `promotion ${pending.id} expired at ${pending.expiresAt}: request it again`,
    );
    expect((await dynamoPromotions(doc, tableName).get(pending.id))?.status).toBe('EXPIRED');
  }, 60_000);
});
