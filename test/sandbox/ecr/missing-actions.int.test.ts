import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountCredentials } from '../../support/accounts.ts';
import { pushImage, sampleImage } from '../../support/images.ts';
import { sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { awsEcr, awsEcrError, type CliCredentials } from './aws-cli.ts';

// The actions issue 13 found missing, and ECR's validation of policies, replication and digests, through the AWS
// CLI (and the SDK where a second principal is needed). Registry-wide settings would change what other tests'
// pushes do: this file works in an account of its own. Each CLI run takes seconds on a busy machine.
const ACCOUNT = '565656565656';
let credentials: CliCredentials;
const ecr = (...args: string[]) => awsEcr(sandboxUrl(), args, credentials);
const ecrError = (...args: string[]) => awsEcrError(sandboxUrl(), args, credentials);
const CLI_TIMEOUT = { timeout: 400_000 };

beforeAll(async () => {
  ({ credentials } = await accountCredentials(sandboxUrl(), ACCOUNT));
});

const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:ecr-pullthroughcache/hub-AbCdEf`;
const PROFILE = `arn:aws:signer:us-east-1:${ACCOUNT}:/signing-profiles/sandbox_profile`;

describe('pull through cache rules through the AWS CLI', CLI_TIMEOUT, () => {
  it('creates, describes, validates (offline), updates and deletes a rule, with the documented errors', async () => {
    // Prepare
    const prefix = uniqueName('hub').slice(0, 30);
    // Act
    const created = await ecr(
      'create-pull-through-cache-rule',
      '--ecr-repository-prefix',
      prefix,
      '--upstream-registry-url',
      'registry-1.docker.io',
      '--credential-arn',
      SECRET,
    );
    const duplicate = await ecrError(
      'create-pull-through-cache-rule',
      '--ecr-repository-prefix',
      prefix,
      '--upstream-registry-url',
      'registry-1.docker.io',
      '--credential-arn',
      SECRET,
    );
    const noSecret = await ecrError(
      'create-pull-through-cache-rule',
      '--ecr-repository-prefix',
      `${prefix.slice(0, 26)}-gh`,
      '--upstream-registry-url',
      'ghcr.io',
    );
    const unsupported = await ecrError(
      'create-pull-through-cache-rule',
      '--ecr-repository-prefix',
      `${prefix.slice(0, 26)}-ex`,
      '--upstream-registry-url',
      'registry.example.com',
    );
    const described = await ecr('describe-pull-through-cache-rules', '--ecr-repository-prefixes', prefix);
    const validated = await ecr('validate-pull-through-cache-rule', '--ecr-repository-prefix', prefix);
    const pulled = await ecr(
      'batch-get-image',
      '--repository-name',
      `${prefix}/library/alpine`,
      '--image-ids',
      'imageTag=3.20',
    );
    const updated = await ecr(
      'update-pull-through-cache-rule',
      '--ecr-repository-prefix',
      prefix,
      '--credential-arn',
      `${SECRET}2`,
    );
    const deleted = await ecr('delete-pull-through-cache-rule', '--ecr-repository-prefix', prefix);
    const gone = await ecrError('delete-pull-through-cache-rule', '--ecr-repository-prefix', prefix);
    // Assess
    expect(created).toMatchObject({
      ecrRepositoryPrefix: prefix,
      upstreamRegistryUrl: 'registry-1.docker.io',
      upstreamRegistry: 'docker-hub',
      credentialArn: SECRET,
      registryId: ACCOUNT,
      upstreamRepositoryPrefix: 'ROOT',
    });
    expect(duplicate).toEqual({
      code: 'PullThroughCacheRuleAlreadyExistsException',
      message: `A pull through cache rule with prefix '${prefix}' already exists in the registry with id '${ACCOUNT}'`,
    });
    expect(noSecret.code).toBe('InvalidParameterException');
    expect(noSecret.message).toContain('github-container-registry requires authentication');
    expect(unsupported.code).toBe('UnsupportedUpstreamRegistryException');
    expect(described.pullThroughCacheRules).toEqual([
      expect.objectContaining({ ecrRepositoryPrefix: prefix }),
    ]);
    expect(validated).toMatchObject({
      isValid: false,
      failure:
        "upstream unreachable: the sandbox is offline: registry-1.docker.io can't be reached to check the credentials",
    });
    expect(pulled).toEqual({
      images: [],
      failures: [
        {
          imageId: { imageTag: '3.20' },
          failureCode: 'UpstreamUnavailable',
          failureReason: `upstream unreachable: the sandbox is offline: the pull through cache rule '${prefix}' would fetch 'library/alpine' from registry-1.docker.io, which can't be reached`,
        },
      ],
    });
    expect(updated).toMatchObject({ ecrRepositoryPrefix: prefix, credentialArn: `${SECRET}2` });
    expect(deleted).toMatchObject({ ecrRepositoryPrefix: prefix, credentialArn: `${SECRET}2` });
    expect(gone.code).toBe('PullThroughCacheRuleNotFoundException');
  });
});

