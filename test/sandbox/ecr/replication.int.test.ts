import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageReplicationStatusCommand,
  DescribeImagesCommand,
  ECRClient,
  PutRegistryPolicyCommand,
  PutReplicationConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AccountClientConfig, accountCredentials } from '../../support/accounts.ts';
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
  const sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await events.send(
    new PutRuleCommand({
      Name: name,
      EventPattern: JSON.stringify({ source: ['aws.ecr'], 'detail-type': ['ECR Replication Action'] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: name,
      Targets: [
        {
          Id: 'q',
          Arn: Attributes?.QueueArn,
          InputTransformer: { InputPathsMap: { id: '$.id' }, InputTemplate: '<aws.events.event.json>' },
        },
      ],
    }),
  );
  events.destroy();
  /** Read until one event for `repositoryName` came (or 20 s passed). */
  // biome-ignore lint/suspicious/noExplicitAny: events are checked field by field
  const next = async (repositoryName: string): Promise<any> => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages && Messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      const found = (Messages ?? [])
        .map((m) => JSON.parse(m.Body ?? '{}'))
        .find((e) => e.detail?.['repository-name'] === repositoryName);
      if (found) return found;
    }
    return undefined;
  };
  return { next, close: () => sqs.destroy() };
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
