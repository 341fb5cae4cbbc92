import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxUrl, uniqueName } from '../../support/sandbox.ts';

const run = promisify(execFile);
const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const CONFIG = '{"architecture":"arm64","os":"linux"}';
const LAYER = Buffer.from('cli-layer-bytes-'.repeat(64));

function manifest(variant: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: CONFIG.length,
      digest: sha256(CONFIG),
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: LAYER.length, digest: sha256(LAYER) },
    ],
    annotations: { variant },
  });
}

/** Run `aws ecr ...` against the sandbox; resolves the parsed JSON output, rejects with stderr on failure. */
async function awsEcr(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('aws', ['ecr', ...args, '--endpoint-url', sandboxUrl(), '--output', 'json'], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_MAX_ATTEMPTS: '1',
    },
  });
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
}

/** The error code the CLI printed (e.g. `ImageAlreadyExistsException`). */
async function awsEcrError(...args: string[]): Promise<string> {
  try {
    await awsEcr(...args);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr);
    return /\((\w+)\)/.exec(stderr)?.[1] ?? stderr;
  }
  throw new Error(`aws ecr ${args.join(' ')} unexpectedly succeeded`);
}

// Every step runs the AWS CLI (1–4 s a call on a loaded 2-core machine), a dozen calls in a test.
describe('ECR emulator through the AWS CLI', { timeout: 120_000 }, () => {
  const repo = uniqueName('cli');
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-cli-'));
    await awsEcr('create-repository', '--repository-name', repo);
  });

  afterAll(async () => {
    await awsEcr('delete-repository', '--repository-name', repo, '--force').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  /** Arguments of `aws ecr upload-layer-part` for bytes first..last of the file `name` in the temp dir. */
  const uploadPart = (uploadId: string, first: string, last: string, name: string) => [
    'upload-layer-part',
    '--repository-name',
    repo,
    '--upload-id',
    uploadId,
    '--part-first-byte',
    first,
    '--part-last-byte',
    last,
    '--layer-part-blob',
    `fileb://${join(dir, name)}`,
  ];
  const completeUpload = (uploadId: string, digest: string) => [
    'complete-layer-upload',
    '--repository-name',
    repo,
    '--upload-id',
    uploadId,
    '--layer-digests',
    digest,
  ];

  it('uploads layers in parts and verifies their digest', async () => {
    // Prepare
    const half = LAYER.length / 2;
    await writeFile(join(dir, 'part1'), LAYER.subarray(0, half));
    await writeFile(join(dir, 'part2'), LAYER.subarray(half));
    await writeFile(join(dir, 'config'), CONFIG);
    // Act: the config in one part
    const config = await awsEcr('initiate-layer-upload', '--repository-name', repo);
    await awsEcr(...uploadPart(String(config.uploadId), '0', String(CONFIG.length - 1), 'config'));
    const configDone = await awsEcr(...completeUpload(String(config.uploadId), sha256(CONFIG)));
    // Act: the layer in two parts, the first out of order once
    const layer = await awsEcr('initiate-layer-upload', '--repository-name', repo);
    const uploadId = String(layer.uploadId);
    const gap = await awsEcrError(...uploadPart(uploadId, String(half), String(LAYER.length - 1), 'part2'));
    await awsEcr(...uploadPart(uploadId, '0', String(half - 1), 'part1'));
    const single = await awsEcr(...uploadPart(uploadId, String(half), String(LAYER.length - 1), 'part2'));
    // The 5 MiB minimum applies to every part but the last, so two small parts are refused at completion.
    const tooSmall = await awsEcrError(...completeUpload(uploadId, sha256(LAYER)));
    // Act: the layer again in one part
    const retry = await awsEcr('initiate-layer-upload', '--repository-name', repo);
    await writeFile(join(dir, 'layer'), LAYER);
    await awsEcr(...uploadPart(String(retry.uploadId), '0', String(LAYER.length - 1), 'layer'));
    const done = await awsEcr(...completeUpload(String(retry.uploadId), sha256(LAYER)));
    const check = await awsEcr(
      'batch-check-layer-availability',
      '--repository-name',
      repo,
      '--layer-digests',
      sha256(LAYER),
    );
    // Assess
    expect(configDone.layerDigest).toBe(sha256(CONFIG));
    expect(gap).toBe('InvalidLayerPartException');
    expect(single.lastByteReceived).toBe(LAYER.length - 1);
    expect(tooSmall).toBe('LayerPartTooSmallException');
    expect(done.layerDigest).toBe(sha256(LAYER));
    expect(check.layers).toEqual([
      { layerDigest: sha256(LAYER), layerAvailability: 'AVAILABLE', layerSize: LAYER.length },
    ]);
  });

  it('puts, describes and lists images; a second push of the same tag is ImageAlreadyExistsException', async () => {
    // Act
    const put = await awsEcr(
      'put-image',
      '--repository-name',
      repo,
      '--image-tag',
      'v1',
      '--image-manifest',
      manifest('a'),
      '--image-manifest-media-type',
      'application/vnd.oci.image.manifest.v1+json',
    );
    await awsEcr(
      'put-image',
      '--repository-name',
      repo,
      '--image-tag',
      'v1',
      '--image-manifest',
      manifest('b'),
    );
    const again = await awsEcrError(
      'put-image',
      '--repository-name',
      repo,
      '--image-tag',
      'v1',
      '--image-manifest',
      manifest('b'),
    );
    const described = await awsEcr('describe-images', '--repository-name', repo);
    const listed = await awsEcr('list-images', '--repository-name', repo, '--filter', 'tagStatus=UNTAGGED');
    // Assess
    expect((put.image as { imageId: { imageDigest: string } }).imageId.imageDigest).toBe(
      sha256(manifest('a')),
    );
    expect(again).toBe('ImageAlreadyExistsException');
    const details = described.imageDetails as Array<{
      imageDigest: string;
      imageTags?: string[];
      imagePushedAt: unknown;
    }>;
    expect(details.map((d) => [d.imageDigest, d.imageTags])).toEqual([
      [sha256(manifest('a')), undefined],
      [sha256(manifest('b')), ['v1']],
    ]);
    expect(listed.imageIds).toEqual([{ imageDigest: sha256(manifest('a')) }]);
  });

  it('pages describe-images with --max-items and --starting-token', async () => {
    const page = await awsEcr('describe-images', '--repository-name', repo, '--max-items', '1');
    const next = await awsEcr(
      'describe-images',
      '--repository-name',
      repo,
      '--max-items',
      '1',
      '--starting-token',
      String(page.NextToken),
    );
    expect((page.imageDetails as unknown[]).length).toBe(1);
    expect((next.imageDetails as Array<{ imageDigest: string }>)[0]?.imageDigest).toBe(sha256(manifest('b')));
  });

  it('deletes with batch-delete-image, reporting failures per item', async () => {
    const result = await awsEcr(
      'batch-delete-image',
      '--repository-name',
      repo,
      '--image-ids',
      'imageTag=v1',
      'imageTag=absent',
    );
    expect(result.imageIds).toEqual([{ imageDigest: sha256(manifest('b')), imageTag: 'v1' }]);
    expect((result.failures as Array<{ failureCode: string }>)[0]?.failureCode).toBe('ImageNotFound');
  });
});