describe('signing configuration through the AWS CLI', CLI_TIMEOUT, () => {
  it('stores and returns the configuration; the image signing status says the sandbox signs nothing', async () => {
    // Prepare
    const repositoryName = uniqueName('signed');
    const sdk = new ECRClient(await accountCredentials(sandboxUrl(), ACCOUNT));
    await sdk.send(new CreateRepositoryCommand({ repositoryName }));
    const { imageDigest } = await pushImage(sdk, repositoryName, sampleImage(repositoryName), 'v1');
    sdk.destroy();
    const configuration = JSON.stringify({
      rules: [
        {
          signingProfileArn: PROFILE,
          repositoryFilters: [{ filter: 'signed-*', filterType: 'WILDCARD_MATCH' }],
        },
      ],
    });
    // Act
    const put = await ecr('put-signing-configuration', '--signing-configuration', configuration);
    const got = await ecr('get-signing-configuration');
    const status = await ecr(
      'describe-image-signing-status',
      '--repository-name',
      repositoryName,
      '--image-id',
      'imageTag=v1',
    );
    const badProfile = await ecrError(
      'put-signing-configuration',
      '--signing-configuration',
      JSON.stringify({ rules: [{ signingProfileArn: 'arn:aws:signer:us-east-1:1:/signing-profiles/x' }] }),
    );
    const deleted = await ecr('delete-signing-configuration');
    const missing = await ecrError('get-signing-configuration');
    // Assess
    expect(put).toEqual({ signingConfiguration: JSON.parse(configuration) });
    expect(got).toEqual({ registryId: ACCOUNT, signingConfiguration: JSON.parse(configuration) });
    expect(status).toEqual({
      repositoryName,
      imageId: { imageDigest, imageTag: 'v1' },
      registryId: ACCOUNT,
      signingStatuses: [
        {
          signingProfileArn: PROFILE,
          status: 'FAILED',
          failureCode: 'SIGNING_NOT_AVAILABLE_IN_SANDBOX',
          failureReason: `The sandbox does not sign images: AWS Signer is not emulated, so no signature was made with signing profile ${PROFILE}`,
        },
      ],
    });
    expect(badProfile.code).toBe('InvalidParameterException');
    expect(deleted).toEqual({ registryId: ACCOUNT, signingConfiguration: JSON.parse(configuration) });
    expect(missing.code).toBe('SigningConfigurationNotFoundException');
  });
});

