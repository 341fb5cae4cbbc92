import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { adminRequest } from '../../support/admin.ts';
import type { DeliveredEvent } from '../../support/event-queue.ts';
import { awsClientConfig, uniqueName } from '../../support/sandbox.ts';
import { awsEcr } from '../ecr/aws-cli.ts';
import { ecrEventQueue } from '../ecr/lifecycle-fixtures.ts';
import {
  clientSandbox,
  loginPassword,
  ociLayout,
  registryHost,
  requireTool,
  run,
  scratchContext,
  skopeoPush,
} from './clients.ts';

/**
 * Fault rules (`POST /_sandbox/faults`, service `ecr`) on the registry API, by the ECR action each request is
 * authorised as: over plain HTTP (the answer's shape, the rule's counters, a PATCH failed mid-upload), then with
 * the real skopeo and podman (a 503 on the manifest PUT, 429s on blob uploads, a 500 on blob downloads): whatever
 * the client does, no half image is left, the PUSH event comes once, and running the command again converges.
 */

// Fault rules are global to a sandbox: this file runs its own.
let sandbox: Sandbox;
let endpoint: string;
let host: string;
let client: Awaited<ReturnType<typeof clientSandbox>>;
let creds: string;
let password: string;
let authorization: string;
let loggedIn: Promise<unknown> | undefined;

/** `podman login` once (podman reads its auth file even when given --creds). */
const podmanLogin = () => {
  loggedIn ??= run('podman', ['login', '-u', 'AWS', '--password-stdin', '--tls-verify=false', host], {
    env: client.env,
    input: password,
  });
  return loggedIn;
};

interface Rule {
  id: string;
  action?: string;
  seen: number;
  fired: number;
}

const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  // biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON answers
  adminRequest(sandbox.url, method, path, body) as Promise<{ status: number; body: any }>;
const rules = async (): Promise<Rule[]> => (await call('GET', 'faults')).body.faults;
const addRule = async (rule: Record<string, unknown>): Promise<Rule> => {
  const added = await call('POST', 'faults', { service: 'ecr', ...rule });
  expect(added.status).toBe(201);
  return added.body;
};
const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: Error) => error.message,
  );
const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const images = async (repositoryName: string) =>
  (await awsEcr(endpoint, ['describe-images', '--repository-name', repositoryName])).imageDetails as Array<
    Record<string, unknown>
  >;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, quiet: true, scanDelayMs: 20 });
  endpoint = sandbox.url;
  host = registryHost(endpoint);
  client = await clientSandbox();
  password = await loginPassword(endpoint);
  creds = `AWS:${password}`;
  authorization = `Basic ${Buffer.from(creds).toString('base64')}`;
});

afterAll(async () => {
  await client?.cleanup();
  await sandbox?.stop();
});

beforeEach(async () => {
  await call('DELETE', 'faults');
});

