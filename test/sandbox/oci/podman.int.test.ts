import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { awsEcr } from '../ecr/aws-cli.ts';
import { ecrEventQueue } from '../ecr/lifecycle-fixtures.ts';
import { clientSandbox, loginPassword, registryHost, requireTool, run, scratchContext } from './clients.ts';

/**
 * podman (Debian's, nobody here wrote it) against the sandbox's registry API: build a FROM-scratch image, log in
 * with `aws ecr get-login-password`, push and pull by tag and digest, push an image index; the ECR API (the AWS
 * CLI) then describes the same images (digests, sizes, tags) and the PUSH event reaches EventBridge.
 */
describe('podman against the registry API', { timeout: 120_000 }, () => {
  const endpoint = sandboxUrl();
  const host = registryHost(endpoint);
  const repositoryName = uniqueName('podman');
  const image = `${host}/${repositoryName}`;
  let client: Awaited<ReturnType<typeof clientSandbox>>;
  const podman = (...args: string[]) => run('podman', args, { env: client.env });

  beforeAll(async () => {
    client = await clientSandbox();
    await awsEcr(endpoint, ['create-repository', '--repository-name', repositoryName]);
  });

  afterAll(async () => {
    await client?.cleanup();
  });

  it('logs in with the token from aws ecr get-login-password, and not with a wrong one', async () => {
    requireTool('podman');
    // Act
    const password = await loginPassword(endpoint);
    const login = await run(
      'podman',
      ['login', '-u', 'AWS', '--password-stdin', '--tls-verify=false', host],
      {
        env: client.env,
        input: password,
      },
    );
    const wrong = await podman('login', '-u', 'AWS', '-p', 'not-a-token', '--tls-verify=false', host).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    // Assess
    expect(login.stdout).toContain('Login Succeeded');
    expect(wrong).toMatch(/401|unauthorized|invalid username\/password/i);
  });

  it('pushes a FROM-scratch image by tag: the ECR API describes it with the same digest and size, and the PUSH event is on the bus', async () => {
    requireTool('podman');
    // Prepare
    const events = await ecrEventQueue(awsClientConfig(), repositoryName);
    const context = await scratchContext(client.dir, 'hello from podman\n');
    await podman('build', '-t', `${image}:v1`, context);
    const digestFile = join(client.dir, 'v1.digest');
    // Act
    await podman('push', '--tls-verify=false', '--digestfile', digestFile, `${image}:v1`);
    // Assess
    const digest = (await readFile(digestFile, 'utf8')).trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const described = await awsEcr(endpoint, ['describe-images', '--repository-name', repositoryName]);
    const details = described.imageDetails as Array<Record<string, unknown>>;
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ imageDigest: digest, imageTags: ['v1'] });
    const got = await awsEcr(endpoint, [
      'batch-get-image',
      '--repository-name',
      repositoryName,
      '--image-ids',
      `imageDigest=${digest}`,
    ]);
    const manifest = (got.images as Array<{ imageManifest: string }>)[0]?.imageManifest as string;
    const layers = (JSON.parse(manifest) as { layers: Array<{ size: number }> }).layers;
    expect(details[0]?.imageSizeInBytes).toBe(layers.reduce((sum, layer) => sum + layer.size, 0));
    const received = await events.read({
      until: (got) => got.some((e) => e['detail-type'] === 'ECR Image Action'),
    });
    events.close();
    expect(received.map((e) => e.detail)).toContainEqual(
      expect.objectContaining({
        'action-type': 'PUSH',
        result: 'SUCCESS',
        'repository-name': repositoryName,
        'image-digest': digest,
        'image-tag': 'v1',
      }),
    );
  });

  it('pulls by tag and by digest, and the pull is recorded as lastRecordedPullTime', async () => {
    requireTool('podman');
    // Prepare
    const digest = (await readFile(join(client.dir, 'v1.digest'), 'utf8')).trim();
    await podman('rmi', '--force', `${image}:v1`);
    // Act
    await podman('pull', '--tls-verify=false', `${image}:v1`);
    await podman('pull', '--tls-verify=false', `${image}@${digest}`);
    // Assess
    const listed = await podman('images', '--digests', '--format', '{{.Repository}} {{.Digest}}');
    expect(listed.stdout).toContain(`${image} ${digest}`);
    const described = await awsEcr(endpoint, ['describe-images', '--repository-name', repositoryName]);
    expect((described.imageDetails as Array<Record<string, unknown>>)[0]?.lastRecordedPullTime).toEqual(
      expect.any(Number),
    );
  });

  it('pushes an image index (podman manifest create/add/push --all): the index tagged, its children untagged', async () => {
    requireTool('podman');
    // Prepare
    const amd = await scratchContext(client.dir, 'amd64 payload\n');
    const arm = await scratchContext(client.dir, 'arm64 payload\n');
    await podman('build', '--arch', 'amd64', '-t', 'localhost/multi-amd64:1', amd);
    await podman('build', '--arch', 'arm64', '-t', 'localhost/multi-arm64:1', arm);
    await podman('manifest', 'create', 'localhost/multi:1');
    await podman('manifest', 'add', 'localhost/multi:1', 'containers-storage:localhost/multi-amd64:1');
    await podman('manifest', 'add', 'localhost/multi:1', 'containers-storage:localhost/multi-arm64:1');
    const digestFile = join(client.dir, 'multi.digest');
    // Act
    await podman(
      'manifest',
      'push',
      '--all',
      '--tls-verify=false',
      '--digestfile',
      digestFile,
      'localhost/multi:1',
      `docker://${image}:multi`,
    );
    // Assess
    const digest = (await readFile(digestFile, 'utf8')).trim();
    const described = await awsEcr(endpoint, ['describe-images', '--repository-name', repositoryName]);
    const details = described.imageDetails as Array<Record<string, unknown>>;
    const index = details.find((d) => d.imageDigest === digest);
    expect(index).toMatchObject({ imageTags: ['multi'] });
    expect(String(index?.imageManifestMediaType)).toMatch(/index|list/);
    const untagged = details.filter((d) => d.imageTags === undefined);
    expect(untagged).toHaveLength(2);
    // The index pulls back for this machine's platform
    await podman('pull', '--tls-verify=false', `${image}:multi`);
  });
});