describe('pull time update exclusions', CLI_TIMEOUT, () => {
  it('are registered and listed through the CLI, and a pull by an excluded role leaves the pull time alone', async () => {
    // Prepare
    const repositoryName = uniqueName('pulls');
    const excludedRole = `arn:aws:iam::${ACCOUNT}:role/excluded-puller`;
    const excluded = new ECRClient(
      await accountCredentials(sandboxUrl(), ACCOUNT, { roleName: 'excluded-puller' }),
    );
    const counted = new ECRClient(
      await accountCredentials(sandboxUrl(), ACCOUNT, { roleName: 'counted-puller' }),
    );
    await counted.send(new CreateRepositoryCommand({ repositoryName }));
    await pushImage(counted, repositoryName, sampleImage(repositoryName), 'v1');
    const pull = (client: ECRClient) =>
      client.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }));
    const pullTime = async () =>
      (await counted.send(new DescribeImagesCommand({ repositoryName }))).imageDetails?.[0]
        ?.lastRecordedPullTime;
    // Act
    const registered = await ecr('register-pull-time-update-exclusion', '--principal-arn', excludedRole);
    const duplicate = await ecrError('register-pull-time-update-exclusion', '--principal-arn', excludedRole);
    const malformed = await ecrError(
      'register-pull-time-update-exclusion',
      '--principal-arn',
      `arn:aws:sts::${ACCOUNT}:assumed-role/excluded-puller/s`,
    );
    const listed = await ecr('list-pull-time-update-exclusions');
    await pull(excluded);
    const afterExcluded = await pullTime();
    await pull(counted);
    const afterCounted = await pullTime();
    const deregistered = await ecr('deregister-pull-time-update-exclusion', '--principal-arn', excludedRole);
    const notFound = await ecrError('deregister-pull-time-update-exclusion', '--principal-arn', excludedRole);
    excluded.destroy();
    counted.destroy();
    // Assess
    expect(registered).toMatchObject({ principalArn: excludedRole });
    expect(duplicate.code).toBe('ExclusionAlreadyExistsException');
    expect(malformed.code).toBe('InvalidParameterException');
    expect(listed.pullTimeUpdateExclusions).toContain(excludedRole);
    expect(afterExcluded).toBeUndefined();
    expect(afterCounted).toBeInstanceOf(Date);
    expect(deregistered).toEqual({ principalArn: excludedRole });
    expect(notFound.code).toBe('ExclusionNotFoundException');
  });
});

describe("ECR's validation through the AWS CLI", CLI_TIMEOUT, () => {
  it('refuses policy statements without Principal or Action, the source registry as replication destination, and reports a malformed digest as InvalidImageDigest', async () => {
    // Prepare
    const repositoryName = uniqueName('valid');
    await ecr('create-repository', '--repository-name', repositoryName);
    const policy = (statement: Record<string, unknown>) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });
    // Act
    const noPrincipal = await ecrError(
      'set-repository-policy',
      '--repository-name',
      repositoryName,
      '--policy-text',
      policy({ Action: 'ecr:BatchGetImage' }),
    );
    const noAction = await ecrError(
      'set-repository-policy',
      '--repository-name',
      repositoryName,
      '--policy-text',
      policy({ Principal: '*' }),
    );
    const registryNoPrincipal = await ecrError(
      'put-registry-policy',
      '--policy-text',
      policy({ Action: 'ecr:ReplicateImage', Resource: '*' }),
    );
    const sameRegistry = await ecrError(
      'put-replication-configuration',
      '--replication-configuration',
      JSON.stringify({ rules: [{ destinations: [{ region: 'us-east-1', registryId: ACCOUNT }] }] }),
    );
    const tooManyRules = await ecrError(
      'put-replication-configuration',
      '--replication-configuration',
      JSON.stringify({
        rules: Array.from({ length: 11 }, () => ({
          destinations: [{ region: 'eu-west-1', registryId: ACCOUNT }],
        })),
      }),
    );
    const deleted = await ecr(
      'batch-delete-image',
      '--repository-name',
      repositoryName,
      '--image-ids',
      'imageDigest=sha256:invalid-digest',
    );
    // Assess
    const invalidRepositoryPolicy = {
      code: 'InvalidParameterException',
      message:
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
    };
    expect(noPrincipal).toEqual(invalidRepositoryPolicy);
    expect(noAction).toEqual(invalidRepositoryPolicy);
    expect(registryNoPrincipal).toEqual({
      code: 'InvalidParameterException',
      message:
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'",
    });
    expect(sameRegistry).toEqual({
      code: 'InvalidParameterException',
      message:
        "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication destination cannot be the same as the source registry'",
    });
    expect(tooManyRules.code).toBe('InvalidParameterException');
    expect(tooManyRules.message).toContain('Member must have length less than or equal to 10');
    expect(deleted).toEqual({
      imageIds: [],
      failures: [
        {
          imageId: { imageDigest: 'sha256:invalid-digest' },
          failureCode: 'InvalidImageDigest',
          failureReason:
            "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        },
      ],
    });
  });
});
