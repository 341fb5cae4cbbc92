import { beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, makeEmulator, type TestEmulator } from './fixtures.ts';

// Pull through cache rules, signing configuration, pull time update exclusions and the policy and digest
// validation, through the in-process emulator (the same actions go through the SDK and CLI in *.int.test.ts).
let t: TestEmulator;
beforeEach(async () => {
  t = await makeEmulator();
});

const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-AbCdEf`;
const PROFILE = `arn:aws:signer:us-east-1:${ACCOUNT}:/signing-profiles/sandbox_profile`;

describe('pull through cache rules', () => {
  it('creates, describes, updates, validates and deletes a rule', async () => {
    // Act
    const created = await t.ok('CreatePullThroughCacheRule', {
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      credentialArn: SECRET,
    });
    const described = await t.ok('DescribePullThroughCacheRules', { ecrRepositoryPrefixes: ['docker-hub'] });
    t.clock.advance(60_000);
    const updated = await t.ok('UpdatePullThroughCacheRule', {
      ecrRepositoryPrefix: 'docker-hub',
      credentialArn: `${SECRET}2`,
    });
    const validated = await t.ok('ValidatePullThroughCacheRule', { ecrRepositoryPrefix: 'docker-hub' });
    const deleted = await t.ok('DeletePullThroughCacheRule', { ecrRepositoryPrefix: 'docker-hub' });
    const gone = await t.fail('DescribePullThroughCacheRules', { ecrRepositoryPrefixes: ['docker-hub'] });
    // Assess
    const now = t.clock.now().getTime() / 1000;
    expect(created).toEqual({
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      createdAt: now - 60,
      registryId: ACCOUNT,
      credentialArn: SECRET,
      upstreamRepositoryPrefix: 'ROOT',
      upstreamRegistry: 'docker-hub',
    });
    expect(described.pullThroughCacheRules).toEqual([{ ...created, updatedAt: now - 60 }]);
    expect(updated).toEqual({
      ecrRepositoryPrefix: 'docker-hub',
      registryId: ACCOUNT,
      updatedAt: now,
      credentialArn: `${SECRET}2`,
      upstreamRepositoryPrefix: 'ROOT',
    });
    expect(validated).toMatchObject({
      ecrRepositoryPrefix: 'docker-hub',
      isValid: false,
      failure:
        "upstream unreachable: the sandbox is offline: registry-1.docker.io can't be reached to check the credentials",
    });
    expect(deleted).toMatchObject({ ecrRepositoryPrefix: 'docker-hub', credentialArn: `${SECRET}2` });
    expect(gone.type).toBe('PullThroughCacheRuleNotFoundException');
  });

  it.each([
    [
      { ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io' },
      'InvalidParameterException',
      /requires authentication: a credentialArn/,
    ],
    [
      { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io', credentialArn: SECRET },
      'InvalidParameterException',
      /quay does not take a credentialArn/,
    ],
    [
      { ecrRepositoryPrefix: 'x1', upstreamRegistryUrl: 'registry.example.com' },
      'UnsupportedUpstreamRegistryException',
      /registry\.example\.com' is not supported/,
    ],
    [
      { ecrRepositoryPrefix: 'x2', upstreamRegistryUrl: 'quay.io', upstreamRegistry: 'k8s' },
      'InvalidParameterException',
      /for k8s must be registry\.k8s\.io/,
    ],
    [
      { ecrRepositoryPrefix: 'Bad_Prefix', upstreamRegistryUrl: 'quay.io' },
      'InvalidParameterException',
      /ecrRepositoryPrefix/,
    ],
    [
      { ecrRepositoryPrefix: 'ecr', upstreamRegistryUrl: '111122223333.dkr.ecr.eu-west-1.amazonaws.com' },
      'InvalidParameterException',
      /another account \(111122223333\) requires a customRoleArn/,
    ],
    [
      {
        ecrRepositoryPrefix: 'gh',
        upstreamRegistryUrl: 'ghcr.io',
        credentialArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-prefix/x',
      },
      'InvalidParameterException',
      /credentialArn/,
    ],
  ])('refuses %j with %s', async (input, type, message) => {
    const error = await t.fail('CreatePullThroughCacheRule', input);
    expect(error.type).toBe(type);
    expect(error.message).toMatch(message);
  });

  it('refuses a second rule with the same prefix (a trailing / is the same prefix)', async () => {
    await t.ok('CreatePullThroughCacheRule', {
      ecrRepositoryPrefix: 'k8s',
      upstreamRegistryUrl: 'registry.k8s.io',
    });
    expect(
      await t.fail('CreatePullThroughCacheRule', {
        ecrRepositoryPrefix: 'k8s/',
        upstreamRegistryUrl: 'registry.k8s.io',
      }),
    ).toEqual({
      type: 'PullThroughCacheRuleAlreadyExistsException',
      message: `A pull through cache rule with prefix 'k8s/' already exists in the registry with id '${ACCOUNT}'`,
    });
  });

  it('answers a pull under a rule prefix as ECR does when the upstream cannot be reached', async () => {
    // Prepare
    await t.ok('CreatePullThroughCacheRule', {
      ecrRepositoryPrefix: 'ecr-public',
      upstreamRegistryUrl: 'public.ecr.aws',
    });
    await t.createRepoWithBlobs('ecr-public/cached');
    const digest = await t.pushImage('ecr-public/cached', 'one', 'here');
    // Act
    const uncached = await t.ok('BatchGetImage', {
      repositoryName: 'ecr-public/nginx/nginx',
      imageIds: [{ imageTag: 'latest' }],
    });
    const partly = await t.ok('BatchGetImage', {
      repositoryName: 'ecr-public/cached',
      imageIds: [{ imageTag: 'here' }, { imageTag: 'missing' }],
    });
    const described = await t.fail('DescribeImages', { repositoryName: 'ecr-public/nginx/nginx' });
    const elsewhere = await t.fail('DescribeImages', { repositoryName: 'nginx' });
    // Assess
    const reason =
      "upstream unreachable: the sandbox is offline: the pull through cache rule 'ecr-public' would fetch 'nginx/nginx' from public.ecr.aws, which can't be reached";
    expect(uncached).toEqual({
      images: [],
      failures: [
        { imageId: { imageTag: 'latest' }, failureCode: 'UpstreamUnavailable', failureReason: reason },
      ],
    });
    expect(partly.images.map((i: { imageId: { imageDigest: string } }) => i.imageId.imageDigest)).toEqual([
      digest,
    ]);
    expect(partly.failures).toEqual([
      {
        imageId: { imageTag: 'missing' },
        failureCode: 'UpstreamUnavailable',
        failureReason: reason.replace('nginx/nginx', 'cached'),
      },
    ]);
    expect(described).toEqual({
      type: 'RepositoryNotFoundException',
      message: `The repository with name 'ecr-public/nginx/nginx' does not exist in the registry with id '${ACCOUNT}' (${reason})`,
    });
    expect(elsewhere.message).not.toContain('upstream');
  });
});

describe('signing configuration', () => {
  it('stores, returns and deletes the configuration; signing status says the sandbox signs nothing', async () => {
    // Prepare
    await t.createRepoWithBlobs('signed/app');
    await t.createRepoWithBlobs('plain');
    const digest = await t.pushImage('signed/app', 'one', 'v1');
    await t.pushImage('plain', 'one', 'v1');
    const signingConfiguration = {
      rules: [
        {
          signingProfileArn: PROFILE,
          repositoryFilters: [{ filter: 'signed/*', filterType: 'WILDCARD_MATCH' }],
        },
      ],
    };
    // Act
    const missing = await t.fail('GetSigningConfiguration');
    const put = await t.ok('PutSigningConfiguration', { signingConfiguration });
    const got = await t.ok('GetSigningConfiguration');
    const signed = await t.ok('DescribeImageSigningStatus', {
      repositoryName: 'signed/app',
      imageId: { imageTag: 'v1' },
    });
    const plain = await t.ok('DescribeImageSigningStatus', {
      repositoryName: 'plain',
      imageId: { imageTag: 'v1' },
    });
    const deleted = await t.ok('DeleteSigningConfiguration');
    const again = await t.fail('DeleteSigningConfiguration');
    // Assess
    expect(missing.type).toBe('SigningConfigurationNotFoundException');
    expect(put).toEqual({ signingConfiguration });
    expect(got).toEqual({ registryId: ACCOUNT, signingConfiguration });
    expect(signed).toEqual({
      repositoryName: 'signed/app',
      imageId: { imageDigest: digest, imageTag: 'v1' },
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
    expect(plain.signingStatuses).toEqual([]);
    expect(deleted).toEqual({ registryId: ACCOUNT, signingConfiguration });
    expect(again.type).toBe('SigningConfigurationNotFoundException');
  });

  it.each([
    [
      { rules: [{ signingProfileArn: 'arn:aws:signer:us-east-1:1:/signing-profiles/x' }] },
      /signingProfileArn/,
    ],
    [
      { rules: Array.from({ length: 11 }, () => ({ signingProfileArn: PROFILE })) },
      /less than or equal to 10/,
    ],
    [
      {
        rules: [{ signingProfileArn: PROFILE, repositoryFilters: [{ filter: 'a', filterType: 'WILDCARD' }] }],
      },
      /WILDCARD_MATCH/,
    ],
    [{}, /signingConfiguration.rules/],
  ])('refuses %j with InvalidParameterException', async (signingConfiguration, message) => {
    const error = await t.fail('PutSigningConfiguration', { signingConfiguration });
    expect(error.type).toBe('InvalidParameterException');
    expect(error.message).toMatch(message);
  });
});

describe('pull time update exclusions', () => {
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/promoter`;

  it('registers, lists, pages and deregisters; a pull by an excluded role session keeps the pull time', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    await t.pushImage('app', 'one', 'v1');
    const pull = (principalArn: string) =>
      t.emulator.serve(
        'BatchGetImage',
        JSON.stringify({ repositoryName: 'app', imageIds: [{ imageTag: 'v1' }] }),
        { accountId: ACCOUNT, region: 'us-east-1', principalArn },
      );
    const pulledAt = async () =>
      (await t.ok('DescribeImages', { repositoryName: 'app' })).imageDetails[0].lastRecordedPullTime;
    // Act
    const registered = await t.ok('RegisterPullTimeUpdateExclusion', { principalArn: ROLE });
    await t.ok('RegisterPullTimeUpdateExclusion', { principalArn: `arn:aws:iam::${ACCOUNT}:user/ci` });
    const duplicate = await t.fail('RegisterPullTimeUpdateExclusion', { principalArn: ROLE });
    const page1 = await t.ok('ListPullTimeUpdateExclusions', { maxResults: 1 });
    const page2 = await t.ok('ListPullTimeUpdateExclusions', { maxResults: 1, nextToken: page1.nextToken });
    await pull(`arn:aws:sts::${ACCOUNT}:assumed-role/promoter/session-1`);
    const afterExcluded = await pulledAt();
    await pull(`arn:aws:sts::${ACCOUNT}:assumed-role/deployer/session-1`);
    const afterOther = await pulledAt();
    const deregistered = await t.ok('DeregisterPullTimeUpdateExclusion', { principalArn: ROLE });
    const notThere = await t.fail('DeregisterPullTimeUpdateExclusion', { principalArn: ROLE });
    const malformed = await t.fail('RegisterPullTimeUpdateExclusion', {
      principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/promoter/s`,
    });
    // Assess
    expect(registered).toEqual({ principalArn: ROLE, createdAt: t.clock.now().getTime() / 1000 });
    expect(duplicate.type).toBe('ExclusionAlreadyExistsException');
    expect(page1.pullTimeUpdateExclusions).toEqual([ROLE]);
    expect(page2).toEqual({ pullTimeUpdateExclusions: [`arn:aws:iam::${ACCOUNT}:user/ci`] });
    expect(afterExcluded).toBeUndefined();
    expect(afterOther).toBe(t.clock.now().getTime() / 1000);
    expect(deregistered).toEqual({ principalArn: ROLE });
    expect(notThere.type).toBe('ExclusionNotFoundException');
    expect(malformed.type).toBe('InvalidParameterException');
  });

  it('refuses a 101st exclusion with LimitExceededException', async () => {
    for (let i = 0; i < 100; i++) {
      await t.ok('RegisterPullTimeUpdateExclusion', { principalArn: `arn:aws:iam::${ACCOUNT}:role/r${i}` });
    }
    const error = await t.fail('RegisterPullTimeUpdateExclusion', {
      principalArn: `arn:aws:iam::${ACCOUNT}:role/r100`,
    });
    expect(error.type).toBe('LimitExceededException');
  });
});

describe('policy grammar and digests', () => {
  const REPO_POLICY_ERROR = {
    type: 'InvalidParameterException',
    message:
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
  };
  const statement = { Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' };

  it.each([
    ['no Principal', { Effect: 'Allow', Action: 'ecr:*' }],
    ['no Action', { Effect: 'Allow', Principal: '*' }],
    ['Effect Permit', { ...statement, Effect: 'Permit' }],
    ['Action and NotAction', { ...statement, NotAction: 'ecr:PutImage' }],
    ['an unknown key', { ...statement, Actions: 'ecr:*' }],
    ['an empty principal', { ...statement, Principal: {} }],
  ])('refuses a repository policy statement with %s', async (_what, bad) => {
    await t.ok('CreateRepository', { repositoryName: 'app' });
    const policyText = JSON.stringify({ Version: '2012-10-17', Statement: [bad] });
    expect(await t.fail('SetRepositoryPolicy', { repositoryName: 'app', policyText })).toEqual(
      REPO_POLICY_ERROR,
    );
  });

  it('refuses a registry policy without Principal and one over 10,240 characters', async () => {
    const noPrincipal = JSON.stringify({
      Statement: [{ Effect: 'Allow', Action: 'ecr:ReplicateImage', Resource: '*' }],
    });
    const long = JSON.stringify({ Statement: [{ ...statement, Sid: 'x'.repeat(10_300) }] });
    expect(await t.fail('PutRegistryPolicy', { policyText: noPrincipal })).toEqual({
      type: 'InvalidParameterException',
      message:
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'",
    });
    expect((await t.fail('PutRegistryPolicy', { policyText: long })).message).toMatch(
      /less than or equal to 10240/,
    );
  });

  it('accepts NotPrincipal, NotAction, Condition and the 2008 version', async () => {
    await t.ok('CreateRepository', { repositoryName: 'app' });
    const policyText = JSON.stringify({
      Version: '2008-10-17',
      Statement: {
        Effect: 'Deny',
        NotPrincipal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] },
        NotAction: ['ecr:BatchGetImage'],
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } },
      },
    });
    await t.ok('SetRepositoryPolicy', { repositoryName: 'app', policyText });
  });

  it('reports a malformed digest as InvalidImageDigest in BatchDeleteImage and BatchGetImage', async () => {
    await t.createRepoWithBlobs('app');
    const failure = {
      imageId: { imageDigest: 'sha256:invalid-digest' },
      failureCode: 'InvalidImageDigest',
      failureReason:
        "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    };
    const imageIds = [{ imageDigest: 'sha256:invalid-digest' }];
    expect(await t.ok('BatchDeleteImage', { repositoryName: 'app', imageIds })).toEqual({
      imageIds: [],
      failures: [failure],
    });
    expect(await t.ok('BatchGetImage', { repositoryName: 'app', imageIds })).toEqual({
      images: [],
      failures: [failure],
    });
  });
});
