import {
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCommand,
  CreateRepositoryCreationTemplateCommand,
  DescribeImagesCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  GetAccountSettingCommand,
  GetLifecyclePolicyPreviewCommand,
  GetRegistryPolicyCommand,
  GetSigningConfigurationCommand,
  PutAccountSettingCommand,
  PutRegistryPolicyCommand,
  PutSigningConfigurationCommand,
  StartLifecyclePolicyPreviewCommand,
  UpdateImageStorageClassCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLOUDTRAIL_ACTIONS } from '../../../src/sandbox/ecr/cloudtrail.ts';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { adminRequest } from '../../support/admin.ts';
import { type DeliveredEvent, type EventQueue, eventQueue } from '../../support/event-queue.ts';
import { pushImage, sampleImage } from '../../support/images.ts';
import { awsClientConfig } from '../../support/sandbox.ts';

/**
 * The ECR actions added with the registry settings, pull through cache, archive, lifecycle preview and signing,
 * under the fault API, through the AWS SDK's own retries (standard mode, 3 attempts): a ThrottlingException on the
 * first attempt is retried and the write happens exactly once (the state shows one, CloudTrail one call where ECR
 * records one); a 500 on every attempt fails the call and nothing is written. Then the bad inputs the other tests
 * leave out (account settings over the wire), each refused with AWS's exception and nothing written.
 */