describe('fault rules on the registry API, over HTTP', { timeout: 60_000 }, () => {
  const send = (method: string, path: string, body?: Buffer) =>
    fetch(`${endpoint}${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/octet-stream' },
      ...(body === undefined ? {} : { body }),
    });

  it('answers a matched request with the rule’s status and an OCI error body, counting it as seen and fired', async () => {
    // Prepare
    const repositoryName = uniqueName('fault-http');
    await awsEcr(endpoint, ['create-repository', '--repository-name', repositoryName]);
    const throttle = await addRule({ action: 'BatchCheckLayerAvailability', status: 429 });
    const unavailable = await addRule({ action: 'GetDownloadUrlForLayer', status: 503, times: 1 });
    const anyAction = await addRule({ error: 'ThrottlingException', rate: 0 });
    const digest = sha('absent');
    // Act
    const base = await send('GET', '/v2/');
    const head = await send('HEAD', `/v2/${repositoryName}/blobs/${digest}`);
    const get = await send('GET', `/v2/${repositoryName}/blobs/${digest}`);
    const getAgain = await send('GET', `/v2/${repositoryName}/blobs/${digest}`);
    // Assess: GET /v2/ needs no ECR action, so no rule sees it
    expect(base.status).toBe(200);
    expect(head.status).toBe(429);
    expect(head.headers.get('retry-after')).toBe('1');
    expect(head.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(get.status).toBe(503);
    expect(await get.json()).toEqual({
      errors: [
        {
          code: 'UNAVAILABLE',
          message: expect.stringContaining('GetDownloadUrlForLayer'),
          detail: { fault: 'ServiceUnavailable', actions: ['GetDownloadUrlForLayer'] },
        },
      ],
    });
    // The 503 rule fired once (times: 1): the next GET is served, and the blob isn't there.
    expect(getAgain.status).toBe(404);
    expect(await rules()).toEqual([
      expect.objectContaining({ id: throttle.id, seen: 1, fired: 1 }),
      expect.objectContaining({ id: unavailable.id, seen: 2, fired: 1 }),
      expect.objectContaining({ id: anyAction.id, seen: 3, fired: 0 }),
    ]);
  });

  it('fails a PATCH mid-upload without consuming it: the same PATCH again goes on and the blob completes', async () => {
    // Prepare
    const repositoryName = uniqueName('fault-patch');
    await awsEcr(endpoint, ['create-repository', '--repository-name', repositoryName]);
    // Large enough that the faulted PATCH is answered while its body is still on the way.
    const blob = Buffer.alloc(8 * 1024 * 1024, repositoryName);
    const started = await send('POST', `/v2/${repositoryName}/blobs/uploads/`);
    const location = started.headers.get('location') ?? '';
    const rule = await addRule({ action: 'UploadLayerPart', status: 500, times: 1 });
    // Act
    const failed = await send('PATCH', location, blob);
    const failedBody = (await failed.json()) as { errors: Array<{ code: string }> };
    const patched = await send('PATCH', location, blob);
    const closed = await send(
      'PUT',
      `${patched.headers.get('location') ?? location}${location.includes('?') ? '&' : '?'}digest=${sha(blob)}`,
    );
    // Assess
    expect(failed.status).toBe(500);
    expect(failedBody.errors[0]?.code).toBe('UNKNOWN');
    expect(patched.status).toBe(202);
    expect(patched.headers.get('range')).toBe(`0-${blob.length - 1}`);
    expect(closed.status).toBe(201);
    const available = await awsEcr(endpoint, [
      'batch-check-layer-availability',
      '--repository-name',
      repositoryName,
      '--layer-digests',
      sha(blob),
    ]);
    expect(available.layers).toEqual([expect.objectContaining({ layerAvailability: 'AVAILABLE' })]);
    expect(await rules()).toEqual([expect.objectContaining({ id: rule.id, seen: 3, fired: 1 })]);
  });
});

describe('fault rules on the registry API, with real clients', { timeout: 240_000 }, () => {
  it('skopeo copy under a 503 on the manifest PUT leaves no half image; copying again gives one image and one PUSH', async () => {
    requireTool('skopeo');
    // Prepare
    const repositoryName = uniqueName('fault-skopeo');
    await awsEcr(endpoint, ['create-repository', '--repository-name', repositoryName]);
    const events = await ecrEventQueue(awsClientConfig(endpoint), repositoryName);
    const layout = await ociLayout(client.dir, `skopeo under faults ${repositoryName}\n`, 'v1');
    const rule = await addRule({ action: 'PutImage', status: 503, times: 1 });
    const copy = () => skopeoPush(client.env, creds, `${layout.path}:v1`, `${host}/${repositoryName}:v1`);
    // Act
    const first = await outcome(copy());
    const afterFirst = await images(repositoryName);
    const second = await outcome(copy());
    // Assess: skopeo (no --retry-times) gives up on the 503; nothing of the image is left behind
    if (first === 'ok') expect(afterFirst).toHaveLength(1);
    else {
      expect(first).toMatch(/503|unavailable|Injected fault/i);
      expect(afterFirst).toEqual([]);
    }
    expect(second).toBe('ok');
    expect(await images(repositoryName)).toEqual([
      expect.objectContaining({ imageDigest: layout.digest, imageTags: ['v1'] }),
    ]);
    expect(await rules()).toEqual([expect.objectContaining({ id: rule.id, fired: 1 })]);
    const pushes = (list: readonly DeliveredEvent[]) =>
      list.filter((e) => e.detail['action-type'] === 'PUSH');
    const received = await events.read({ until: (got) => pushes(got).length > 0 });
    // Then a while longer: a second PUSH would come within it.
    received.push(...(await events.read({ until: () => false, timeoutMs: 3_000 })));
    events.close();
    expect(pushes(received).map((e) => e.detail)).toEqual([
      expect.objectContaining({ 'image-digest': layout.digest, 'image-tag': 'v1', result: 'SUCCESS' }),
    ]);
  });

  it('podman push under 429s on blob uploads ends with the right digests, pushing again until it does', async () => {
    requireTool('podman');
    // Prepare: the first part upload is throttled for sure, half of the others by chance
    const repositoryName = uniqueName('fault-podman');
    const image = `${host}/${repositoryName}`;
    await awsEcr(endpoint, ['create-repository', '--repository-name', repositoryName]);
    const context = await scratchContext(client.dir, `podman under faults ${repositoryName}\n`);
    await run('podman', ['build', '-t', `${image}:v1`, context], { env: client.env });
    await podmanLogin();
    const certain = await addRule({ action: 'UploadLayerPart', status: 429, nth: 1 });
    const random = await addRule({ action: 'UploadLayerPart', status: 429, rate: 0.5 });
    const digestFile = join(client.dir, `${repositoryName}.digest`);
    const push = () =>
      run('podman', ['push', '--tls-verify=false', '--digestfile', digestFile, `${image}:v1`], {
        env: client.env,
      });
    // Act: a push that fails is run again (podman itself retries too); after three, without the faults
    const attempts: string[] = [];
    const leftBehind: number[] = [];
    for (let n = 0; n < 3 && attempts.at(-1) !== 'ok'; n++) {
      attempts.push(await outcome(push()));
      if (attempts.at(-1) !== 'ok') leftBehind.push((await images(repositoryName)).length);
    }
    const counters = await rules();
    if (attempts.at(-1) !== 'ok') {
      await call('DELETE', 'faults');
      attempts.push(await outcome(push()));
    }
    // Assess
    expect(attempts.at(-1)).toBe('ok');
    for (const failure of attempts.filter((a) => a !== 'ok'))
      expect(failure).toMatch(/429|too ?many ?requests/i);
    expect(leftBehind.every((count) => count === 0)).toBe(true);
    expect(counters).toEqual([
      expect.objectContaining({ id: certain.id, fired: 1 }),
      expect.objectContaining({ id: random.id }),
    ]);
    expect(counters[1]?.seen).toBeGreaterThanOrEqual(2);
    const digest = (await readFile(digestFile, 'utf8')).trim();
    const described = await images(repositoryName);
    expect(described).toEqual([expect.objectContaining({ imageDigest: digest, imageTags: ['v1'] })]);
    const got = await awsEcr(endpoint, [
      'batch-get-image',
      '--repository-name',
      repositoryName,
      '--image-ids',
      `imageDigest=${digest}`,
    ]);
    const manifest = (got.images as Array<{ imageManifest: string }>)[0]?.imageManifest ?? '';
    expect(sha(manifest)).toBe(digest);
    const parsed = JSON.parse(manifest) as { config: { digest: string }; layers: Array<{ digest: string }> };
    const blobs = [parsed.config.digest, ...parsed.layers.map((layer) => layer.digest)];
    const available = await awsEcr(endpoint, [
      'batch-check-layer-availability',
      '--repository-name',
      repositoryName,
      '--layer-digests',
      ...blobs,
    ]);
    expect(available.layers).toHaveLength(blobs.length);
    expect(available.failures ?? []).toEqual([]);
  });

  it('podman pull under a 500 on blob downloads fails naming the error, and changes nothing', async () => {
    requireTool('skopeo');
    requireTool('podman');
    // Prepare
    const repositoryName = uniqueName('fault-pull');
    await awsEcr(endpoint, ['create-repository', '--repository-name', repositoryName]);
    const layout = await ociLayout(client.dir, `pulled under faults ${repositoryName}\n`, 'v1');
    await skopeoPush(client.env, creds, `${layout.path}:v1`, `${host}/${repositoryName}:v1`);
    const before = await images(repositoryName);
    await podmanLogin();
    const rule = await addRule({ action: 'GetDownloadUrlForLayer', status: 500 });
    // Act
    const pulled = await outcome(
      run('podman', ['pull', '--tls-verify=false', `${host}/${repositoryName}:v1`], {
        env: client.env,
      }),
    );
    const local = await run('podman', ['images', '--format', '{{.Repository}}'], { env: client.env });
    // Assess
    expect(pulled).toMatch(/500|unknown|Injected fault/i);
    expect(local.stdout).not.toContain(repositoryName);
    const after = await images(repositoryName);
    const stable = (details: Array<Record<string, unknown>>) =>
      details.map(({ imageDigest, imageTags, imageSizeInBytes }) => ({
        imageDigest,
        imageTags,
        imageSizeInBytes,
      }));
    expect(stable(after)).toEqual(stable(before));
    const [counted] = await rules();
    expect(counted).toMatchObject({ id: rule.id });
    expect(counted?.fired).toBeGreaterThanOrEqual(1);
    expect(counted?.fired).toBe(counted?.seen);
  });
});
