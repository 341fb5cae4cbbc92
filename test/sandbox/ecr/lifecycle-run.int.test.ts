import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { sandboxAdmin } from '../../support/admin.ts';
import { pushImage } from '../../support/images.ts';
import { awsClientConfig } from '../../support/sandbox.ts';
import {
  detailsOf,
  ecrEventQueue,
  indexOf,
  type PushableImage,
  referrerOf,
  uniqueImage,
} from './lifecycle-fixtures.ts';

/**
 * `POST /_sandbox/lifecycle/run`: the emulator applies lifecycle policies as ECR's daily run does. Time-based
 * rules need the sandbox clock moved by months, and a run without a body acts on every repository, so this file
 * runs its own sandbox instead of the run-wide one other test files share.
 */

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'archive releases nobody pulled for 30 days',
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['release-*'],
        countType: 'sinceImagePulled',
        countUnit: 'days',
        countNumber: 30,
      },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    {
      rulePriority: 2,
      description: 'expire untagged images after 10 days',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 10 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 3,
      description: 'delete what has been in the archive for 90 days',
      selection: {
        tagStatus: 'any',
        storageClass: 'archive',
        countType: 'sinceImageTransitioned',
        countUnit: 'days',
        countNumber: 90,
      },
      action: { type: 'expire' },
    },
  ],
});

let sandbox: Sandbox;
let ecr: ECRClient;
let admin: ReturnType<typeof sandboxAdmin>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  admin = sandboxAdmin(sandbox.url);
});

afterAll(async () => {
  ecr?.destroy();
  await sandbox?.stop();
});

interface RunAnswer {
  repositories: Array<{
    registryId: string;
    repositoryName: string;
    expired: string[];
    transitioned: string[];
  }>;
}

const setClock = (ms: number) => admin('POST', 'clock', { now: new Date(ms).toISOString() });
const run = async (body?: unknown) => (await admin('POST', 'lifecycle/run', body)) as RunAnswer;

describe('POST /_sandbox/lifecycle/run', () => {
  const repositoryName = 'lifecycle/app';
  let releaseOld: PushableImage;
  let releasePulled: PushableImage;
  let untagged: PushableImage;
  let children: PushableImage[];
  let index: string;
  let untaggedSbom: string;
  let releaseSbom: string;

  beforeAll(async () => {
    await setClock(T0);
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    releaseOld = uniqueImage();
    releasePulled = uniqueImage();
    untagged = uniqueImage();
    children = [uniqueImage(), uniqueImage()];
    await pushImage(ecr, repositoryName, releaseOld, 'release-1');
    await pushImage(ecr, repositoryName, releasePulled, 'release-2');
    await pushImage(ecr, repositoryName, untagged);
    for (const child of children) await pushImage(ecr, repositoryName, child);
    const multi = indexOf(children);
    await pushImage(ecr, repositoryName, multi, 'multi');
    index = multi.digest;
    const sbomOfUntagged = referrerOf(untagged);
    await pushImage(ecr, repositoryName, sbomOfUntagged);
    untaggedSbom = sbomOfUntagged.digest;
    const sbomOfRelease = referrerOf(releaseOld);
    await pushImage(ecr, repositoryName, sbomOfRelease);
    releaseSbom = sbomOfRelease.digest;
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: POLICY }));
    // release-2 is pulled on day 25, so on day 31 it is 6 days since its last pull.
    await setClock(T0 + 25 * DAY);
    await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'release-2' }] }));
  });

  const statusOf = async () => {
    const { imageDetails = [] } = await ecr.send(
      new DescribeImagesCommand({ repositoryName, filter: { imageStatus: 'ANY' } }),
    );
    return new Map(imageDetails.map((d) => [d.imageDigest as string, d.imageStatus]));
  };

  it('expires and archives what the policy says, keeps an index’s children, and referrers follow their subject', async () => {
    // Prepare
    const events = await ecrEventQueue(awsClientConfig(sandbox.url), repositoryName);
    await setClock(T0 + 31 * DAY);
    // Act
    const answer = await run();
    // Assess: the untagged image expired (its children-of-an-index neighbours are held by the index), the
    // unpulled release archived; their SBOMs went the same way
    expect(answer.repositories).toEqual([
      {
        registryId: '123456789012',
        repositoryName,
        expired: [untagged.digest, untaggedSbom],
        transitioned: [releaseOld.digest, releaseSbom],
      },
    ]);
    const status = await statusOf();
    expect(status.has(untagged.digest)).toBe(false);
    expect(status.has(untaggedSbom)).toBe(false);
    expect(status.get(releaseOld.digest)).toBe('ARCHIVED');
    expect(status.get(releaseSbom)).toBe('ARCHIVED');
    expect(status.get(releasePulled.digest)).toBe('ACTIVE');
    expect(children.map((c) => status.get(c.digest))).toEqual(['ACTIVE', 'ACTIVE']);
    expect(status.get(index)).toBe('ACTIVE');
    const policy = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }));
    expect(policy.lastEvaluatedAt?.getTime()).toBeGreaterThanOrEqual(T0 + 31 * DAY);
    // The same events BatchDeleteImage and UpdateImageStorageClass emit
    const received = detailsOf(await events.read({ until: (got) => got.length >= 4 }));
    events.close();
    expect(received).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          'detail-type': 'ECR Image Action',
          'action-type': 'DELETE',
          'image-digest': untagged.digest,
        }),
        expect.objectContaining({
          'detail-type': 'ECR Image Action',
          'action-type': 'DELETE',
          'image-digest': untaggedSbom,
        }),
        expect.objectContaining({
          'detail-type': 'ECR Image Action',
          'action-type': 'UPDATE_STORAGE_CLASS',
          'target-storage-class': 'ARCHIVE',
          'image-digest': releaseOld.digest,
        }),
        expect.objectContaining({
          'detail-type': 'ECR Referrer Action',
          'action-type': 'UPDATE_STORAGE_CLASS',
          'target-storage-class': 'ARCHIVE',
          'image-digest': releaseSbom,
        }),
      ]),
    );
    expect(received).toHaveLength(4);
  });

  it('expires from the archive after 90 days, and an index’s children once the index is gone', async () => {
    // Prepare: the index deleted by hand; 91 days after the archive
    await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: index }] }));
    await setClock(T0 + 122 * DAY);
    // Act
    const answer = await run({ repositoryName });
    // Assess
    const [outcome] = answer.repositories;
    expect(new Set(outcome?.expired)).toEqual(
      new Set([releaseOld.digest, releaseSbom, ...children.map((c) => c.digest)]),
    );
    // release-2 was last pulled 97 days ago: now it goes to the archive
    expect(outcome?.transitioned).toEqual([releasePulled.digest]);
    expect([...(await statusOf())]).toEqual([[releasePulled.digest, 'ARCHIVED']]);
  });

  it('refuses a named repository without a lifecycle policy and a bad registry id', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'no-policy' }));
    const unknown = await fetch(`${sandbox.url}/_sandbox/lifecycle/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repositoryName: 'no-policy' }),
    });
    const badRegistry = await fetch(`${sandbox.url}/_sandbox/lifecycle/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ registryId: 'me' }),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain('no-policy');
    expect(badRegistry.status).toBe(400);
    expect(((await badRegistry.json()) as { message: string }).message).toContain('registryId');
    expect(await run({ registryId: '210987654321', region: 'eu-west-1' })).toEqual({ repositories: [] });
  });
});
