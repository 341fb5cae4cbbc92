import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLOUDTRAIL_ACTIONS,
  cloudTrailTimestamp,
  userIdentityOf,
} from '../../../src/sandbox/ecr/cloudtrail.ts';
import { authorizationRequests } from '../../../src/sandbox/iam/requests.ts';
import { ACCOUNT, makeEmulator, REGION } from './fixtures.ts';

// The emulator in-process (fake clock, collected events): what the compliance checks read, and the CloudTrail
// events they react to.

/** The CloudTrail records (`detail`) of the events an emulator emitted. */
const trail = (events: Array<{ DetailType: string; Detail: string }>) => {
  expect(events.every((e) => e.DetailType === 'AWS API Call via CloudTrail')).toBe(true);
  return events.map((e) => JSON.parse(e.Detail));
};

describe('CloudTrail records', () => {
  it.each([
    [Date.UTC(2018, 6, 11, 22, 17, 44) / 1000, 'Jul 11, 2018 10:17:44 PM'],
    [Date.UTC(2025, 0, 5, 0, 3, 9) / 1000, 'Jan 5, 2025 12:03:09 AM'],
    [Date.UTC(2025, 11, 31, 12, 0, 0) / 1000, 'Dec 31, 2025 12:00:00 PM'],
  ])('write ECR timestamp %d as %s, as CloudTrail does', (epochSeconds, text) => {
    expect(cloudTrailTimestamp(epochSeconds)).toBe(text);
  });

  it.each([
    [
      'an assumed-role session',
      'arn:aws:sts::111122223333:assumed-role/deployer/ci',
      {
        type: 'AssumedRole',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: 'arn:aws:iam::111122223333:role/deployer',
            userName: 'deployer',
          },
        },
      },
    ],
    ['an IAM user', 'arn:aws:iam::111122223333:user/ops/mary', { type: 'IAMUser', userName: 'mary' }],
    ['the root user', 'arn:aws:iam::111122223333:root', { type: 'Root', principalId: '111122223333' }],
  ])('name %s in userIdentity', (_what, principalArn, expected) => {
    const identity = userIdentityOf({ accountId: '111122223333', region: REGION, principalArn });
    expect(identity).toMatchObject({ ...expected, arn: principalArn, accountId: '111122223333' });
  });

  it('are for writes only: no Describe, Get, List or BatchGet action is recorded', () => {
    expect([...CLOUDTRAIL_ACTIONS].filter((action) => /^(Describe|Get|List|BatchGet)/.test(action))).toEqual(
      [],
    );
  });

  it('come from successful writes only, not from reads or refused writes', async () => {
    // Prepare
    const t = await makeEmulator();
    await t.ok('CreateRepository', { repositoryName: 'app' });
    t.trail.length = 0;
    // Act
    await t.ok('DescribeRepositories', {});
    await t.ok('BatchGetRepositoryScanningConfiguration', { repositoryNames: ['app', 'gone'] });
    await t.ok('DescribeRepositoryCreationTemplates', {});
    await t.fail('GetRegistryPolicy', {});
    await t.fail('DeleteRegistryPolicy', {});
    await t.fail('CreateRepository', { repositoryName: 'app' });
    await t.fail('PutRegistryPolicy', { policyText: 'not json' });
    await t.fail('CreateRepositoryCreationTemplate', { prefix: 'Bad_Prefix', appliedFor: ['REPLICATION'] });
    const readsAndFailures = trail(t.trail);
    await t.ok('PutRegistryPolicy', { policyText: '{"Version":"2012-10-17","Statement":[]}' });
    // Assess
    expect(readsAndFailures).toEqual([]);
    expect(trail(t.trail)).toMatchObject([
      {
        eventName: 'PutRegistryPolicy',
        eventTime: '2025-01-15T10:00:00Z',
        requestParameters: { policyText: '{"Version":"2012-10-17","Statement":[]}' },
        responseElements: { registryId: ACCOUNT },
        recipientAccountId: ACCOUNT,
        awsRegion: REGION,
      },
    ]);
    expect(t.trail[0]).toMatchObject({ Source: 'aws.ecr', Resources: [] });
    await t.emulator.close();
  });
});

