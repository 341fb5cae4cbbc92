import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { accountCredentials } from '../../support/accounts.ts';
import { adminRequest } from '../../support/admin.ts';
import { awsClientConfig } from '../../support/sandbox.ts';

// Restarts and resets: this file runs sandboxes of its own.
const SOURCE = '111111111111';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-registries-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function repositoryNames(config: object): Promise<string[]> {
  const ecr = new ECRClient(config);
  try {
    const { repositories = [] } = await ecr.send(new DescribeRepositoriesCommand({}));
    return repositories.map((r) => r.repositoryArn as string);
  } finally {
    ecr.destroy();
  }
}

async function create(config: object, repositoryName: string): Promise<void> {
  const ecr = new ECRClient(config);
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  ecr.destroy();
}

describe('registries across restarts and resets', () => {
  let sandbox: Sandbox | undefined;
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('keeps every registry in the state directory across a restart', async () => {
    // Prepare
    sandbox = await startSandbox({ port: 0, quiet: true, stateDir: dir });
    await create(await accountCredentials(sandbox.url, SOURCE), 'theirs');
    await create({ ...(await accountCredentials(sandbox.url, SOURCE)), region: 'eu-west-1' }, 'theirs-west');
    await create(awsClientConfig(sandbox.url), 'ours');
    await sandbox.stop();
    // Act
    sandbox = await startSandbox({ port: 0, quiet: true, stateDir: dir });
    const source = await accountCredentials(sandbox.url, SOURCE);
    // Assess
    expect(await repositoryNames(source)).toEqual([`arn:aws:ecr:us-east-1:${SOURCE}:repository/theirs`]);
    expect(await repositoryNames({ ...source, region: 'eu-west-1' })).toEqual([
      `arn:aws:ecr:eu-west-1:${SOURCE}:repository/theirs-west`,
    ]);
    expect(await repositoryNames(awsClientConfig(sandbox.url))).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/ours',
    ]);
  });

  it('empties every registry on reset, and forgets the keys STS handed out', async () => {
    // Prepare
    if (!sandbox) throw new Error('the previous test starts the sandbox');
    const before = await accountCredentials(sandbox.url, SOURCE);
    // Act
    const reset = await adminRequest(sandbox.url, 'POST', 'reset');
    // Assess
    expect(reset.status).toBe(200);
    expect(await repositoryNames(awsClientConfig(sandbox.url))).toEqual([]);
    expect(await repositoryNames(await accountCredentials(sandbox.url, SOURCE))).toEqual([]);
    // moto forgot the key too: it now stands for the sandbox's account, as any unknown key does.
    await create(before, 'after-reset');
    expect(await repositoryNames(awsClientConfig(sandbox.url))).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/after-reset',
    ]);
  });
});
