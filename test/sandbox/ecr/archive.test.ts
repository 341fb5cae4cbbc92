import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { RESTORE_DELAY_MS } from '../../../src/sandbox/ecr/archive.ts';
import { makeEmulator, sha256, type TestEmulator } from './fixtures.ts';

/** The archive storage class and the lifecycle preview in-process, with a fake clock (no sandbox, no moto). */

const LAYER = sha256('layer-bytes-0123456789');
let t: TestEmulator;
beforeEach(async () => {
  t = await makeEmulator();
});

const archive = (imageTag: string, targetStorageClass = 'ARCHIVE') =>
  t.call('UpdateImageStorageClass', { repositoryName: 'app', imageId: { imageTag }, targetStorageClass });
const statusOf = async (digest: string) =>
  (
    await t.ok('DescribeImages', {
      repositoryName: 'app',
      imageIds: [{ imageDigest: digest }],
    })
  ).imageDetails[0].imageStatus as string;

describe('UpdateImageStorageClass', () => {
  it('keeps an image ACTIVATING for RESTORE_DELAY_MS of the sandbox clock, then makes it ACTIVE', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const digest = await t.pushImage('app', 'a', 'v1');
    await archive('v1');
    // Act
    const restore = await archive('v1', 'STANDARD');
    t.clock.advance(RESTORE_DELAY_MS - 1);
    const before = await statusOf(digest);
    t.clock.advance(1);
    const after = await statusOf(digest);
    // Assess
    expect(restore.body.imageStatus).toBe('ACTIVATING');
    expect(before).toBe('ACTIVATING');
    expect(after).toBe('ACTIVE');
    const pulled = await t.ok('BatchGetImage', { repositoryName: 'app', imageIds: [{ imageTag: 'v1' }] });
    expect(pulled.images).toHaveLength(1);
  });

  it('archives once (a second archive changes nothing) and refuses to archive an image being restored', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a', 'v1');
    t.events.length = 0;
    // Act
    const first = await archive('v1');
    const second = await archive('v1');
    await archive('v1', 'STANDARD');
    const whileRestoring = await archive('v1');
    // Assess
    expect([first.body.imageStatus, second.body.imageStatus]).toEqual(['ARCHIVED', 'ARCHIVED']);
    expect(whileRestoring.body.__type).toBe('ImageStorageClassUpdateNotSupportedException');
    expect(t.events.map((e) => JSON.parse(e.Detail)['target-storage-class'])).toEqual([
      'ARCHIVE',
      'STANDARD',
    ]);
  });

  it('keeps a layer downloadable while an active image still uses it', async () => {
    // Prepare: two images sharing the fixture's layer
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a', 'v1');
    await t.pushImage('app', 'b', 'v2');
    // Act
    await archive('v1');
    const shared = await t.call('GetDownloadUrlForLayer', { repositoryName: 'app', layerDigest: LAYER });
    await archive('v2');
    const archived = await t.call('GetDownloadUrlForLayer', { repositoryName: 'app', layerDigest: LAYER });
    // Assess
    expect(shared.status).toBe(200);
    expect(archived.body.__type).toBe('LayerInaccessibleException');
  });

  it('keeps storage class, status and archive time in the saved state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecr-archive-state-'));
    try {
      // Prepare
      const first = await makeEmulator({ stateDir: dir });
      await first.createRepoWithBlobs('app');
      const digest = await first.pushImage('app', 'a', 'v1');
      await first.ok('UpdateImageStorageClass', {
        repositoryName: 'app',
        imageId: { imageDigest: digest },
        targetStorageClass: 'ARCHIVE',
      });
      await first.emulator.close();
      // Act
      const second = await makeEmulator({ stateDir: dir });
      const listed = await second.ok('DescribeImages', {
        repositoryName: 'app',
        filter: { imageStatus: 'ARCHIVED' },
      });
      const layer = await second.call('GetDownloadUrlForLayer', {
        repositoryName: 'app',
        layerDigest: LAYER,
      });
      // Assess
      expect(listed.imageDetails).toEqual([
        expect.objectContaining({
          imageDigest: digest,
          imageStatus: 'ARCHIVED',
          lastArchivedAt: expect.any(Number),
        }),
      ]);
      expect(layer.body.__type).toBe('LayerInaccessibleException');
      await second.emulator.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('lifecycle policy preview', () => {
  const policy = JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: 'keep one image whatever its tags are',
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
        action: { type: 'expire' },
      },
    ],
  });

  it('refuses the nextToken of an earlier preview of the repository', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    for (const variant of ['a', 'b', 'c']) await t.pushImage('app', variant);
    await t.ok('StartLifecyclePolicyPreview', { repositoryName: 'app', lifecyclePolicyText: policy });
    const page = await t.ok('GetLifecyclePolicyPreview', { repositoryName: 'app', maxResults: 1 });
    // Act
    await t.ok('StartLifecyclePolicyPreview', { repositoryName: 'app', lifecyclePolicyText: policy });
    const stale = await t.fail('GetLifecyclePolicyPreview', {
      repositoryName: 'app',
      nextToken: page.nextToken,
    });
    // Assess
    expect(page.previewResults).toHaveLength(1);
    expect(stale.type).toBe('InvalidParameterException');
  });

  it('leaves an image being restored out of the evaluation', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'a', 'v1');
    await t.pushImage('app', 'b', 'v2');
    await archive('v1');
    await archive('v1', 'STANDARD');
    // Act
    await t.ok('StartLifecyclePolicyPreview', { repositoryName: 'app', lifecyclePolicyText: policy });
    const preview = await t.ok('GetLifecyclePolicyPreview', { repositoryName: 'app' });
    // Assess: v2 is the one image kept, v1 is not a candidate while ACTIVATING
    expect(preview.previewResults).toEqual([]);
    expect(preview.summary).toEqual({ expiringImageTotalCount: 0 });
  });
});
