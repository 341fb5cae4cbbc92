import {
  BatchGetRepositoryScanningConfigurationCommand,
  CreateRepositoryCommand,
  CreateRepositoryCreationTemplateCommand,
  DeleteLifecyclePolicyCommand,
  DeleteRegistryPolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryCreationTemplateCommand,
  DeleteRepositoryPolicyCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryPolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryPolicyCommand,
  PutRegistryScanningConfigurationCommand,
  PutReplicationConfigurationCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateRepositoryCreationTemplateCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { accountCredentials } from '../../support/accounts.ts';
import { adminRequest } from '../../support/admin.ts';
import { type ClientSettings, eventQueue } from '../../support/event-queue.ts';
import { awsClientConfig } from '../../support/sandbox.ts';
import { awsEcr, awsEcrError } from './aws-cli.ts';

// Fault rules are global to a sandbox and every ECR write of the shared one would show up on its bus: this file
// runs its own sandbox.
let sandbox: Sandbox;
const HOME = '123456789012';
const PATTERN = { source: ['aws.ecr'], 'detail-type': ['AWS API Call via CloudTrail'] };

/** An event as the SQS target receives it (the whole event, through an input transformer). */
interface TrailEvent {
  source: string;
  'detail-type': string;
  account: string;
  region: string;
  resources: unknown[];
  // biome-ignore lint/suspicious/noExplicitAny: the CloudTrail record is checked field by field below
  detail: any;
}

/** A queue behind a rule for CloudTrail events on the default bus of the account `config` signs for. */
async function trailQueue(config: ClientSettings, name: string) {
  const queue = await eventQueue(config, name, PATTERN);
  return {
    /** Read until `count` events came, then until `quietMs` pass without another, to see that no more come. */
    read: async (count: number, quietMs = 1500): Promise<TrailEvent[]> =>
      (await queue.read({ until: (got) => got.length >= count, quietMs })) as TrailEvent[],
    close: () => queue.close(),
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, quiet: true });
});

afterAll(async () => {
  await sandbox?.stop();
});

const CLOUDTRAIL_TIME = /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/;

