import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateRepositoryCommand,
  CreateRepositoryCreationTemplateCommand,
  ECRClient,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  PutReplicationConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ecrObservedState } from '../../src/compliance/adapters/ecr-observed-state.ts';
import { UnknownRepositoryError } from '../../src/compliance/ports.ts';
import { SANDBOX_ACCOUNT_ID, type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The compliance reader against the sandbox's ECR emulator: repositories made with the real AWS CLI and SDK,
 * read back through the adapter. Registry settings and faults are registry- and sandbox-wide, so this file runs
 * its own sandbox.
 */

const run = promisify(execFile);

let sandbox: Sandbox;
let ecr: ECRClient;
let admin: ReturnType<typeof sandboxAdmin>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  admin = sandboxAdmin(sandbox.url);
}, 90_000);

afterAll(async () => {
  ecr?.destroy();
  await sandbox?.stop();
}, 30_000);

afterEach(async () => {
  await admin('DELETE', '/faults');
});

/** `aws ecr ARGS…` against the sandbox, as a person types it; its JSON output. */
async function aws(...args: string[]): Promise<unknown> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(tmpdir(), 'no-aws-config'),
  };
  const { stdout } = await run('aws', ['ecr', ...args, '--endpoint-url', sandbox.url], { env });
  return stdout.trim() === '' ? null : JSON.parse(stdout);
}

const PUBLIC_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: ['ecr:BatchGetImage'] }],
});

/** Caps untagged images, but a `release-*` rule shields release tags from any cap, and other tags match none. */
const NEVER_CAPS_TAGGED = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      selection: {
        tagStatus: 'tagged',
        tagPrefixList: ['release-'],
        countType: 'imageCountMoreThan',
        countNumber: 9999,
      },
      action: { type: 'expire' },
    },
  ],
});

const CAPS_ALL = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50 },
      action: { type: 'expire' },
    },
  ],
});

