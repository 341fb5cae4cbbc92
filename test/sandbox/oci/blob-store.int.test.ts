import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import {
  ecrClient,
  eventually,
  filesIn,
  hangUpMidUpload,
  registryAuthorization,
  registryClient,
  sha,
} from './blob-streams.ts';

/**
 * Blobs through the registry API of a sandbox with a state dir, over real HTTP: an upload streams to a file of
 * the state dir (digest checked, renamed into place), a download streams from it, a refused or cut-off upload
 * leaves nothing, the ECR API and `/v2/` share the one store, and the files survive a restart unrewritten.
 */

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MIB = 1024 * 1024;

/** The file a blob is stored in under the state dir. */
const blobFile = (stateDir: string, digest: string) => join(stateDir, 'blobs', digest.replace(':', '_'));

function manifestOf(config: Buffer, layers: Buffer[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: config.length,
      digest: sha(config),
    },
    layers: layers.map((layer) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      size: layer.length,
      digest: sha(layer),
    })),
  });
}

describe('blobs streamed to the state dir', { timeout: 120_000 }, () => {
  let stateDir: string;
  let sandbox: Sandbox;
  let send: ReturnType<typeof registryClient>;
  let authorization: string;
  const repo = 'streams/app';

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'blob-store-'));
    sandbox = await startSandbox({ port: 0, quiet: true, stateDir });
    authorization = await registryAuthorization(sandbox.url);
    send = registryClient(sandbox.url, authorization);
    await ecrClient(sandbox.url).send(new CreateRepositoryCommand({ repositoryName: repo }));
  });

  afterAll(async () => {
    await sandbox?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('stores a monolithic upload as a file of its digest and streams it back whole, by HEAD and by Range', async () => {
    // Prepare
    const layer = randomBytes(3 * MIB + 17);
    // Act
    const put = await send('POST', `/v2/${repo}/blobs/uploads/?digest=${sha(layer)}`, { body: layer });
    const got = await send('GET', `/v2/${repo}/blobs/${sha(layer)}`);
    const bytes = Buffer.from(await got.arrayBuffer());
    const head = await send('HEAD', `/v2/${repo}/blobs/${sha(layer)}`);
    const part = await send('GET', `/v2/${repo}/blobs/${sha(layer)}`, {
      headers: { range: 'bytes=100-199' },
    });
    // Assess
    expect(put.status).toBe(201);
    expect(sha(await readFile(blobFile(stateDir, sha(layer))))).toBe(sha(layer));
    expect(await filesIn(join(stateDir, 'uploads'))).toEqual([]);
    expect([got.status, got.headers.get('content-length'), sha(bytes)]).toEqual([
      200,
      String(layer.length),
      sha(layer),
    ]);
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(layer.length)]);
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${layer.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(layer.subarray(100, 200))).toBe(true);
  });

  it('stores a chunked upload (POST, PATCH chunks, PUT) as one file with the digest of all its chunks', async () => {
    // Prepare
    const layer = randomBytes(2 * MIB + 5);
    const started = await send('POST', `/v2/${repo}/blobs/uploads/`);
    const location = started.headers.get('location') as string;
    // Act
    const first = await send('PATCH', location, {
      body: layer.subarray(0, MIB),
      headers: { 'content-range': `0-${MIB - 1}` },
    });
    const second = await send('PATCH', location, { body: layer.subarray(MIB, 2 * MIB) });
    const closed = await send('PUT', `${location}?digest=${sha(layer)}`, { body: layer.subarray(2 * MIB) });
    // Assess
    expect([first.status, first.headers.get('range')]).toEqual([202, `0-${MIB - 1}`]);
    expect([second.status, second.headers.get('range')]).toEqual([202, `0-${2 * MIB - 1}`]);
    expect(closed.status).toBe(201);
    expect((await stat(blobFile(stateDir, sha(layer)))).size).toBe(layer.length);
    expect(sha(await readFile(blobFile(stateDir, sha(layer))))).toBe(sha(layer));
    expect(await filesIn(join(stateDir, 'uploads'))).toEqual([]);
  });

  it('refuses an upload whose bytes do not match its digest (DIGEST_INVALID) and keeps no file of it', async () => {
    // Prepare
    const layer = randomBytes(MIB);
    const claimed = sha(randomBytes(16));
    const started = await send('POST', `/v2/${repo}/blobs/uploads/`);
    const location = started.headers.get('location') as string;
    // Act
    const monolithic = await send('POST', `/v2/${repo}/blobs/uploads/?digest=${claimed}`, { body: layer });
    await send('PATCH', location, { body: layer });
    const closed = await send('PUT', `${location}?digest=${claimed}`);
    const fetched = await send('GET', `/v2/${repo}/blobs/${claimed}`);
    // Assess
    for (const refused of [monolithic, closed]) {
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe(
        'DIGEST_INVALID',
      );
    }
    expect(fetched.status).toBe(404);
    const files = await filesIn(join(stateDir, 'blobs'));
    expect(files).not.toContain(claimed.replace(':', '_'));
    expect(files).not.toContain(sha(layer).replace(':', '_'));
    expect(await filesIn(join(stateDir, 'uploads'))).toEqual([]);
  });

  it('leaves no temp file and no blob behind a client that hangs up mid-upload, monolithic or chunked', async () => {
    // Prepare
    const layer = randomBytes(8 * MIB);
    const started = await send('POST', `/v2/${repo}/blobs/uploads/`);
    const location = started.headers.get('location') as string;
    const uploads = join(stateDir, 'uploads');
    const midway: number[] = [];
    // Mid-upload, the bytes sent so far are already in a temp file: the body streams, it is not buffered.
    // The largest temp file not seen by an earlier look is this upload's (an earlier one's may still be going
    // away, the session's is empty), and a file may go between listing and stat.
    const looked = new Set<string>();
    const lookAtTempFile = async () => {
      let biggest = '';
      const largest = async () => {
        let size = 0;
        for (const file of await filesIn(uploads)) {
          if (looked.has(file)) continue;
          const found = await stat(join(uploads, file)).then(
            (s) => s.size,
            () => 0,
          );
          if (found > size) [size, biggest] = [found, file];
        }
        return size;
      };
      midway.push(await eventually(largest, (size) => size >= MIB));
      looked.add(biggest);
    };
    // Act
    await hangUpMidUpload(
      sandbox.url,
      'POST',
      `/v2/${repo}/blobs/uploads/?digest=${sha(layer)}`,
      authorization,
      layer.length,
      layer.subarray(0, 2 * MIB),
      lookAtTempFile,
    );
    await hangUpMidUpload(
      sandbox.url,
      'PATCH',
      location,
      authorization,
      layer.length,
      layer.subarray(0, MIB),
      lookAtTempFile,
    );
    const leftovers = await eventually(
      () => filesIn(uploads),
      (files) => files.length === 0,
    );
    const status = await eventually(
      async () => (await send('GET', location)).status,
      (code) => code === 404,
    );
    // Assess
    expect(midway.map((size) => size >= MIB)).toEqual([true, true]);
    expect(leftovers).toEqual([]);
    expect(status).toBe(404);
    expect((await send('HEAD', `/v2/${repo}/blobs/${sha(layer)}`)).status).toBe(404);
    expect(await filesIn(join(stateDir, 'blobs'))).not.toContain(sha(layer).replace(':', '_'));
  });

  it('serves a layer uploaded through the ECR API at /v2/, and one uploaded at /v2/ at its download URL', async () => {
    // Prepare
    const ecr = ecrClient(sandbox.url);
    const viaEcr = randomBytes(6 * MIB + 3);
    const viaRegistry = randomBytes(MIB + 9);
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: repo }));
    const parts = [viaEcr.subarray(0, 5 * MIB), viaEcr.subarray(5 * MIB)];
    let first = 0;
    for (const part of parts) {
      await ecr.send(
        new UploadLayerPartCommand({
          repositoryName: repo,
          uploadId,
          partFirstByte: first,
          partLastByte: first + part.length - 1,
          layerPartBlob: part,
        }),
      );
      first += part.length;
    }
    await ecr.send(
      new CompleteLayerUploadCommand({ repositoryName: repo, uploadId, layerDigests: [sha(viaEcr)] }),
    );
    for (const blob of [viaRegistry, config]) {
      expect(
        (await send('POST', `/v2/${repo}/blobs/uploads/?digest=${sha(blob)}`, { body: blob })).status,
      ).toBe(201);
    }
    await ecr.send(
      new PutImageCommand({
        repositoryName: repo,
        imageManifest: manifestOf(config, [viaEcr, viaRegistry]),
        imageManifestMediaType: OCI_MANIFEST,
        imageTag: 'both-ways',
      }),
    );
    // Act
    const pulled = Buffer.from(await (await send('GET', `/v2/${repo}/blobs/${sha(viaEcr)}`)).arrayBuffer());
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: sha(viaRegistry) }),
    );
    const downloaded = Buffer.from(await (await fetch(downloadUrl ?? '')).arrayBuffer());
    const availability = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: repo, layerDigests: [sha(viaRegistry)] }),
    );
    // Assess
    expect(sha(pulled)).toBe(sha(viaEcr));
    expect(sha(await readFile(blobFile(stateDir, sha(viaEcr))))).toBe(sha(viaEcr));
    expect(sha(downloaded)).toBe(sha(viaRegistry));
    expect(availability.layers?.[0]?.layerSize).toBe(viaRegistry.length);
  });
});

