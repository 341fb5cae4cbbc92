import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsClientBase, UsageError } from '../../src/shared/cli.ts';

/**
 * Where a command's AWS clients go (src/shared/cli.ts awsClientBase): the Region as the AWS CLI finds it
 * (--region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the shared config file, else an error that
 * says how to set one), --profile, --endpoint-url. Each case in an environment of its own: the variables it sets
 * and shared config files in a temporary directory (never the machine's ~/.aws).
 */

const VARIABLES = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;

let saved: Record<string, string | undefined>;
let dir = '';

beforeEach(async () => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of VARIABLES) delete process.env[name];
  dir = await mkdtemp(join(tmpdir(), 'aws-options-'));
  // Files that don't exist: no profile has a region unless a case writes one.
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
});

afterEach(() => {
  for (const name of VARIABLES) {
    const value = saved[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function sharedConfig(text: string): Promise<void> {
  await writeFile(join(dir, 'config'), text);
}

describe('the Region of a command', () => {
  it('is --region when given, whatever the environment and the profile say', async () => {
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_DEFAULT_REGION = 'eu-central-1';
    await sharedConfig('[default]\nregion = ap-southeast-2\n');

    expect((await awsClientBase({ region: 'sa-east-1' })).region).toBe('sa-east-1');
  });

  it('is AWS_REGION before AWS_DEFAULT_REGION and the profile', async () => {
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_DEFAULT_REGION = 'eu-central-1';
    await sharedConfig('[default]\nregion = ap-southeast-2\n');

    expect((await awsClientBase({})).region).toBe('eu-west-1');
  });

  it('is AWS_DEFAULT_REGION (which the AWS CLI reads and the JS SDK does not) before the profile', async () => {
    process.env.AWS_DEFAULT_REGION = 'eu-central-1';
    await sharedConfig('[default]\nregion = ap-southeast-2\n');

    expect((await awsClientBase({})).region).toBe('eu-central-1');
  });

  it("is the default profile's region in AWS_CONFIG_FILE, else", async () => {
    await sharedConfig('[default]\nregion = ap-southeast-2\n[profile ci]\nregion = ca-central-1\n');

    expect((await awsClientBase({})).region).toBe('ap-southeast-2');
  });

  it('is the region of the profile AWS_PROFILE or --profile names (--profile first)', async () => {
    await sharedConfig(
      '[default]\nregion = ap-southeast-2\n[profile ci]\nregion = ca-central-1\n[profile ops]\nregion = me-south-1\n',
    );
    process.env.AWS_PROFILE = 'ops';

    expect((await awsClientBase({})).region).toBe('me-south-1');
    expect(await awsClientBase({ profile: 'ci' })).toEqual({ region: 'ca-central-1', profile: 'ci' });
  });

  it('is none of them: an error naming the three ways to set one, never a silent us-east-1', async () => {
    await sharedConfig('[default]\noutput = json\n');

    const error = await awsClientBase({}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toContain('--region');
    expect(message).toContain('AWS_REGION');
    expect(message).toContain('AWS_DEFAULT_REGION');
    expect(message).toContain(`region in profile "default" of ${join(dir, 'config')}`);
  });

  it('is checked, naming where a bad one came from', async () => {
    await expect(awsClientBase({ region: 'EU West' })).rejects.toThrow(
      '--region: "EU West" is not an AWS Region name',
    );
    process.env.AWS_DEFAULT_REGION = 'eu_west_1';
    await expect(awsClientBase({})).rejects.toThrow(
      'AWS_DEFAULT_REGION: "eu_west_1" is not an AWS Region name',
    );
  });
});

describe('--profile and --endpoint-url', () => {
  it('--profile wins over AWS_PROFILE and the key variables, as with the AWS CLI: every client of the process uses it', async () => {
    await sharedConfig('[profile ci]\nregion = eu-north-1\n');
    process.env.AWS_PROFILE = 'other';
    process.env.AWS_ACCESS_KEY_ID = 'AKIAENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';

    const base = await awsClientBase({ profile: 'ci' });

    expect(base).toEqual({ region: 'eu-north-1', profile: 'ci' });
    expect(process.env.AWS_PROFILE).toBe('ci');
    expect(process.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(process.env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it('a profile in neither shared file is a usage error naming both files', async () => {
    await sharedConfig('[profile ci]\nregion = eu-north-1\n');

    await expect(awsClientBase({ profile: 'nope', region: 'eu-west-1' })).rejects.toThrow(
      `--profile: no profile "nope" in ${join(dir, 'config')} or ${join(dir, 'credentials')}`,
    );
  });

  it('a profile of the credentials file alone is one (its keys; the Region from elsewhere)', async () => {
    await writeFile(
      join(dir, 'credentials'),
      '[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = s\n',
    );

    expect(await awsClientBase({ profile: 'ci', region: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      profile: 'ci',
    });
  });

  it('--endpoint-url is every client’s endpoint, and must be an http(s) URL', async () => {
    expect(await awsClientBase({ region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:4566' })).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4566',
    });
    await expect(awsClientBase({ region: 'eu-west-1', endpointUrl: '127.0.0.1:4566' })).rejects.toThrow(
      '--endpoint-url: expected an http(s) URL',
    );
  });
});
