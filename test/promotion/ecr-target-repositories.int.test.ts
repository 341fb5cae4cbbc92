import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  LifecyclePolicyNotFoundException,
} from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { ecrTargetRepositories } from '../../src/promotion/adapters/ecr-target-repositories.ts';
import type { RepositorySettings } from '../../src/promotion/ports.ts';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/server.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';

/** Target repositories against the shared sandbox's ECR emulator, read back with the SDK. */

const POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'expire untagged after 14 days',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});

const PROD: RepositorySettings = {
  scanOnPush: true,
  imageTagMutability: 'IMMUTABLE',
  encryption: { type: 'AES256' },
  lifecyclePolicyText: POLICY,
};

describe('ecrTargetRepositories', () => {
  const ecr = new ECRClient(awsClientConfig());
  const repositories = ecrTargetRepositories(ecr);

  async function describeRepository(repositoryName: string) {
    const out = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
    return out.repositories?.[0];
  }

  async function lifecyclePolicy(repositoryName: string): Promise<string | undefined> {
    try {
      return (await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lifecyclePolicyText;
    } catch (error) {
      if (error instanceof LifecyclePolicyNotFoundException) return undefined;
      throw error;
    }
  }

  it('creates a missing repository with scan on push, immutable tags, AES256 and the lifecycle policy', async () => {
    // Prepare
    const name = uniqueName('app-prod');

    // Act
    const result = await repositories.ensure(SANDBOX_ACCOUNT_ID, name, PROD);

    // Assess
    expect(result).toEqual({ created: true });
    const repository = await describeRepository(name);
    expect(repository?.imageTagMutability).toBe('IMMUTABLE');
    expect(repository?.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(repository?.encryptionConfiguration?.encryptionType).toBe('AES256');
    expect(JSON.parse((await lifecyclePolicy(name)) ?? 'null')).toEqual(JSON.parse(POLICY));
  });

  it('creates with KMS encryption and no lifecycle policy when none is configured', async () => {
    // Prepare
    const name = uniqueName('app-staging');

    // Act
    const result = await repositories.ensure(SANDBOX_ACCOUNT_ID, name, {
      scanOnPush: false,
      imageTagMutability: 'MUTABLE',
      encryption: { type: 'KMS' },
    });

    // Assess
    expect(result).toEqual({ created: true });
    const repository = await describeRepository(name);
    expect(repository?.encryptionConfiguration?.encryptionType).toBe('KMS');
    expect(repository?.imageTagMutability).toBe('MUTABLE');
    expect(repository?.imageScanningConfiguration?.scanOnPush).toBe(false);
    expect(await lifecyclePolicy(name)).toBeUndefined();
  });

  it('leaves an existing repository as it is', async () => {
    // Prepare
    const name = uniqueName('app-prod');
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: 'MUTABLE' }));

    // Act
    const result = await repositories.ensure(SANDBOX_ACCOUNT_ID, name, PROD);

    // Assess
    expect(result).toEqual({ created: false });
    const repository = await describeRepository(name);
    expect(repository?.imageTagMutability).toBe('MUTABLE');
    expect(repository?.imageScanningConfiguration?.scanOnPush).toBe(false);
    expect(await lifecyclePolicy(name)).toBeUndefined();
  });

  it('reports exactly one creation when two promotions ensure the same repository at once', async () => {
    // Prepare
    const name = uniqueName('app-prod');

    // Act
    const results = await Promise.all([
      repositories.ensure(SANDBOX_ACCOUNT_ID, name, PROD),
      repositories.ensure(SANDBOX_ACCOUNT_ID, name, PROD),
    ]);

    // Assess
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await describeRepository(name))?.imageTagMutability).toBe('IMMUTABLE');
  });
});