describe('blobs on disk across a restart', { timeout: 120_000 }, () => {
  let stateDir: string;
  const started: Sandbox[] = [];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'blob-restart-'));
  });

  afterAll(async () => {
    for (const sandbox of started) await sandbox.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('loads saved state whose blobs stay the files they were uploaded as, and serves them both ways', async () => {
    // Prepare
    const repo = 'restart/app';
    const layer = randomBytes(2 * MIB);
    const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
    const first = await startSandbox({ port: 0, quiet: true, stateDir });
    started.push(first);
    await ecrClient(first.url).send(new CreateRepositoryCommand({ repositoryName: repo }));
    const sendFirst = registryClient(first.url, await registryAuthorization(first.url));
    for (const blob of [layer, config]) {
      await sendFirst('POST', `/v2/${repo}/blobs/uploads/?digest=${sha(blob)}`, { body: blob });
    }
    const put = await sendFirst('PUT', `/v2/${repo}/manifests/v1`, {
      body: manifestOf(config, [layer]),
      headers: { 'content-type': OCI_MANIFEST },
    });
    expect(put.status).toBe(201);
    const uploaded = await stat(blobFile(stateDir, sha(layer)));
    // Act
    await first.stop();
    const second = await startSandbox({ port: 0, quiet: true, stateDir });
    started.push(second);
    const sendSecond = registryClient(second.url, await registryAuthorization(second.url));
    const pulled = Buffer.from(
      await (await sendSecond('GET', `/v2/${repo}/blobs/${sha(layer)}`)).arrayBuffer(),
    );
    const { downloadUrl } = await ecrClient(second.url).send(
      new GetDownloadUrlForLayerCommand({ repositoryName: repo, layerDigest: sha(layer) }),
    );
    const downloaded = Buffer.from(await (await fetch(downloadUrl ?? '')).arrayBuffer());
    const saved = await stat(blobFile(stateDir, sha(layer)));
    // Assess
    expect(sha(pulled)).toBe(sha(layer));
    expect(sha(downloaded)).toBe(sha(layer));
    // Saving named the file; it did not write it again.
    expect([saved.ino, saved.mtimeMs]).toEqual([uploaded.ino, uploaded.mtimeMs]);
  });
});

