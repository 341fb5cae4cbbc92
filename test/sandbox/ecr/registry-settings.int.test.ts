import {
  CreateRepositoryCommand,
  ECRClient,
  GetRegistryPolicyCommand,
  PutRegistryPolicyCommand,
  PutRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountCredentials } from '../../support/accounts.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { awsEcr, awsEcrError, type CliCredentials } from './aws-cli.ts';

// Registry-wide settings of the shared sandbox's own account would change what other tests' pushes do: this file
// works in an account of its own. Each AWS CLI run takes seconds on a busy machine, hence the long timeouts.
const ACCOUNT = '444455556666';
let credentials: CliCredentials;
const ecr = (...args: string[]) => awsEcr(sandboxUrl(), args, credentials);
const ecrError = (...args: string[]) => awsEcrError(sandboxUrl(), args, credentials);

beforeAll(async () => {
  ({ credentials } = await accountCredentials(sandboxUrl(), ACCOUNT));
});

const arnOf = (name: string) => `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`;

const CLI_TIMEOUT = { timeout: 180_000 };

describe('BatchGetRepositoryScanningConfiguration through the AWS CLI', CLI_TIMEOUT, () => {
  it('answers each repository from the registry rules and its scanOnPush, unknown names as failures', async () => {
    // Prepare
    const base = uniqueName('scan');
    const pushed = `${base}-own`;
    const prod = `${base}-prod`;
    const plain = `${base}-plain`;
    const missing = `${base}-missing`;
    // Setup through the SDK: only the action under test goes through the (slow to start) CLI.
    const sdk = new ECRClient(await accountCredentials(sandboxUrl(), ACCOUNT));
    await sdk.send(
      new CreateRepositoryCommand({
        repositoryName: pushed,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    await sdk.send(new CreateRepositoryCommand({ repositoryName: prod }));
    await sdk.send(new CreateRepositoryCommand({ repositoryName: plain }));
    const filter = (value: string) => [{ filter: value, filterType: 'WILDCARD' as const }];
    const get = () =>
      ecr('batch-get-repository-scanning-configuration', '--repository-names', pushed, prod, plain, missing);
    // Act: basic scanning, scan on push for *-prod
    await sdk.send(
      new PutRegistryScanningConfigurationCommand({
        scanType: 'BASIC',
        rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: filter(`${base}-prod*`) }],
      }),
    );
    const basic = await get();
    // Act: enhanced, continuous for *-prod and scan on push for everything else
    await sdk.send(
      new PutRegistryScanningConfigurationCommand({
        scanType: 'ENHANCED',
        rules: [
          { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: filter(`${base}-*`) },
          { scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: filter('*-prod') },
        ],
      }),
    );
    const enhanced = await get();
    await sdk.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
    sdk.destroy();
    // Assess
    const failure = {
      repositoryName: missing,
      failureCode: 'REPOSITORY_NOT_FOUND',
      failureReason: `The repository with name '${missing}' does not exist in the registry with id '${ACCOUNT}'`,
    };
    expect(basic).toEqual({
      scanningConfigurations: [
        {
          repositoryArn: arnOf(pushed),
          repositoryName: pushed,
          scanOnPush: true,
          scanFrequency: 'SCAN_ON_PUSH',
          appliedScanFilters: [],
        },
        {
          repositoryArn: arnOf(prod),
          repositoryName: prod,
          scanOnPush: false,
          scanFrequency: 'SCAN_ON_PUSH',
          appliedScanFilters: filter(`${base}-prod*`),
        },
        {
          repositoryArn: arnOf(plain),
          repositoryName: plain,
          scanOnPush: false,
          scanFrequency: 'MANUAL',
          appliedScanFilters: [],
        },
      ],
      failures: [failure],
    });
    // With ENHANCED only the rules count: the repository's own scanOnPush no longer makes it scan on push.
    expect(enhanced.scanningConfigurations).toEqual([
      expect.objectContaining({
        repositoryName: pushed,
        scanFrequency: 'SCAN_ON_PUSH',
        appliedScanFilters: filter(`${base}-*`),
      }),
      expect.objectContaining({
        repositoryName: prod,
        scanFrequency: 'CONTINUOUS_SCAN',
        appliedScanFilters: filter('*-prod'),
      }),
      expect.objectContaining({
        repositoryName: plain,
        scanFrequency: 'SCAN_ON_PUSH',
        appliedScanFilters: filter(`${base}-*`),
      }),
    ]);
    expect(enhanced.failures).toEqual([failure]);
  });

  it('refuses more than 25 names and invalid names with InvalidParameterException', async () => {
    const names = Array.from({ length: 26 }, (_, n) => `repo-${n}`);
    const tooMany = await ecrError(
      'batch-get-repository-scanning-configuration',
      '--repository-names',
      ...names,
    );
    const invalid = await ecrError(
      'batch-get-repository-scanning-configuration',
      '--repository-names',
      'Bad_Name',
    );
    expect(tooMany.code).toBe('InvalidParameterException');
    expect(tooMany.message).toContain('repositoryNames');
    expect(invalid.code).toBe('InvalidParameterException');
    expect(invalid.message).toContain('repositoryNames[0]');
  });
});

describe('the registry policy through the AWS CLI', CLI_TIMEOUT, () => {
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReplicationFromSource',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
        Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*`,
      },
    ],
  });

  it('is put, read back and deleted; without one, Get and Delete are RegistryPolicyNotFoundException', async () => {
    // Act
    const before = await ecrError('get-registry-policy');
    const put = await ecr('put-registry-policy', '--policy-text', policy);
    const got = await ecr('get-registry-policy');
    const deleted = await ecr('delete-registry-policy');
    const afterGet = await ecrError('get-registry-policy');
    const afterDelete = await ecrError('delete-registry-policy');
    // Assess
    expect(before).toEqual({
      code: 'RegistryPolicyNotFoundException',
      message: `Registry policy does not exist in the registry with id '${ACCOUNT}'`,
    });
    expect(put).toEqual({ registryId: ACCOUNT, policyText: policy });
    expect(got).toEqual({ registryId: ACCOUNT, policyText: policy });
    expect(deleted).toEqual({ registryId: ACCOUNT, policyText: policy });
    expect(afterGet.code).toBe('RegistryPolicyNotFoundException');
    expect(afterDelete.code).toBe('RegistryPolicyNotFoundException');
  });

  // The refusals through the SDK: the CLI takes seconds a call, and the wire is the same.
  it.each([
    ['text that is not JSON', '{"Version":'],
    ['JSON without a Statement', '{"Version":"2012-10-17"}'],
    ['a JSON array', '[]'],
    ['a policy over 10,240 characters', JSON.stringify({ Statement: [], Sid: 'x'.repeat(10_240) })],
  ])('refuses %s with InvalidParameterException, keeping no policy', async (_what, text) => {
    const sdk = new ECRClient(await accountCredentials(sandboxUrl(), ACCOUNT));
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => ({ name: 'ok', message: '' }),
        (error: Error) => ({ name: error.name, message: error.message }),
      );
    const refused = await outcome(sdk.send(new PutRegistryPolicyCommand({ policyText: text })));
    const after = await outcome(sdk.send(new GetRegistryPolicyCommand({})));
    sdk.destroy();
    expect(refused.name).toBe('InvalidParameterException');
    expect(refused.message).toMatch(/^Invalid parameter at 'PolicyText' failed to satisfy constraint: /);
    expect(after.name).toBe('RegistryPolicyNotFoundException');
  });

  it('keeps the registry policy per account: the sandbox’s own registry has none', async () => {
    await ecr('put-registry-policy', '--policy-text', policy);
    const homeClient = new ECRClient(awsClientConfig());
    const home = {
      code: await homeClient.send(new GetRegistryPolicyCommand({})).then(
        () => 'ok',
        (error: Error) => error.name,
      ),
    };
    homeClient.destroy();
    await ecr('delete-registry-policy');
    expect(home.code).toBe('RegistryPolicyNotFoundException');
  });
});
