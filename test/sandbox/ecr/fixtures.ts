import { createHash } from 'node:crypto';
import type { EventEntry } from '../../../src/sandbox/contracts.ts';
import { createEcrEmulator } from '../../../src/sandbox/ecr/index.ts';

/** A settable clock, like the sandbox's. */
export class FakeClock {
  current = new Date('2025-01-15T10:00:00.000Z');
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export function sha256(data: string | Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * An in-process emulator with a fake clock and collected events, plus helpers to call it like a client.
 * `events` are ECR's own (image actions, scans); the CloudTrail records of API calls are kept apart in `trail`.
 */
export async function makeEmulator(options: { stateDir?: string; scanDelayMs?: number } = {}) {
  const clock = new FakeClock();
  const events: EventEntry[] = [];
  const trail: EventEntry[] = [];
  const emulator = await createEcrEmulator({
    clock,
    accountId: ACCOUNT,
    region: REGION,
    publicUrl: () => 'http://127.0.0.1:4566',
    emit: (entries) => {
      for (const entry of entries) {
        (entry.DetailType === 'AWS API Call via CloudTrail' ? trail : events).push(entry);
      }
    },
    scanDelayMs: options.scanDelayMs ?? 5,
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
  });

  async function call(action: string, input: unknown = {}) {
    const response = await emulator.serve(action, JSON.stringify(input));
    // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON
    const body = JSON.parse(String(response.body)) as any;
    return { status: response.status, headers: response.headers, body };
  }

  /** Call and expect success; returns the body. */
  // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON
  async function ok(action: string, input: unknown = {}): Promise<any> {
    const response = await call(action, input);
    if (response.status !== 200) throw new Error(`${action} failed: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** Call and expect an error; returns `__type` and message. */
  async function fail(action: string, input: unknown = {}): Promise<{ type: string; message: string }> {
    const response = await call(action, input);
    if (response.status === 200)
      throw new Error(`${action} unexpectedly succeeded: ${JSON.stringify(response.body)}`);
    return { type: response.body.__type, message: response.body.message };
  }

  /** Upload a blob through the layer API in one part. */
  async function uploadBlob(repositoryName: string, data: Buffer | string): Promise<string> {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const digest = sha256(bytes);
    const { uploadId } = await ok('InitiateLayerUpload', { repositoryName });
    await ok('UploadLayerPart', {
      repositoryName,
      uploadId,
      partFirstByte: 0,
      partLastByte: bytes.length - 1,
      layerPartBlob: bytes.toString('base64'),
    });
    await ok('CompleteLayerUpload', { repositoryName, uploadId, layerDigests: [digest] });
    return digest;
  }

  /** Create a repository with a shared config and layer uploaded, ready for {@link pushImage}. */
  async function createRepoWithBlobs(repositoryName: string, extra: Record<string, unknown> = {}) {
    await ok('CreateRepository', { repositoryName, ...extra });
    const config = await uploadBlob(repositoryName, '{"architecture":"amd64","os":"linux"}');
    const layer = await uploadBlob(repositoryName, 'layer-bytes-0123456789');
    return { config, layer };
  }

  /** Push an image whose manifest is made unique by `variant`; returns the digest. */
  async function pushImage(repositoryName: string, variant: string, tag?: string): Promise<string> {
    const manifest = dockerManifest(
      sha256('{"architecture":"amd64","os":"linux"}'),
      37,
      [{ digest: sha256('layer-bytes-0123456789'), size: 22 }],
      { variant },
    );
    const body = await ok('PutImage', {
      repositoryName,
      imageManifest: manifest,
      ...(tag ? { imageTag: tag } : {}),
    });
    return body.image.imageId.imageDigest as string;
  }

  return { emulator, clock, events, trail, call, ok, fail, uploadBlob, createRepoWithBlobs, pushImage };
}

export type TestEmulator = Awaited<ReturnType<typeof makeEmulator>>;

/** A Docker v2 manifest; `annotations` makes otherwise-equal manifests distinct. */
export function dockerManifest(
  configDigest: string,
  configSize: number,
  layers: Array<{ digest: string; size: number }>,
  annotations?: Record<string, string>,
): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: configSize,
      digest: configDigest,
    },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...l })),
    ...(annotations ? { annotations } : {}),
  });
}

/** An OCI image index listing `children` (digest + size). */
export function ociIndex(children: Array<{ digest: string; size: number }>, tagless = false): string {
  return JSON.stringify({
    schemaVersion: 2,
    ...(tagless ? {} : { mediaType: 'application/vnd.oci.image.index.v1+json' }),
    manifests: children.map((c, i) => ({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: c.digest,
      size: c.size,
      platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
    })),
  });
}

/** Resolve after `ms` real milliseconds (scan timers are real time). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