// Fault rules are global to a sandbox, and registry-wide settings are written here: this file runs its own.
let sandbox: Sandbox;
let ecr: ECRClient;
const ACCOUNT = '123456789012';
const PROFILE = `arn:aws:signer:us-east-1:${ACCOUNT}:/signing-profiles/sandbox_profile`;
const REPOSITORY = 'faults/archive-me';
const LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
      action: { type: 'expire' },
    },
  ],
});
const REGISTRY_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'replicate',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::210987654321:root' },
      Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
      Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*`,
    },
  ],
});

const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  // biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON answers
  adminRequest(sandbox.url, method, path, body) as Promise<{ status: number; body: any }>;
const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: Error) => error.name,
  );

/** Every CloudTrail event delivered so far (read through an SQS target of a rule on the default bus). */
const trail: DeliveredEvent[] = [];
let trailQueue: EventQueue;
/** Read CloudTrail events into `trail` until `quietMs` pass without another. */
const readTrail = async (quietMs = 1500) => {
  trail.push(...(await trailQueue.read({ quietMs })));
};
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, quiet: true, scanDelayMs: 20 });
  // The SDK's default retries: what a caller of ECR lives with.
  ecr = new ECRClient({ ...awsClientConfig(sandbox.url), maxAttempts: 3 });
  trailQueue = await eventQueue(awsClientConfig(sandbox.url), 'new-actions-trail', {
    source: ['aws.ecr'],
    'detail-type': ['AWS API Call via CloudTrail'],
  });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  await pushImage(ecr, REPOSITORY, sampleImage('archive-me'), 'v1');
});

afterAll(async () => {
  ecr?.destroy();
  trailQueue?.close();
  await sandbox?.stop();
});

beforeEach(async () => {
  await call('DELETE', 'faults');
});

/** What an action writes, and how to read it back: `written` is undefined while nothing is. */
interface Case {
  action: string;
  act: () => Promise<unknown>;
  written: () => Promise<unknown>;
}

/** The read's answer, or undefined when it is a NotFound error (nothing written). */
const absent = <T>(promise: Promise<T>): Promise<T | undefined> =>
  promise.catch((error: Error) => {
    if (/NotFound/.test(error.name)) return undefined;
    throw error;
  });

const CASES: Case[] = [
  {
    action: 'PutRegistryPolicy',
    act: () => ecr.send(new PutRegistryPolicyCommand({ policyText: REGISTRY_POLICY })),
    written: () => absent(ecr.send(new GetRegistryPolicyCommand({}))),
  },
  {
    action: 'PutAccountSetting',
    act: () => ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' })),
    written: async () => {
      const { value } = await ecr.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }));
      return value === 'DISABLED' ? undefined : value;
    },
  },
  {
    action: 'CreateRepositoryCreationTemplate',
    act: () =>
      ecr.send(
        new CreateRepositoryCreationTemplateCommand({
          prefix: 'faults-team',
          appliedFor: ['CREATE_ON_PUSH'],
        }),
      ),
    written: async () => {
      const { repositoryCreationTemplates = [] } = await ecr.send(
        new DescribeRepositoryCreationTemplatesCommand({}),
      );
      const mine = repositoryCreationTemplates.filter((t) => t.prefix === 'faults-team');
      return mine.length === 0 ? undefined : mine.length;
    },
  },
  {
    action: 'CreatePullThroughCacheRule',
    act: () =>
      ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'faults-quay',
          upstreamRegistryUrl: 'quay.io',
        }),
      ),
    written: async () => {
      const rules = await absent(
        ecr.send(new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['faults-quay'] })),
      );
      return rules === undefined ? undefined : rules.pullThroughCacheRules?.length;
    },
  },
  {
    action: 'UpdateImageStorageClass',
    act: () =>
      ecr.send(
        new UpdateImageStorageClassCommand({
          repositoryName: REPOSITORY,
          imageId: { imageTag: 'v1' },
          targetStorageClass: 'ARCHIVE',
        }),
      ),
    written: async () => {
      const { imageDetails = [] } = await ecr.send(
        new DescribeImagesCommand({ repositoryName: REPOSITORY, filter: { imageStatus: 'ANY' } }),
      );
      const status = imageDetails[0]?.imageStatus;
      return status === 'ACTIVE' ? undefined : status;
    },
  },
  {
    action: 'StartLifecyclePolicyPreview',
    act: () =>
      ecr.send(
        new StartLifecyclePolicyPreviewCommand({
          repositoryName: REPOSITORY,
          lifecyclePolicyText: LIFECYCLE_POLICY,
        }),
      ),
    written: () => absent(ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: REPOSITORY }))),
  },
  {
    action: 'PutSigningConfiguration',
    act: () =>
      ecr.send(
        new PutSigningConfigurationCommand({
          signingConfiguration: { rules: [{ signingProfileArn: PROFILE }] },
        }),
      ),
    written: () => absent(ecr.send(new GetSigningConfigurationCommand({}))),
  },
];

describe('the new ECR actions under faults, through the AWS SDK’s retries', { timeout: 120_000 }, () => {
  it.each(CASES.map((c) => [c.action, c] as const))(
    '%s: a 500 on every attempt fails it with nothing written; a throttle once is retried and writes once',
    async (action, c) => {
      // Act 1: a 500 on every attempt
      const failing = (await call('POST', 'faults', { service: 'ecr', action, status: 500 })).body;
      const failed = await outcome(c.act());
      const afterFailure = await c.written();
      const failingCounters = (await call('GET', 'faults')).body.faults[0];
      await call('DELETE', 'faults');
      // Act 2: ThrottlingException on the first attempt only
      const throttle = (
        await call('POST', 'faults', {
          service: 'ecr',
          action,
          error: 'ThrottlingException',
          nth: 1,
          times: 1,
        })
      ).body;
      const throttled = await outcome(c.act());
      const afterThrottle = await c.written();
      const throttleCounters = (await call('GET', 'faults')).body.faults[0];
      await readTrail();
      // Assess
      expect(failed).toBe('InternalFailure');
      expect(failingCounters).toMatchObject({ id: failing.id, seen: 3, fired: 3 });
      expect(afterFailure).toBeUndefined();
      expect(throttled).toBe('ok');
      expect(throttleCounters).toMatchObject({ id: throttle.id, seen: 2, fired: 1 });
      expect(afterThrottle).toBeDefined();
      if (typeof afterThrottle === 'number') expect(afterThrottle).toBe(1);
      const recorded = trail.filter((event) => event.detail.eventName === action);
      // One CloudTrail record where the emulator records the action's calls at all (cloudtrail.ts).
      expect(recorded).toHaveLength(CLOUDTRAIL_ACTIONS.has(action) ? 1 : 0);
    },
  );
});

describe('bad inputs of the account settings over the wire', { timeout: 60_000 }, () => {
  it.each([
    ['an unknown setting name', { name: 'NO_SUCH_SETTING', value: 'ENABLED' }, 'InvalidParameterException'],
    [
      'a value the setting does not take',
      { name: 'REGISTRY_POLICY_SCOPE', value: 'V1' },
      'InvalidParameterException',
    ],
    ['a name over 64 characters', { name: 'X'.repeat(65), value: 'ENABLED' }, 'ValidationException'],
  ])('refuses %s with %s, keeping the settings as they were', async (_what, input, name) => {
    // Prepare
    const before = await ecr.send(new GetAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE' }));
    // Act
    const refused = await outcome(ecr.send(new PutAccountSettingCommand(input)));
    // Assess
    expect(refused).toBe(name);
    const after = await ecr.send(new GetAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE' }));
    expect(after.value).toBe(before.value);
  });
});
