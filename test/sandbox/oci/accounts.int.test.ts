import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCredentials } from '../../support/accounts.ts';
import { sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { awsEcr, type CliCredentials } from '../ecr/aws-cli.ts';
import {
  clientSandbox,
  ociLayout,
  registryHost,
  requireTool,
  run,
  scratchContext,
  skopeoPush,
} from './clients.ts';
import { ecrHost, HOME_CREDENTIALS, loginPasswordAs, runWithHosts } from './registries.ts';

/**
 * Real clients (Debian's skopeo and podman, the AWS CLI) at registries other than the sandbox's own: another
 * account's (credentials from moto's STS AssumeRole), another Region's, another account's reached with a
 * repository policy's grant, replication into both, and a referrer artifact pushed by skopeo.
 *
 * Which registry a request reaches: the one its Host names in ECR's form, else the token's (the account and
 * Region whose GetAuthorizationToken issued it). Pushes and pulls in one's own registry go to `127.0.0.1:PORT`
 * and let the token choose; a cross-account pull must name the other registry, which skopeo does through a
 * private hosts file (registries.ts `runWithHosts`).
 */

const HOME = '123456789012';
/** Accounts and Regions only this file uses: registry-wide settings (replication, registry policy) stay ours. */
const OTHER = '731086420123';
const SECOND_REGION = 'eu-south-2';
const SOURCE_REGION = 'ap-south-2';

describe('real clients across accounts and Regions', { timeout: 180_000 }, () => {
  const endpoint = sandboxUrl();
  const host = registryHost(endpoint);
  let client: Awaited<ReturnType<typeof clientSandbox>>;
  let other: CliCredentials;
  const skopeo = (...args: string[]) => run('skopeo', args, { env: client.env });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: Error) => error.message,
    );
  const digestsOf = async (args: string[], credentials: CliCredentials = HOME_CREDENTIALS) =>
    ((await awsEcr(endpoint, ['describe-images', ...args], credentials)).imageDetails as Array<{
      imageDigest: string;
      imageTags?: string[];
    }>) ?? [];

  beforeAll(async () => {
    client = await clientSandbox();
    other = (await accountCredentials(endpoint, OTHER)).credentials;
  });

  afterAll(async () => {
    await client?.cleanup();
  });

  it('pushes with a second account’s login (AssumeRole → get-login-password) into that account’s registry only', async () => {
    requireTool('skopeo');
    // Prepare: a repository of the same name in both accounts
    const name = uniqueName('acct');
    await awsEcr(endpoint, ['create-repository', '--repository-name', name]);
    await awsEcr(endpoint, ['create-repository', '--repository-name', name], other);
    const layout = await ociLayout(client.dir, 'pushed by the second account\n', 'v1');
    const password = await loginPasswordAs(endpoint, other, 'us-east-1');
    // Act
    await skopeoPush(client.env, `AWS:${password}`, `${layout.path}:v1`, `${host}/${name}:v1`);
    // Assess
    expect(await digestsOf(['--repository-name', name], other)).toEqual([
      expect.objectContaining({ imageDigest: layout.digest, imageTags: ['v1'] }),
    ]);
    expect(await digestsOf(['--repository-name', name])).toEqual([]);
  });

  it('pushes with podman logged in for a second Region into that Region’s registry only', async () => {
    requireTool('podman');
    // Prepare
    const name = uniqueName('region');
    await awsEcr(endpoint, ['create-repository', '--repository-name', name, '--region', SECOND_REGION]);
    await awsEcr(endpoint, ['create-repository', '--repository-name', name]);
    const podman = (...args: string[]) => run('podman', args, { env: client.env });
    const password = await loginPasswordAs(endpoint, HOME_CREDENTIALS, SECOND_REGION);
    await run('podman', ['login', '-u', 'AWS', '--password-stdin', '--tls-verify=false', host], {
      env: client.env,
      input: password,
    });
    const context = await scratchContext(client.dir, 'pushed to a second Region\n');
    await podman('build', '-t', `${host}/${name}:v1`, context);
    const digestFile = join(client.dir, `${name}.digest`);
    // Act
    try {
      await podman('push', '--tls-verify=false', '--digestfile', digestFile, `${host}/${name}:v1`);
    } finally {
      await podman('logout', host);
    }
    // Assess
    const digest = (await readFile(digestFile, 'utf8')).trim();
    expect(await digestsOf(['--repository-name', name, '--region', SECOND_REGION])).toEqual([
      expect.objectContaining({ imageDigest: digest, imageTags: ['v1'] }),
    ]);
    expect(await digestsOf(['--repository-name', name])).toEqual([]);
  });

  it('pulls across accounts with skopeo only once the repository policy grants the other account', async () => {
    requireTool('skopeo');
    // Prepare: an image in the sandbox's own registry; the other account's login
    const name = uniqueName('shared');
    await awsEcr(endpoint, ['create-repository', '--repository-name', name]);
    const layout = await ociLayout(client.dir, 'shared with another account\n', 'v1');
    const homePassword = await loginPasswordAs(endpoint, HOME_CREDENTIALS, 'us-east-1');
    await skopeoPush(client.env, `AWS:${homePassword}`, `${layout.path}:v1`, `${host}/${name}:v1`);
    const creds = `AWS:${await loginPasswordAs(endpoint, other, 'us-east-1')}`;
    const homeRegistry = ecrHost(endpoint, HOME, 'us-east-1');
    const pull = (to: string) =>
      runWithHosts(
        client.dir,
        [homeRegistry],
        'skopeo',
        [
          'copy',
          '--src-tls-verify=false',
          '--src-creds',
          creds,
          `docker://${homeRegistry}/${name}:v1`,
          `oci:${join(client.dir, to)}:v1`,
        ],
        client.env,
      );
    // Act
    const refused = await refusal(pull(`${name}-refused`));
    const ownRegistry = await refusal(
      skopeo('inspect', '--tls-verify=false', '--creds', creds, `docker://${host}/${name}:v1`),
    );
    await awsEcr(endpoint, [
      'set-repository-policy',
      '--repository-name',
      name,
      '--policy-text',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'PullFromOtherAccount',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          },
        ],
      }),
    ]);
    await pull(`${name}-pulled`);
    // Assess
    expect(refused).toMatch(/denied/i);
    expect(refused).toContain(`arn:aws:ecr:us-east-1:${HOME}:repository/${name}`);
    // Without a Host naming a registry, the token's own (the other account's) is meant: no such repository there.
    expect(ownRegistry).toContain(`does not exist in the registry with id '${OTHER}'`);
    const index = JSON.parse(await readFile(join(client.dir, `${name}-pulled`, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    expect(index.manifests.map((m) => m.digest)).toEqual([layout.digest]);
  });

  it('replicates a skopeo push to another Region and another account: both pull it and the status is COMPLETE', async () => {
    requireTool('skopeo');
    // Prepare: the other account lets ours replicate into its registry; our registry replicates a prefix
    const prefix = uniqueName('repl');
    const name = `${prefix}/app`;
    await awsEcr(
      endpoint,
      [
        'put-registry-policy',
        '--region',
        SOURCE_REGION,
        '--policy-text',
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReplicationFromHome',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${HOME}:root` },
              Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
              Resource: `arn:aws:ecr:${SOURCE_REGION}:${OTHER}:repository/*`,
            },
          ],
        }),
      ],
      other,
    );
    await awsEcr(endpoint, ['create-repository', '--repository-name', name, '--region', SOURCE_REGION]);
    await awsEcr(endpoint, [
      'put-replication-configuration',
      '--region',
      SOURCE_REGION,
      '--replication-configuration',
      JSON.stringify({
        rules: [
          {
            destinations: [
              { region: SECOND_REGION, registryId: HOME },
              { region: SOURCE_REGION, registryId: OTHER },
            ],
            repositoryFilters: [{ filter: prefix, filterType: 'PREFIX_MATCH' }],
          },
        ],
      }),
    ]);
    const layout = await ociLayout(client.dir, 'replicated everywhere\n', 'v1');
    const sourceCreds = `AWS:${await loginPasswordAs(endpoint, HOME_CREDENTIALS, SOURCE_REGION)}`;
    // Act
    await skopeoPush(client.env, sourceCreds, `${layout.path}:v1`, `${host}/${name}:v1`);
    // Assess: each destination's own login pulls the replica through /v2/
    const inspectWith = async (password: string) =>
      (
        JSON.parse(
          (
            await skopeo(
              'inspect',
              '--tls-verify=false',
              '--creds',
              `AWS:${password}`,
              `docker://${host}/${name}:v1`,
            )
          ).stdout,
        ) as { Digest: string }
      ).Digest;
    expect(await inspectWith(await loginPasswordAs(endpoint, HOME_CREDENTIALS, SECOND_REGION))).toBe(
      layout.digest,
    );
    expect(await inspectWith(await loginPasswordAs(endpoint, other, SOURCE_REGION))).toBe(layout.digest);
    const status = await awsEcr(endpoint, [
      'describe-image-replication-status',
      '--region',
      SOURCE_REGION,
      '--repository-name',
      name,
      '--image-id',
      `imageDigest=${layout.digest}`,
    ]);
    expect(status.replicationStatuses).toEqual(
      expect.arrayContaining([
        { region: SECOND_REGION, registryId: HOME, status: 'COMPLETE' },
        { region: SOURCE_REGION, registryId: OTHER, status: 'COMPLETE' },
      ]),
    );
    expect(status.replicationStatuses).toHaveLength(2);
  });
});
