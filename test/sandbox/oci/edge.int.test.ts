import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { uniqueName } from '../../support/sandbox.ts';
import { awsEcr } from '../ecr/aws-cli.ts';
import { registryClient } from './blob-streams.ts';
import { loginPassword } from './clients.ts';

/**
 * The registry API on the sandbox's one port, over real HTTP: the edge routes `/v2/` to it (not to moto), HEAD
 * answers carry the length without a body, and blob mounting follows the account setting the AWS CLI puts. On a
 * sandbox of its own: BLOB_MOUNTING is an account-wide setting, and the shared sandbox's promotion tests count the
 * blobs they upload.
 */
describe('the registry API at the edge', { timeout: 60_000 }, () => {
  let sandbox: Sandbox;
  let endpoint: string;
  const source = uniqueName('mount-src');
  const target = uniqueName('mount-dst');
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = Buffer.from(`layer ${source}`);
  const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
  let send: ReturnType<typeof registryClient>;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, quiet: true });
    endpoint = sandbox.url;
    send = registryClient(
      endpoint,
      `Basic ${Buffer.from(`AWS:${await loginPassword(endpoint)}`).toString('base64')}`,
    );
    await awsEcr(endpoint, ['create-repository', '--repository-name', source]);
    await awsEcr(endpoint, ['create-repository', '--repository-name', target]);
    for (const blob of [config, layer]) {
      const response = await send('POST', `/v2/${source}/blobs/uploads/?digest=${sha(blob)}`, { body: blob });
      expect(response.status).toBe(201);
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        size: config.length,
        digest: sha(config),
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer.length, digest: sha(layer) },
      ],
    });
    const put = await send('PUT', `/v2/${source}/manifests/v1`, {
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(put.status).toBe(201);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('answers /v2/ itself (not moto): 401 with the Basic challenge without credentials', async () => {
    const response = await fetch(`${endpoint}/v2/`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Basic realm="https:\/\/.+",service="ecr\.amazonaws\.com"$/,
    );
    expect(await response.json()).toEqual({ errors: [expect.objectContaining({ code: 'UNAUTHORIZED' })] });
  });

  it('answers a refused upload once the client has sent its body, not mid-body', async () => {
    // Go's HTTP client (podman, skopeo) answered mid-body may report its unfinished write ("broken pipe") instead
    // of the answer. Half the body, a pause, then the rest: the 401 must come after the rest, not during the pause.
    const url = new URL(`${endpoint}/v2/${source}/blobs/uploads/?digest=sha256:${'0'.repeat(64)}`);
    const order: string[] = [];
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest(
        url,
        { method: 'POST', headers: { 'content-length': '2048' } },
        (response) => {
          order.push('answer');
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on('error', reject);
      request.write(Buffer.alloc(1024));
      setTimeout(() => {
        order.push('rest of the body sent');
        request.end(Buffer.alloc(1024));
      }, 300);
    });
    expect(status).toBe(401);
    expect(order).toEqual(['rest of the body sent', 'answer']);
  });

  it('answers a blob HEAD with its length and digest and no body', async () => {
    const response = await send('HEAD', `/v2/${source}/blobs/${sha(layer)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(layer.length));
    expect(response.headers.get('docker-content-digest')).toBe(sha(layer));
    expect(await response.text()).toBe('');
  });

  it('mounts across repositories only once BLOB_MOUNTING is ENABLED (put with the AWS CLI)', async () => {
    // Prepare
    await awsEcr(endpoint, ['put-account-setting', '--name', 'BLOB_MOUNTING', '--value', 'DISABLED']);
    const mountPath = `/v2/${target}/blobs/uploads/?mount=${sha(layer)}&from=${source}`;
    // Act
    const disabled = await send('POST', mountPath);
    const enabledSetting = await awsEcr(endpoint, [
      'put-account-setting',
      '--name',
      'BLOB_MOUNTING',
      '--value',
      'ENABLED',
    ]);
    const read = await awsEcr(endpoint, ['get-account-setting', '--name', 'BLOB_MOUNTING']);
    const enabled = await send('POST', mountPath);
    // Assess
    expect(disabled.status).toBe(202);
    expect(enabledSetting).toEqual({ name: 'BLOB_MOUNTING', value: 'ENABLED' });
    expect(read).toEqual({ name: 'BLOB_MOUNTING', value: 'ENABLED' });
    expect(enabled.status).toBe(201);
    expect(enabled.headers.get('location')).toBe(`/v2/${target}/blobs/${sha(layer)}`);
    const availability = await awsEcr(endpoint, [
      'batch-check-layer-availability',
      '--repository-name',
      target,
      '--layer-digests',
      sha(layer),
    ]);
    expect(availability.layers).toEqual([
      expect.objectContaining({ layerDigest: sha(layer), layerAvailability: 'AVAILABLE' }),
    ]);
  });
});