describe('CloudTrail events of ECR API calls', { timeout: 120_000 }, () => {
  it('puts one event per successful write on the default bus, none for reads or failures', async () => {
    // Prepare
    const queue = await trailQueue(awsClientConfig(sandbox.url), 'trail-home');
    const ecr = new ECRClient(awsClientConfig(sandbox.url));
    const repositoryName = 'trail-app';
    const resourceArn = `arn:aws:ecr:us-east-1:${HOME}:repository/${repositoryName}`;
    const lifecyclePolicyText = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 },
          action: { type: 'expire' },
        },
      ],
    });
    const policyText = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: HOME }, Action: ['ecr:BatchGetImage'] }],
    });
    const fails = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: Error) => error.name,
      );
    // Act: the CLI creates the repository; the SDK does the rest, with reads and failures in between
    const created = await awsEcr(sandbox.url, ['create-repository', '--repository-name', repositoryName]);
    const duplicate = await awsEcrError(sandbox.url, [
      'create-repository',
      '--repository-name',
      repositoryName,
    ]);
    await ecr.send(new DescribeRepositoriesCommand({}));
    await ecr.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'IMMUTABLE' }));
    await ecr.send(
      new PutImageScanningConfigurationCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    await ecr.send(new SetRepositoryPolicyCommand({ repositoryName, policyText }));
    await ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName }));
    const missingPolicy = await fails(ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName })));
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText }));
    await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }));
    await ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName }));
    await ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
    await ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [] } }));
    await ecr.send(new PutRegistryPolicyCommand({ policyText }));
    await ecr.send(new GetRegistryPolicyCommand({}));
    await ecr.send(new DeleteRegistryPolicyCommand({}));
    const noRegistryPolicy = await fails(ecr.send(new DeleteRegistryPolicyCommand({})));
    await ecr.send(
      new CreateRepositoryCreationTemplateCommand({ prefix: 'trail', appliedFor: ['CREATE_ON_PUSH'] }),
    );
    await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}));
    await ecr.send(new UpdateRepositoryCreationTemplateCommand({ prefix: 'trail', description: 'updated' }));
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'trail' }));
    await ecr.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'team', Value: 'a' }] }));
    await ecr.send(new UntagResourceCommand({ resourceArn, tagKeys: ['team'] }));
    const deleted = await ecr.send(new DeleteRepositoryCommand({ repositoryName }));
    const events = await queue.read(17);
    queue.close();
    ecr.destroy();
    // Assess: exactly the successful writes, in order
    expect([duplicate.code, missingPolicy, noRegistryPolicy]).toEqual([
      'RepositoryAlreadyExistsException',
      'RepositoryPolicyNotFoundException',
      'RegistryPolicyNotFoundException',
    ]);
    expect(events.map((e) => e.detail.eventName)).toEqual([
      'CreateRepository',
      'PutImageTagMutability',
      'PutImageScanningConfiguration',
      'SetRepositoryPolicy',
      'DeleteRepositoryPolicy',
      'PutLifecyclePolicy',
      'DeleteLifecyclePolicy',
      'PutRegistryScanningConfiguration',
      'PutReplicationConfiguration',
      'PutRegistryPolicy',
      'DeleteRegistryPolicy',
      'CreateRepositoryCreationTemplate',
      'UpdateRepositoryCreationTemplate',
      'DeleteRepositoryCreationTemplate',
      'TagResource',
      'UntagResource',
      'DeleteRepository',
    ]);
    const [create] = events as [TrailEvent];
    expect(create).toMatchObject({
      source: 'aws.ecr',
      'detail-type': 'AWS API Call via CloudTrail',
      account: HOME,
      region: 'us-east-1',
      resources: [],
    });
    expect(create.detail).toMatchObject({
      eventVersion: expect.stringMatching(/^1\.\d+$/),
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${HOME}:user/moto`,
        accountId: HOME,
        userName: 'moto',
      },
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      eventSource: 'ecr.amazonaws.com',
      eventName: 'CreateRepository',
      awsRegion: 'us-east-1',
      sourceIPAddress: expect.any(String),
      userAgent: expect.any(String),
      requestParameters: { repositoryName },
      responseElements: {
        repository: {
          repositoryArn: resourceArn,
          repositoryName,
          registryId: HOME,
          repositoryUri: `${HOME}.dkr.ecr.us-east-1.amazonaws.com/${repositoryName}`,
          createdAt: expect.stringMatching(CLOUDTRAIL_TIME),
          imageTagMutability: 'MUTABLE',
        },
      },
      requestID: expect.any(String),
      eventID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      readOnly: false,
      resources: [{ accountId: HOME, type: 'AWS::ECR::Repository', ARN: resourceArn }],
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: HOME,
      eventCategory: 'Management',
    });
    expect((created.repository as { repositoryArn: string }).repositoryArn).toBe(resourceArn);
    // The record names the call by the request id its caller got.
    const last = events.at(-1) as TrailEvent;
    expect(last.detail.requestID).toBe(deleted.$metadata.requestId);
    const byName = Object.fromEntries(events.map((e) => [e.detail.eventName, e.detail]));
    expect(byName.TagResource.requestParameters).toEqual({
      resourceArn,
      tags: [{ Key: 'team', Value: 'a' }],
    });
    expect(byName.TagResource.responseElements).toBeNull();
    expect(byName.DeleteRegistryPolicy.requestParameters).toBeNull();
    expect(byName.DeleteRegistryPolicy.responseElements).toEqual({ registryId: HOME, policyText });
    expect(byName.UpdateRepositoryCreationTemplate.responseElements.repositoryCreationTemplate).toMatchObject(
      {
        prefix: 'trail',
        description: 'updated',
        createdAt: expect.stringMatching(CLOUDTRAIL_TIME),
        updatedAt: expect.stringMatching(CLOUDTRAIL_TIME),
      },
    );
  });

  it('names an assumed-role caller and puts the event on its own account’s bus', async () => {
    // Prepare
    const account = '777788889999';
    const config = await accountCredentials(sandbox.url, account, { roleName: 'platform-admin' });
    const queue = await trailQueue(config, 'trail-role');
    const ecr = new ECRClient(config);
    // Act
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: 'role-app', tags: [{ Key: 'owner', Value: 'me' }] }),
    );
    const events = await queue.read(1);
    queue.close();
    ecr.destroy();
    // Assess
    expect(events).toHaveLength(1);
    const [event] = events as [TrailEvent];
    expect(event.account).toBe(account);
    expect(event.detail.recipientAccountId).toBe(account);
    expect(event.detail.requestParameters).toEqual({
      repositoryName: 'role-app',
      tags: [{ Key: 'owner', Value: 'me' }],
    });
    expect(event.detail.userIdentity).toMatchObject({
      type: 'AssumedRole',
      principalId: expect.stringMatching(/^AROA[A-Z2-7]{17}:sandbox-test$/),
      arn: `arn:aws:sts::${account}:assumed-role/platform-admin/sandbox-test`,
      accountId: account,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::${account}:role/platform-admin`,
          accountId: account,
          userName: 'platform-admin',
        },
      },
    });
  });

  it('emits nothing for a call a fault rule failed', async () => {
    // Prepare
    const queue = await trailQueue(awsClientConfig(sandbox.url), 'trail-faults');
    const fault = await adminRequest(sandbox.url, 'POST', 'faults', {
      service: 'ecr',
      action: 'CreateRepository',
      error: 'ThrottlingException',
      times: 1,
    });
    expect(fault.status).toBe(201);
    // Act
    const throttled = await awsEcrError(sandbox.url, [
      'create-repository',
      '--repository-name',
      'fault-first',
    ]);
    await awsEcr(sandbox.url, ['create-repository', '--repository-name', 'fault-second']);
    const events = await queue.read(1);
    queue.close();
    // Assess
    expect(throttled.code).toBe('ThrottlingException');
    expect(events.map((e) => e.detail.requestParameters.repositoryName)).toEqual(['fault-second']);
  });

  it('holds a function’s role to the new actions’ IAM resources, and a refused call emits nothing', async () => {
    // Prepare: a function whose role may read one repository's scanning configuration and create templates
    const ecrAdmin = new ECRClient(awsClientConfig(sandbox.url));
    await ecrAdmin.send(new CreateRepositoryCommand({ repositoryName: 'iam-allowed' }));
    await ecrAdmin.send(new CreateRepositoryCommand({ repositoryName: 'iam-other' }));
    ecrAdmin.destroy();
    const accessKeyId = 'ASIATESTCLOUDTRAIL01';
    const principalArn = `arn:aws:sts::${HOME}:assumed-role/compliance-role/compliance-fn`;
    const registered = await adminRequest(sandbox.url, 'POST', 'iam/principals', {
      accessKeyId,
      principalArn,
      accountId: HOME,
      function: 'compliance-fn',
      policies: [
        {
          where: 'compliance.policy',
          document: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'ecr:BatchGetRepositoryScanningConfiguration',
                Resource: `arn:aws:ecr:us-east-1:${HOME}:repository/iam-allowed`,
              },
              { Effect: 'Allow', Action: 'ecr:CreateRepositoryCreationTemplate', Resource: '*' },
            ],
          },
        },
      ],
    });
    expect(registered.status).toBe(201);
    const queue = await trailQueue(awsClientConfig(sandbox.url), 'trail-iam');
    const fn = new ECRClient({
      ...awsClientConfig(sandbox.url),
      credentials: { accessKeyId, secretAccessKey: 'secret', sessionToken: 'token' },
    });
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: Error) => error.name,
      );
    // Act
    const own = await outcome(
      fn.send(new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: ['iam-allowed'] })),
    );
    const both = await outcome(
      fn.send(
        new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: ['iam-allowed', 'iam-other'] }),
      ),
    );
    const template = await outcome(
      fn.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'iam', appliedFor: ['REPLICATION'] })),
    );
    const policy = await outcome(fn.send(new PutRegistryPolicyCommand({ policyText: '{"Statement":[]}' })));
    const events = await queue.read(1);
    queue.close();
    fn.destroy();
    // Assess
    expect([own, both, template, policy]).toEqual([
      'ok',
      'AccessDeniedException',
      'ok',
      'AccessDeniedException',
    ]);
    expect(events.map((e) => e.detail.eventName)).toEqual(['CreateRepositoryCreationTemplate']);
    expect(events[0]?.detail.userIdentity).toMatchObject({ type: 'AssumedRole', arn: principalArn });
  });
});
