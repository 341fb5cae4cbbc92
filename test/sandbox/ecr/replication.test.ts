import { beforeEach, describe, expect, it } from 'vitest';
import type { EcrCaller } from '../../../src/sandbox/contracts.ts';
import { ACCOUNT, makeEmulator, REGION, type TestEmulator } from './fixtures.ts';

// Replication through the in-process emulator: the registries of other Regions and accounts are reached with a
// caller of that account and Region, as the edge would pass it.
let t: TestEmulator;
beforeEach(async () => {
  t = await makeEmulator();
});

const OTHER = '210987654321';
const WEST: EcrCaller = { accountId: ACCOUNT, region: 'eu-west-1' };
const PARTNER: EcrCaller = { accountId: OTHER, region: REGION };

async function as(caller: EcrCaller, action: string, input: unknown = {}) {
  const response = await t.emulator.serve(action, JSON.stringify(input), caller);
  // biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON in a test
  return { status: response.status, body: JSON.parse(String(response.body)) as any };
}

const replicationEvents = () =>
  t.events.filter((e) => e.DetailType === 'ECR Replication Action').map((e) => JSON.parse(e.Detail ?? '{}'));

describe('replication after a push', () => {
  it('copies the image to another Region and, with its registry policy, another account', async () => {
    // Prepare
    await as(PARTNER, 'PutRegistryPolicy', {
      policyText: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
            Resource: `arn:aws:ecr:${REGION}:${OTHER}:repository/*`,
          },
        ],
      }),
    });
    await t.ok('PutReplicationConfiguration', {
      replicationConfiguration: {
        rules: [
          {
            destinations: [
              { region: 'eu-west-1', registryId: ACCOUNT },
              { region: REGION, registryId: OTHER },
            ],
            repositoryFilters: [{ filter: 'team/', filterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
    await t.createRepoWithBlobs('team/app');
    // Act
    const digest = await t.pushImage('team/app', 'one', 'v1');
    // Assess
    for (const caller of [WEST, PARTNER]) {
      const described = await as(caller, 'DescribeImages', { repositoryName: 'team/app' });
      expect(described.body.imageDetails).toEqual([
        expect.objectContaining({ imageDigest: digest, imageTags: ['v1'], registryId: caller.accountId }),
      ]);
      const got = await as(caller, 'BatchGetImage', {
        repositoryName: 'team/app',
        imageIds: [{ imageTag: 'v1' }],
      });
      const source = await t.ok('BatchGetImage', {
        repositoryName: 'team/app',
        imageIds: [{ imageTag: 'v1' }],
      });
      expect(got.body.images[0].imageManifest).toBe(source.images[0].imageManifest);
      const layers = await as(caller, 'BatchCheckLayerAvailability', {
        repositoryName: 'team/app',
        layerDigests: JSON.parse(source.images[0].imageManifest).layers.map(
          (l: { digest: string }) => l.digest,
        ),
      });
      expect(layers.body.layers.map((l: { layerAvailability: string }) => l.layerAvailability)).toEqual([
        'AVAILABLE',
      ]);
    }
    const status = await t.ok('DescribeImageReplicationStatus', {
      repositoryName: 'team/app',
      imageId: { imageTag: 'v1' },
    });
    expect(status).toEqual({
      repositoryName: 'team/app',
      imageId: { imageDigest: digest, imageTag: 'v1' },
      replicationStatuses: [
        { region: 'eu-west-1', registryId: ACCOUNT, status: 'COMPLETE' },
        { region: REGION, registryId: OTHER, status: 'COMPLETE' },
      ],
    });
    expect(replicationEvents()).toEqual([
      {
        result: 'SUCCESS',
        'repository-name': 'team/app',
        'image-digest': digest,
        'source-account': ACCOUNT,
        'action-type': 'REPLICATE',
        'source-region': REGION,
        'image-tag': 'v1',
      },
      expect.objectContaining({ result: 'SUCCESS', 'source-account': ACCOUNT }),
    ]);
    const west = t.events.find((e) => e.DetailType === 'ECR Replication Action');
    expect(west?.Resources).toEqual([`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team/app`]);
  });

  it('fails a destination account whose registry policy does not allow it, and leaves other repositories alone', async () => {
    // Prepare
    await t.ok('PutReplicationConfiguration', {
      replicationConfiguration: {
        rules: [
          {
            destinations: [{ region: REGION, registryId: OTHER }],
            repositoryFilters: [{ filter: 'team', filterType: 'PREFIX_MATCH' }],
          },
        ],
      },
    });
    await t.createRepoWithBlobs('team-app');
    await t.createRepoWithBlobs('other');
    // Act
    await t.pushImage('team-app', 'one', 'v1');
    await t.pushImage('other', 'one', 'v1');
    // Assess
    const status = await t.ok('DescribeImageReplicationStatus', {
      repositoryName: 'team-app',
      imageId: { imageTag: 'v1' },
    });
    expect(status.replicationStatuses).toEqual([
      {
        region: REGION,
        registryId: OTHER,
        status: 'FAILED',
        failureCode: `The destination registry's policy does not allow ecr:ReplicateImage to account ${ACCOUNT}`,
      },
    ]);
    expect((await as(PARTNER, 'DescribeRepositories', {})).body.repositories).toEqual([]);
    const untouched = await t.ok('DescribeImageReplicationStatus', {
      repositoryName: 'other',
      imageId: { imageTag: 'v1' },
    });
    expect(untouched.replicationStatuses).toEqual([]);
    expect(replicationEvents()).toEqual([
      expect.objectContaining({ result: 'FAILED', 'repository-name': 'team-app' }),
    ]);
  });

  it('creates a missing destination repository from a REPLICATION creation template and keeps immutable tags', async () => {
    // Prepare
    await as(WEST, 'CreateRepositoryCreationTemplate', {
      prefix: 'team',
      appliedFor: ['REPLICATION'],
      imageTagMutability: 'IMMUTABLE',
      resourceTags: [{ Key: 'from', Value: 'template' }],
    });
    await t.ok('PutReplicationConfiguration', {
      replicationConfiguration: { rules: [{ destinations: [{ region: 'eu-west-1', registryId: ACCOUNT }] }] },
    });
    await t.createRepoWithBlobs('team/svc');
    // Act: the tag moves at the source; the destination's immutable tag stays on the first image
    const first = await t.pushImage('team/svc', 'one', 'latest');
    const second = await t.pushImage('team/svc', 'two', 'latest');
    // Assess
    const repo = (await as(WEST, 'DescribeRepositories', { repositoryNames: ['team/svc'] })).body
      .repositories[0];
    expect(repo.imageTagMutability).toBe('IMMUTABLE');
    const images = (await as(WEST, 'DescribeImages', { repositoryName: 'team/svc' })).body.imageDetails;
    expect(
      images.map((i: { imageDigest: string; imageTags?: string[] }) => [i.imageDigest, i.imageTags]),
    ).toEqual([
      [first, ['latest']],
      [second, undefined],
    ]);
  });
});

describe('PutReplicationConfiguration validation', () => {
  const put = (rules: unknown[]) =>
    t.fail('PutReplicationConfiguration', { replicationConfiguration: { rules } });
  const to = (region: string, registryId = OTHER) => ({ region, registryId });

  it.each([
    [
      'the source registry as a destination',
      [{ destinations: [to(REGION, ACCOUNT)] }],
      "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication destination cannot be the same as the source registry'",
    ],
    [
      'eleven rules',
      Array.from({ length: 11 }, () => ({ destinations: [to('eu-west-1')] })),
      "Invalid parameter at 'replicationConfiguration.rules' failed to satisfy constraint: 'Member must have length less than or equal to 10'",
    ],
    [
      '26 unique destinations',
      [
        { destinations: Array.from({ length: 13 }, (_, i) => to('eu-west-1', String(100000000000 + i))) },
        { destinations: Array.from({ length: 13 }, (_, i) => to('eu-west-2', String(100000000000 + i))) },
      ],
      "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication configuration can have at most 25 unique destinations, found 26'",
    ],
    [
      'a WILDCARD filter',
      [{ destinations: [to('eu-west-1')], repositoryFilters: [{ filter: 'team', filterType: 'WILDCARD' }] }],
      "Invalid parameter at 'replicationConfiguration.rules[0].repositoryFilters[0].filterType' failed to satisfy constraint: 'Member must satisfy enum value set: [PREFIX_MATCH]'",
    ],
    [
      'a malformed region',
      [{ destinations: [to('EU_WEST')] }],
      "Invalid parameter at 'replicationConfiguration.rules[0].destinations[0].region' failed to satisfy constraint: 'Member must satisfy regular expression pattern: [0-9a-z-]{2,25}'",
    ],
  ])('refuses %s with InvalidParameterException', async (_what, rules, message) => {
    expect(await put(rules)).toEqual({ type: 'InvalidParameterException', message });
  });

  it('accepts 25 unique destinations across rules (a destination named twice counts once)', async () => {
    const many = Array.from({ length: 25 }, (_, i) => to('eu-west-1', String(100000000000 + i)));
    await t.ok('PutReplicationConfiguration', {
      replicationConfiguration: { rules: [{ destinations: many }, { destinations: many.slice(0, 3) }] },
    });
    expect((await t.ok('DescribeRegistry')).replicationConfiguration.rules).toHaveLength(2);
  });
});
