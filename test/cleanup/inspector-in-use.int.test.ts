import {
  CreateRepositoryCommand,
  ECRClient,
  PutImageCommand,
  PutRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectorInUse } from '../../src/cleanup/adapters/inspector-in-use.ts';
import type { SignalReport } from '../../src/cleanup/ports.ts';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/server.ts';
import { sha256Digest } from '../../src/shared/ecr/digest.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The Inspector signal against the sandbox's ListCoverage stand-in: images pushed to the ECR emulator, in-use data
 * set with `POST /_sandbox/inspector/in-use`. A Region no other test uses, so turning on enhanced scanning in its
 * registry changes nothing for them.
 */

const REGION = 'ap-northeast-3';
const registry = { accountId: SANDBOX_ACCOUNT_ID, region: REGION };
const DAY = 86_400_000;
const now = new Date();

const ecr = new ECRClient({ ...awsClientConfig(), region: REGION });
const inspector = new Inspector2Client({ ...awsClientConfig(), region: REGION });

const prefix = uniqueName('scanned');
const covered = `${prefix}-web`;
const busy = `${prefix}-batch`;
const notCovered = uniqueName('basic');
const digests: Record<string, string> = {};

async function push(repositoryName: string, seed: string): Promise<string> {
  const { imageDigest } = await pushImage(
    ecr,
    repositoryName,
    sampleImage(`${repositoryName}/${seed}`),
    seed,
  );
  digests[seed] = imageDigest;
  return imageDigest;
}

async function inUse(repositoryName: string, imageDigest: string, use: object): Promise<void> {
  const answer = await admin('POST', '/inspector/in-use', {
    region: REGION,
    repositoryName,
    imageDigest,
    ...use,
  });
  expect(answer.status).toBe(201);
}

beforeAll(async () => {
  await ecr.send(
    new PutRegistryScanningConfigurationCommand({
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: `${prefix}*`, filterType: 'WILDCARD' }],
        },
      ],
    }),
  );
  for (const name of [covered, busy, notCovered])
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  await inUse(covered, await push(covered, 'running'), { inUseCount: 2 });
  await inUse(covered, await push(covered, 'recent'), {
    inUseCount: 0,
    lastInUseAt: new Date(now.getTime() - 3 * DAY).toISOString(),
  });
  await inUse(covered, await push(covered, 'stale'), {
    inUseCount: 0,
    lastInUseAt: new Date(now.getTime() - 30 * DAY).toISOString(),
  });
  await push(covered, 'never');
  // Not covered by an enhanced rule: Inspector knows nothing of it, whatever is recorded.
  await inUse(notCovered, await push(notCovered, 'basic'), { inUseCount: 5 });
  // More images than one ListCoverage page (200); in use, the one whose resource id sorts last (the stand-in
  // orders by resource id): it is on the second page.
  // One image's blobs, then 200 more manifests naming the same blobs (an annotation makes each one distinct).
  const base = sampleImage(`${busy}/job`);
  const jobs = [(await pushImage(ecr, busy, base, 'job-0')).imageDigest];
  for (let n = 1; n <= 200; n += 10) {
    const batch = Array.from({ length: Math.min(10, 201 - n) }, async (_, i) => {
      const manifest = JSON.stringify({ ...JSON.parse(base.manifest), annotations: { job: String(n + i) } });
      await ecr.send(
        new PutImageCommand({
          repositoryName: busy,
          imageManifest: manifest,
          imageManifestMediaType: base.mediaType,
        }),
      );
      return sha256Digest(manifest);
    });
    jobs.push(...(await Promise.all(batch)));
  }
  digests.lastJob = jobs.sort().at(-1) as string;
  await inUse(busy, digests.lastJob, { inUseCount: 1 });
});

afterAll(() => {
  ecr.destroy();
  inspector.destroy();
});

describe('the Inspector protection signal', () => {
  it('protects images Inspector sees in use now or within the window, by digest', async () => {
    // Prepare
    const signal = inspectorInUse(inspector, { withinDays: 7, registry });

    // Act
    const report = await signal.read({ repositories: [covered, notCovered], now });

    // Assess
    expect(report.doubts).toEqual([]);
    expect(report.uses).toHaveLength(2);
    expect(report.uses).toContainEqual({
      repositoryName: covered,
      digest: digests.running,
      reason: 'Amazon Inspector: in use by 2 ECS task(s) or EKS pod(s)',
    });
    expect(report.uses).toContainEqual({
      repositoryName: covered,
      digest: digests.recent,
      reason: expect.stringMatching(/^Amazon Inspector: last in use .* \(within 7 days\)$/),
    });
  });

  it('reads every page of the coverage', async () => {
    // Prepare
    const signal = inspectorInUse(inspector, { withinDays: 7, registry });
    const before = (await admin('GET', '/requests')).body as { inspector2?: Record<string, number> };

    // Act
    const report = await signal.read({ repositories: [busy], now });

    // Assess: 201 images of `busy` in pages of 200; the one in use is on the second.
    const after = (await admin('GET', '/requests')).body as { inspector2?: Record<string, number> };
    expect(report.uses.map((u) => u.digest)).toEqual([digests.lastJob]);
    expect(
      (after.inspector2?.ListCoverage ?? 0) - (before.inspector2?.ListCoverage ?? 0),
    ).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['AccessDeniedException', 403],
    ['ThrottlingException', 429],
  ])(
    'reports a doubt per repository asked, not a throw, when Inspector answers %s',
    async (error, status) => {
      // Prepare
      const signal = inspectorInUse(inspector, { withinDays: 7, registry });
      const rule = (
        await admin('POST', '/faults', {
          service: 'inspector2',
          action: 'ListCoverage',
          error,
          status,
          times: 1,
        })
      ).body as { id: string };

      // Act
      let report: SignalReport;
      try {
        report = await signal.read({ repositories: [covered, busy], now });
      } finally {
        await admin('DELETE', `/faults/${rule.id}`);
      }

      // Assess
      expect(report.uses).toEqual([]);
      expect(report.doubts.map((d) => [d.signal, d.repositoryName])).toEqual([
        ['inspector', covered],
        ['inspector', busy],
      ]);
      expect(report.doubts[0]?.reason).toContain(error);
    },
  );

  it('refuses in-use data that names no image', async () => {
    const answer = await admin('POST', '/inspector/in-use', {
      repositoryName: covered,
      imageDigest: 'latest',
    });
    expect(answer).toEqual({
      status: 400,
      body: { message: '"imageDigest" must be a digest like sha256:<hex>' },
    });
  });
});