describe('ecrObservedState', () => {
  it('reads a repository made with the AWS CLI: scanning off, mutable tags, a public policy, a weak lifecycle policy, no tags', async () => {
    // Prepare
    const repositoryName = uniqueName('drifting');
    await aws(
      'create-repository',
      '--repository-name',
      repositoryName,
      '--image-tag-mutability',
      'MUTABLE',
      '--image-scanning-configuration',
      'scanOnPush=false',
    );
    await aws('set-repository-policy', '--repository-name', repositoryName, '--policy-text', PUBLIC_POLICY);
    await aws(
      'put-lifecycle-policy',
      '--repository-name',
      repositoryName,
      '--lifecycle-policy-text',
      NEVER_CAPS_TAGGED,
    );

    // Act
    const { repositories } = await ecrObservedState(ecr).read({ repositoryNames: [repositoryName] });

    // Assess
    expect(repositories).toHaveLength(1);
    const [state] = repositories;
    expect(state).toMatchObject({
      repositoryName,
      repositoryArn: `arn:aws:ecr:us-east-1:${SANDBOX_ACCOUNT_ID}:repository/${repositoryName}`,
      registryId: SANDBOX_ACCOUNT_ID,
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
      scanFrequency: 'MANUAL',
      tags: [],
    });
    expect(JSON.parse(state?.repositoryPolicyText ?? 'null')).toEqual(JSON.parse(PUBLIC_POLICY));
    expect(JSON.parse(state?.lifecyclePolicyText ?? 'null')).toEqual(JSON.parse(NEVER_CAPS_TAGGED));
    expect(state?.unreadable).toBeUndefined();
  });

  it('reads a compliant repository: scan on push, immutable with exclusions, KMS, tags; no policies is "none"', async () => {
    // Prepare
    const repositoryName = uniqueName('compliant');
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: true },
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
        encryptionConfiguration: { encryptionType: 'KMS' },
        tags: [
          { Key: 'team', Value: 'platform' },
          { Key: 'cost-center', Value: '1000' },
        ],
      }),
    );

    // Act
    const { repositories } = await ecrObservedState(ecr).read({ repositoryNames: [repositoryName] });

    // Assess
    const [state] = repositories;
    expect(state).toMatchObject({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: expect.stringMatching(/^arn:aws:kms:/) },
      scanFrequency: 'SCAN_ON_PUSH',
    });
    expect(state?.tags).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'platform' },
        { Key: 'cost-center', Value: '1000' },
      ]),
    );
    expect(state?.lifecyclePolicyText).toBeUndefined();
    expect(state?.repositoryPolicyText).toBeUndefined();
    expect(state?.unreadable).toBeUndefined();
  });

  it('reads the registry: scanning rules (the effective frequency per repository), replication, creation templates', async () => {
    // Prepare
    const prefix = uniqueName('scanned');
    const covered = `${prefix}-a`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: covered }));
    await ecr.send(
      new PutRegistryScanningConfigurationCommand({
        scanType: 'BASIC',
        rules: [
          {
            scanFrequency: 'SCAN_ON_PUSH',
            repositoryFilters: [{ filter: `${prefix}-*`, filterType: 'WILDCARD' }],
          },
        ],
      }),
    );
    await ecr.send(
      new PutReplicationConfigurationCommand({
        replicationConfiguration: {
          rules: [
            {
              destinations: [{ region: 'eu-west-1', registryId: '222222222222' }],
              repositoryFilters: [{ filter: 'prod-', filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      }),
    );
    await ecr.send(
      new CreateRepositoryCreationTemplateCommand({
        prefix: 'services',
        appliedFor: ['CREATE_ON_PUSH'],
        imageTagMutability: 'IMMUTABLE',
        lifecyclePolicy: CAPS_ALL,
        resourceTags: [{ Key: 'team', Value: 'platform' }],
      }),
    );

    // Act
    const { registry, repositories } = await ecrObservedState(ecr).read({ repositoryNames: [covered] });

    // Assess
    expect(repositories[0]?.scanFrequency).toBe('SCAN_ON_PUSH');
    expect(registry).toMatchObject({
      registryId: SANDBOX_ACCOUNT_ID,
      scanning: {
        scanType: 'BASIC',
        rules: [
          {
            scanFrequency: 'SCAN_ON_PUSH',
            repositoryFilters: [{ filter: `${prefix}-*`, filterType: 'WILDCARD' }],
          },
        ],
      },
      replication: {
        rules: [
          {
            destinations: [{ region: 'eu-west-1', registryId: '222222222222' }],
            repositoryFilters: [{ filter: 'prod-', filterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
    expect(registry.creationTemplates).toEqual([
      expect.objectContaining({
        prefix: 'services',
        appliedFor: ['CREATE_ON_PUSH'],
        imageTagMutability: 'IMMUTABLE',
        resourceTags: [{ Key: 'team', Value: 'platform' }],
      }),
    ]);
    expect(JSON.parse(registry.creationTemplates[0]?.lifecyclePolicy ?? 'null')).toEqual(
      JSON.parse(CAPS_ALL),
    );
    expect(registry.unreadable).toBeUndefined();
  });

  it('lists every repository without names, asking scanning configurations 25 at a time', async () => {
    // Prepare
    const prefix = uniqueName('many');
    const names = Array.from({ length: 30 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
    for (const repositoryName of names) await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    await admin('DELETE', '/requests');

    // Act
    const { repositories } = await ecrObservedState(ecr).read({});

    // Assess
    const read = repositories.map((r) => r.repositoryName);
    expect(read).toEqual(expect.arrayContaining(names));
    expect(repositories.every((r) => r.unreadable === undefined)).toBe(true);
    const counts = (await admin('GET', '/requests')) as { ecr: Record<string, number> };
    expect(counts.ecr.BatchGetRepositoryScanningConfiguration).toBe(Math.ceil(read.length / 25));
    expect(counts.ecr.GetLifecyclePolicy).toBe(read.length);
    expect(counts.ecr.DescribeRepositories).toBe(1);
  });

  it('a name the registry does not hold is an UnknownRepositoryError', async () => {
    await expect(
      ecrObservedState(ecr).read({ repositoryNames: [uniqueName('missing')] }),
    ).rejects.toBeInstanceOf(UnknownRepositoryError);
  });

  it('a read that fails is recorded as unreadable with its reason, the other reads kept', async () => {
    // Prepare
    const repositoryName = uniqueName('denied');
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: CAPS_ALL }));
    for (const action of ['GetLifecyclePolicy', 'DescribeRegistry'])
      await admin('POST', '/faults', {
        service: 'ecr',
        action,
        error: 'AccessDeniedException',
        message: `not authorized to perform ecr:${action}`,
      });

    // Act
    const { registry, repositories } = await ecrObservedState(ecr).read({
      repositoryNames: [repositoryName],
    });

    // Assess
    const [state] = repositories;
    expect(state?.unreadable).toEqual({
      lifecyclePolicyText:
        'GetLifecyclePolicy: AccessDeniedException: not authorized to perform ecr:GetLifecyclePolicy',
    });
    expect(state?.lifecyclePolicyText).toBeUndefined();
    expect(state?.scanFrequency).toBe('MANUAL');
    expect(registry.unreadable).toEqual({
      replication: 'DescribeRegistry: AccessDeniedException: not authorized to perform ecr:DescribeRegistry',
    });
    expect(registry.registryId).toBe(SANDBOX_ACCOUNT_ID);
  });
});
