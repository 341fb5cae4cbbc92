import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { awsEcr } from '../ecr/aws-cli.ts';
import {
  clientSandbox,
  loginPassword,
  ociLayout,
  registryHost,
  requireTool,
  run,
  skopeoPush,
} from './clients.ts';

/**
 * skopeo (Debian's) against the sandbox's registry API: copy an OCI layout in, copy between two repositories
 * (and with --preserve-digests), inspect, list tags; the ECR API agrees on digests and tags.
 */
describe('skopeo against the registry API', { timeout: 120_000 }, () => {
  const endpoint = sandboxUrl();
  const host = registryHost(endpoint);
  const source = uniqueName('skopeo-src');
  const target = uniqueName('skopeo-dst');
  let client: Awaited<ReturnType<typeof clientSandbox>>;
  let creds: string;
  let layout: { path: string; digest: string };
  const skopeo = (...args: string[]) => run('skopeo', args, { env: client.env });

  beforeAll(async () => {
    client = await clientSandbox();
    await awsEcr(endpoint, ['create-repository', '--repository-name', source]);
    await awsEcr(endpoint, ['create-repository', '--repository-name', target]);
    creds = `AWS:${await loginPassword(endpoint)}`;
    layout = await ociLayout(client.dir, 'hello from skopeo\n', 'v1');
  });

  afterAll(async () => {
    await client?.cleanup();
  });

  it('copies an image in, keeping its digest, and inspects it', async () => {
    requireTool('skopeo');
    // Act
    await skopeoPush(client.env, creds, `${layout.path}:v1`, `${host}/${source}:v1`);
    const inspected = JSON.parse(
      (await skopeo('inspect', '--tls-verify=false', '--creds', creds, `docker://${host}/${source}:v1`))
        .stdout,
    ) as { Digest: string; RepoTags: string[] };
    // Assess
    expect(inspected.Digest).toBe(layout.digest);
    expect(inspected.RepoTags).toEqual(['v1']);
    const described = await awsEcr(endpoint, ['describe-images', '--repository-name', source]);
    expect(described.imageDetails).toEqual([
      expect.objectContaining({ imageDigest: layout.digest, imageTags: ['v1'] }),
    ]);
  });

  it('copies between two repositories, also with --preserve-digests, and lists the tags', async () => {
    requireTool('skopeo');
    // Act
    await skopeo(
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src-creds',
      creds,
      '--dest-creds',
      creds,
      `docker://${host}/${source}:v1`,
      `docker://${host}/${target}:copied`,
    );
    await skopeo(
      'copy',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src-creds',
      creds,
      '--dest-creds',
      creds,
      `docker://${host}/${source}@${layout.digest}`,
      `docker://${host}/${target}:preserved`,
    );
    const tags = JSON.parse(
      (await skopeo('list-tags', '--tls-verify=false', '--creds', creds, `docker://${host}/${target}`))
        .stdout,
    ) as { Tags: string[] };
    // Assess
    expect(tags.Tags.sort()).toEqual(['copied', 'preserved']);
    const described = await awsEcr(endpoint, ['describe-images', '--repository-name', target]);
    expect(described.imageDetails).toEqual([
      expect.objectContaining({ imageDigest: layout.digest, imageTags: ['copied', 'preserved'] }),
    ]);
  });

  it('holds a function principal’s token to its role: pulls allowed, a push refused with the denial recorded', async () => {
    requireTool('skopeo');
    // Prepare: a principal whose role may log in and pull, nothing else
    const accessKeyId = `OCIPULL${Date.now().toString(36).toUpperCase()}${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const principalArn = `arn:aws:sts::123456789012:assumed-role/oci-puller-${accessKeyId}/session`;
    const registered = await admin('POST', 'iam/principals', {
      accessKeyId,
      principalArn,
      accountId: '123456789012',
      function: 'oci-puller',
      policies: [
        {
          where: 'test role',
          document: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
                Resource: '*',
              },
            ],
          },
        },
      ],
    });
    expect(registered.status).toBe(201);
    try {
      const pullerCreds = `AWS:${await loginPassword(endpoint, accessKeyId)}`;
      // Act
      const inspected = await skopeo(
        'inspect',
        '--tls-verify=false',
        '--creds',
        pullerCreds,
        `docker://${host}/${source}:v1`,
      );
      const pushed = await skopeo(
        'copy',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--src-creds',
        pullerCreds,
        '--dest-creds',
        pullerCreds,
        `docker://${host}/${source}:v1`,
        `docker://${host}/${target}:by-puller`,
      ).then(
        () => 'accepted',
        (error: Error) => error.message,
      );
      // Assess
      expect(JSON.parse(inspected.stdout).Digest).toBe(layout.digest);
      // A blob HEAD (ecr:BatchCheckLayerAvailability) comes first: skopeo prints its 403.
      expect(pushed).toMatch(/403|denied/i);
      const { body } = await admin('GET', 'iam/denials');
      const denials = (body as { denials: Array<{ principalArn: string; action: string; resource: string }> })
        .denials;
      expect(denials.filter((d) => d.principalArn === principalArn)).toContainEqual(
        expect.objectContaining({ resource: `arn:aws:ecr:us-east-1:123456789012:repository/${target}` }),
      );
    } finally {
      await admin('DELETE', 'iam/principals', { accessKeyIds: [accessKeyId] });
    }
  });

  it('creates the repository on push when a CREATE_ON_PUSH template covers the name, NAME_UNKNOWN otherwise', async () => {
    requireTool('skopeo');
    // Prepare
    const prefix = uniqueName('auto');
    await awsEcr(endpoint, [
      'create-repository-creation-template',
      '--prefix',
      prefix,
      '--applied-for',
      'CREATE_ON_PUSH',
      '--image-tag-mutability',
      'IMMUTABLE',
    ]);
    const copyTo = (name: string) => skopeoPush(client.env, creds, `${layout.path}:v1`, `${host}/${name}:v1`);
    try {
      // Act
      await copyTo(`${prefix}/service`);
      const uncovered = await copyTo(`${uniqueName('uncovered')}/service`).then(
        () => 'accepted',
        (error: Error) => error.message,
      );
      // Assess
      const described = await awsEcr(endpoint, [
        'describe-repositories',
        '--repository-names',
        `${prefix}/service`,
      ]);
      expect(described.repositories).toEqual([
        expect.objectContaining({ repositoryName: `${prefix}/service`, imageTagMutability: 'IMMUTABLE' }),
      ]);
      const images = await awsEcr(endpoint, ['describe-images', '--repository-name', `${prefix}/service`]);
      expect(images.imageDetails).toEqual([
        expect.objectContaining({ imageDigest: layout.digest, imageTags: ['v1'] }),
      ]);
      expect(uncovered).toMatch(/name unknown|NAME_UNKNOWN|does not exist/i);
    } finally {
      await awsEcr(endpoint, ['delete-repository-creation-template', '--prefix', prefix]);
    }
  });

  it('is refused without credentials or with a wrong password', async () => {
    requireTool('skopeo');
    const refused = await skopeo(
      'inspect',
      '--tls-verify=false',
      '--creds',
      'AWS:wrong',
      `docker://${host}/${source}:v1`,
    ).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/unauthorized|authentication required|401/i);
  });
});
