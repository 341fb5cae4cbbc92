import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageReplicationStatusCommand,
  DescribeImagesCommand,
  ECRClient,
  PutRegistryPolicyCommand,
  PutReplicationConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AccountClientConfig, accountCredentials } from '../../support/accounts.ts';
import { type DeliveredEvent, eventQueue } from '../../support/event-queue.ts';
import { pushImage, sampleImage } from '../../support/images.ts';
import { sandboxUrl, uniqueName } from '../../support/sandbox.ts';

// Replication settings are registry-wide: the source and both destinations are accounts of this file's own.
const SOURCE = '313131313131';
const PARTNER = '424242424242';
const WEST = 'eu-west-1';

let source: AccountClientConfig;
let sourceWest: AccountClientConfig;
let partner: AccountClientConfig;

beforeAll(async () => {
  source = await accountCredentials(sandboxUrl(), SOURCE);
  sourceWest = { ...source, region: WEST };
  partner = await accountCredentials(sandboxUrl(), PARTNER);
});

/** A queue behind a rule for `ECR Replication Action` events on the default bus of `config`'s account and Region. */
async function replicationQueue(config: AccountClientConfig, name: string) {
  const queue = await eventQueue(config, name, {
    source: ['aws.ecr'],
    'detail-type': ['ECR Replication Action'],
  });
  const about = (repositoryName: string) => (event: DeliveredEvent) =>
    event.detail?.['repository-name'] === repositoryName;
  return {
    /** The first event for `repositoryName` (others read meanwhile are dropped), or undefined after 20 s. */
    next: async (repositoryName: string): Promise<DeliveredEvent | undefined> =>
      (await queue.read({ until: (got) => got.some(about(repositoryName)) })).find(about(repositoryName)),
    close: () => queue.close(),
  };
}

describe('replication through the sandbox', { timeout: 120_000 }, () => {
  it('copies a push to another Region and another account, with events on their buses and a status per destination', async () => {
    // Prepare
    const repositoryName = uniqueName('repl/app');
    const westQueue = await replicationQueue(sourceWest, uniqueName('repl-west'));
    const partnerQueue = await replicationQueue(partner, uniqueName('repl-partner'));
    const ecr = new ECRClient(source);
    const partnerEcr = new ECRClient(partner);
    const westEcr = new ECRClient(sourceWest);
    await partnerEcr.send(
      new PutRegistryPolicyCommand({
        policyText: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReplicationFromSource',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
              Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
              Resource: `arn:aws:ecr:us-east-1:${PARTNER}:repository/*`,
            },
          ],
        }),
      }),
    );
    await ecr.send(
      new PutReplicationConfigurationCommand({
        replicationConfiguration: {
          rules: [
            {
              destinations: [
                { region: WEST, registryId: SOURCE },
                { region: 'us-east-1', registryId: PARTNER },
              ],
              repositoryFilters: [{ filter: 'repl/', filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      }),
    );
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    // Act
    const image = sampleImage(repositoryName);
    const { imageDigest: digest } = await pushImage(ecr, repositoryName, image, 'v1');
    const westEvent = await westQueue.next(repositoryName);
    const partnerEvent = await partnerQueue.next(repositoryName);
    // Assess
    const status = await ecr.send(
      new DescribeImageReplicationStatusCommand({ repositoryName, imageId: { imageTag: 'v1' } }),
    );
    expect(status.replicationStatuses).toEqual([
      { region: WEST, registryId: SOURCE, status: 'COMPLETE' },
      { region: 'us-east-1', registryId: PARTNER, status: 'COMPLETE' },
    ]);
    for (const client of [westEcr, partnerEcr]) {
      const { imageDetails } = await client.send(new DescribeImagesCommand({ repositoryName }));
      expect(imageDetails?.map((d) => [d.imageDigest, d.imageTags])).toEqual([[digest, ['v1']]]);
      const { images } = await client.send(
        new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: digest }] }),
      );
      expect(images?.[0]?.imageManifest).toBe(image.manifest);
    }
    expect(westEvent).toMatchObject({
      'detail-type': 'ECR Replication Action',
      source: 'aws.ecr',
      account: SOURCE,
      region: WEST,
      resources: [`arn:aws:ecr:${WEST}:${SOURCE}:repository/${repositoryName}`],
      detail: {
        result: 'SUCCESS',
        'repository-name': repositoryName,
        'image-digest': digest,
        'source-account': SOURCE,
        'action-type': 'REPLICATE',
        'source-region': 'us-east-1',
        'image-tag': 'v1',
      },
    });
    expect(partnerEvent).toMatchObject({
      account: PARTNER,
      region: 'us-east-1',
      resources: [`arn:aws:ecr:us-east-1:${PARTNER}:repository/${repositoryName}`],
      detail: { result: 'SUCCESS', 'source-account': SOURCE },
    });
    for (const c of [ecr, partnerEcr, westEcr]) c.destroy();
    westQueue.close();
    partnerQueue.close();
  });
});