describe('the derived sample in events/derived/', () => {
  it('has the shape the emulator emits (the sample adds only what the sandbox cannot know)', async () => {
    // Prepare
    const sample = JSON.parse(
      readFileSync(
        new URL('../../../events/derived/ecr-api-call-create-repository.json', import.meta.url),
        'utf8',
      ),
    );
    const t = await makeEmulator();
    // Act
    await t.emulator.serve('CreateRepository', JSON.stringify({ repositoryName: 'testrepo' }), {
      accountId: ACCOUNT,
      region: REGION,
      principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/Mary_Major`,
    });
    const [detail] = trail(t.trail);
    // Assess
    const keys = (value: object) => Object.keys(value).sort();
    expect(keys(detail)).toEqual(keys(sample.detail));
    expect(keys(detail.responseElements.repository)).toEqual(keys(sample.detail.responseElements.repository));
    expect(keys(sample.detail.userIdentity)).toEqual(expect.arrayContaining(keys(detail.userIdentity)));
    expect(sample.detail.responseElements.repository.createdAt).toBe(
      cloudTrailTimestamp(Date.UTC(2018, 6, 11, 22, 17, 44) / 1000),
    );
    await t.emulator.close();
  });
});

describe('registry settings in the state file', () => {
  it('keep the registry policy and creation templates across a restart; a reset forgets them', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'ecr-registry-settings-'));
    try {
      const first = await makeEmulator({ stateDir: dir });
      await first.ok('PutRegistryPolicy', { policyText: '{"Statement":[]}' });
      await first.ok('CreateRepositoryCreationTemplate', {
        prefix: 'ROOT',
        appliedFor: ['CREATE_ON_PUSH'],
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'release-*', filterType: 'WILDCARD' }],
      });
      await first.emulator.close();
      // Act
      const second = await makeEmulator({ stateDir: dir });
      const policy = await second.ok('GetRegistryPolicy', {});
      const templates = await second.ok('DescribeRepositoryCreationTemplates', {});
      second.emulator.reset();
      const afterReset = await second.ok('DescribeRepositoryCreationTemplates', {});
      const policyAfterReset = await second.fail('GetRegistryPolicy', {});
      await second.emulator.close();
      // Assess
      expect(policy).toEqual({ registryId: ACCOUNT, policyText: '{"Statement":[]}' });
      expect(templates.repositoryCreationTemplates).toEqual([
        {
          prefix: 'ROOT',
          appliedFor: ['CREATE_ON_PUSH'],
          imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'release-*', filterType: 'WILDCARD' }],
          encryptionConfiguration: { encryptionType: 'AES256' },
          resourceTags: [],
          createdAt: Date.UTC(2025, 0, 15, 10) / 1000,
          updatedAt: Date.UTC(2025, 0, 15, 10) / 1000,
        },
      ]);
      expect(afterReset.repositoryCreationTemplates).toEqual([]);
      expect(policyAfterReset.type).toBe('RegistryPolicyNotFoundException');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('scan on push follows BatchGetRepositoryScanningConfiguration', () => {
  it('starts a scan on push exactly where the answer says SCAN_ON_PUSH or CONTINUOUS_SCAN', async () => {
    // Prepare
    const t = await makeEmulator();
    await t.createRepoWithBlobs('svc-prod');
    await t.createRepoWithBlobs('svc-dev');
    await t.ok('PutRegistryScanningConfiguration', {
      scanType: 'BASIC',
      rules: [
        { scanFrequency: 'MANUAL', repositoryFilters: [{ filter: 'svc-*', filterType: 'WILDCARD' }] },
        { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: '*-prod', filterType: 'WILDCARD' }] },
      ],
    });
    // Act
    const answer = await t.ok('BatchGetRepositoryScanningConfiguration', {
      repositoryNames: ['svc-prod', 'svc-dev'],
    });
    await t.pushImage('svc-prod', 'a', 'v1');
    await t.pushImage('svc-dev', 'a', 'v1');
    const scanned = async (repositoryName: string) =>
      (await t.call('DescribeImageScanFindings', { repositoryName, imageId: { imageTag: 'v1' } })).status ===
      200;
    // Assess
    expect(answer.scanningConfigurations.map((c: { scanFrequency: string }) => c.scanFrequency)).toEqual([
      'SCAN_ON_PUSH',
      'MANUAL',
    ]);
    expect(answer.scanningConfigurations[1].appliedScanFilters).toEqual([
      { filter: 'svc-*', filterType: 'WILDCARD' },
    ]);
    expect([await scanned('svc-prod'), await scanned('svc-dev')]).toEqual([true, false]);
    await t.emulator.close();
  });
});

describe('IAM actions of the new ECR calls', () => {
  const facts = (action: string, body: unknown) => ({
    service: 'ecr',
    action,
    protocol: 'json' as const,
    body: JSON.stringify(body),
    query: '',
    region: REGION,
    accountId: ACCOUNT,
  });
  const repo = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;

  it.each([
    // Service Authorization Reference: the registry policy and creation template actions have no resource type.
    ['PutRegistryPolicy', { policyText: '{}' }, '*'],
    ['GetRegistryPolicy', {}, '*'],
    ['DeleteRegistryPolicy', {}, '*'],
    ['CreateRepositoryCreationTemplate', { prefix: 'prod', appliedFor: ['REPLICATION'] }, '*'],
    ['DescribeRepositoryCreationTemplates', { prefixes: ['prod'] }, '*'],
    ['UpdateRepositoryCreationTemplate', { prefix: 'prod' }, '*'],
    ['DeleteRepositoryCreationTemplate', { prefix: 'prod' }, '*'],
  ])('%s is ecr:%s on *', (action, body, resource) => {
    expect(authorizationRequests(facts(action, body))).toEqual([{ action: `ecr:${action}`, resource }]);
  });

  it('BatchGetRepositoryScanningConfiguration is authorised on each named repository', () => {
    expect(
      authorizationRequests(
        facts('BatchGetRepositoryScanningConfiguration', { repositoryNames: ['a', 'b/c'] }),
      ),
    ).toEqual([
      { action: 'ecr:BatchGetRepositoryScanningConfiguration', resource: repo('a') },
      { action: 'ecr:BatchGetRepositoryScanningConfiguration', resource: repo('b/c') },
    ]);
  });
});
