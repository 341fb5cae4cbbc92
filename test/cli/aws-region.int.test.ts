import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';

/**
 * The Region and profile a command uses, proved by where its request lands: `repo ensure NAME` creates NAME in
 * the registry of the Region its clients sign for (the sandbox keeps one registry per account and Region),
 * then the test asks ECR in each Region where NAME is. Run as a user runs it (bin/ecr-sentinel.js), with the
 * environment of each case alone: no AWS variable of this machine, shared config files in a temporary
 * directory (never ~/.aws).
 */

let dir = '';
let configFile = '';

/** The variables every case starts from: none of the AWS ones but the temporary shared files. */
function baseEnv(): NodeJS.ProcessEnv {
  return {
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_PROFILE: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
  };
}

/** Key variables for the cases that don't take their credentials from a profile. */
const KEYS = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci' };

function ensure(name: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  return runCli(
    ['repo', 'ensure', name, '--config', configFile, '--endpoint-url', sandboxUrl(), '--json', ...args],
    { env: { ...baseEnv(), ...env } },
  );
}

/** The Regions (of those asked) whose registry holds `name`. */
async function regionsHolding(name: string, regions: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const region of regions) {
    const ecr = new ECRClient({ ...awsClientConfig(), region });
    try {
      await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
      found.push(region);
    } catch (error) {
      if ((error as Error).name !== 'RepositoryNotFoundException') throw error;
    } finally {
      ecr.destroy();
    }
  }
  return found;
}

const REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ca-central-1', 'sa-east-1'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aws-region-cli-'));
  configFile = join(dir, 'sentinel.config.yml');
  await writeFile(
    configFile,
    `version: 1
repositoryGroups:
  - name: region-check
    repositories: ["region-check-*"]
compliance:
  defaults:
    tagMutability: { mutability: IMMUTABLE, mode: enforce }
`,
  );
  await writeFile(
    join(dir, 'config'),
    '[default]\nregion = ap-southeast-2\n\n[profile ci]\nregion = ca-central-1\n\n[profile keys-only]\noutput = json\n',
  );
  // Credentials for the profile `ci` only: a run that takes its keys from elsewhere has none.
  await writeFile(
    join(dir, 'credentials'),
    '[ci]\naws_access_key_id = AKIACIPROFILE\naws_secret_access_key = ci\n',
  );
});

describe('the Region and profile of an AWS-facing command (repo ensure, through the bin, against the sandbox)', () => {
  it.each([
    ['AWS_REGION', { ...KEYS, AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-central-1' }, [], 'eu-west-1'],
    [
      'AWS_DEFAULT_REGION when AWS_REGION is not set',
      { ...KEYS, AWS_DEFAULT_REGION: 'eu-central-1' },
      [],
      'eu-central-1',
    ],
    ["the default profile's region in AWS_CONFIG_FILE when neither is set", KEYS, [], 'ap-southeast-2'],
    [
      '--region over AWS_REGION',
      { ...KEYS, AWS_REGION: 'eu-west-1' },
      ['--region', 'sa-east-1'],
      'sa-east-1',
    ],
    ["--profile's region and credentials (no key variables)", {}, ['--profile', 'ci'], 'ca-central-1'],
    ["AWS_PROFILE's region and credentials", { AWS_PROFILE: 'ci' }, [], 'ca-central-1'],
  ])('uses %s', async (_what, env, args, region) => {
    const name = uniqueName('region-check');

    const result = await ensure(name, env, ...args);

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ repositoryName: name, created: expect.any(Object) });
    expect(await regionsHolding(name, REGIONS)).toEqual([region]);
  });

  it('without any Region: exit 2 and one line naming the three ways to set one; nothing created', async () => {
    const name = uniqueName('region-check');
    const env = { ...KEYS, AWS_PROFILE: 'keys-only' };

    const result = await ensure(name, env);

    expect(result.code).toBe(2);
    const message =
      `no AWS Region: give --region REGION, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in profile ` +
      `"keys-only" of ${join(dir, 'config')} (aws configure set region REGION --profile keys-only)`;
    expect(result.stderr).toBe(`ecr-sentinel: ${message}\n`);
    expect(JSON.parse(result.stdout)).toEqual({ error: { type: 'UsageError', message } });
    expect(await regionsHolding(name, REGIONS)).toEqual([]);
  });

  it('a --profile that no shared file has: exit 2 naming it, before any request', async () => {
    const result = await ensure(
      uniqueName('region-check'),
      { ...KEYS, AWS_REGION: 'eu-west-1' },
      '--profile',
      'nope',
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ecr-sentinel: --profile: no profile "nope" in /);
  });

  it('without --profile nor AWS_PROFILE, the profile ci’s keys are not used: no credentials, exit 2', async () => {
    const result = await ensure(uniqueName('region-check'), { AWS_REGION: 'eu-west-1' });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/credential/i);
  });
});