describe('blobs in memory (no state dir)', { timeout: 60_000 }, () => {
  it('keeps a chunked upload as it arrived and serves it whole and by a range across its chunks', async () => {
    // Prepare
    const endpoint = sandboxUrl();
    const repo = uniqueName('streams-memory');
    await ecrClient(endpoint).send(new CreateRepositoryCommand({ repositoryName: repo }));
    const send = registryClient(endpoint, await registryAuthorization(endpoint));
    const layer = randomBytes(3 * MIB + 11);
    const started = await send('POST', `/v2/${repo}/blobs/uploads/`);
    const location = started.headers.get('location') as string;
    await send('PATCH', location, { body: layer.subarray(0, 2 * MIB) });
    // Act
    const closed = await send('PUT', `${location}?digest=${sha(layer)}`, { body: layer.subarray(2 * MIB) });
    const whole = Buffer.from(await (await send('GET', `/v2/${repo}/blobs/${sha(layer)}`)).arrayBuffer());
    const across = await send('GET', `/v2/${repo}/blobs/${sha(layer)}`, {
      headers: { range: `bytes=${2 * MIB - 10}-${2 * MIB + 9}` },
    });
    // Assess
    expect(closed.status).toBe(201);
    expect(sha(whole)).toBe(sha(layer));
    expect(across.status).toBe(206);
    expect(Buffer.from(await across.arrayBuffer()).equals(layer.subarray(2 * MIB - 10, 2 * MIB + 10))).toBe(
      true,
    );
  });
});
