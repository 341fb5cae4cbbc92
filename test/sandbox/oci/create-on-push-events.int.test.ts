import { createHash } from 'node:crypto';
import {
  CreateRepositoryCreationTemplateCommand,
  DeleteRepositoryCreationTemplateCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, describe, expect, it } from 'vitest';
import { cloudTrailCheckSchema } from '../../../src/compliance/events.ts';
import { loadServerless } from '../../../src/sandbox/runtime/config.ts';
import { SERVERLESS_FILE } from '../../../src/shared/project-root.ts';
import { eventQueue } from '../../support/event-queue.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';

/**
 * A repository created on push reaches the bus as a CreateRepository CloudTrail event that compliance's own rule
 * (checkCompliance's pattern in serverless.yml, narrowed to this test's repository) matches in moto's EventBridge:
 * so a create-on-push repository gets its compliance check like one created with CreateRepository.
 */
describe('create on push on the event bus', { timeout: 60_000 }, () => {
  const endpoint = sandboxUrl();
  const config = awsClientConfig(endpoint);
  // The SDK rather than the AWS CLI: the CLI takes seconds a call, and the wire is the same.
  const ecr = new ECRClient(config);

  afterAll(() => {
    ecr.destroy();
  });

  it('matches compliance’s CreateRepository rule, once, naming the pusher and ECR acting for them', async () => {
    // Prepare: a queue behind compliance's pattern, narrowed to the repository this test creates on push
    const prefix = uniqueName('auto-events');
    const repositoryName = `${prefix}/service`;
    const model = loadServerless({
      serverlessFile: SERVERLESS_FILE,
      stage: 'local',
      region: 'us-east-1',
      accountId: '123456789012',
      endpoint,
    });
    const compliance = model.functions
      .find((f) => f.key === 'checkCompliance')
      ?.events.find((e) => e.kind === 'eventBridge');
    if (compliance?.kind !== 'eventBridge') throw new Error('checkCompliance has no EventBridge rule');
    const pattern = compliance.pattern as { detail: Record<string, unknown> };
    const narrowed = {
      ...pattern,
      detail: { ...pattern.detail, requestParameters: { repositoryName: [repositoryName] } },
    };
    const queue = await eventQueue(config, prefix.slice(0, 60), narrowed);
    await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix, appliedFor: ['CREATE_ON_PUSH'] }));
    const { authorizationData = [] } = await ecr.send(new GetAuthorizationTokenCommand({}));
    // The token is base64 of `AWS:<password>`: exactly the Basic credentials.
    const authorization = `Basic ${authorizationData[0]?.authorizationToken}`;
    const blob = Buffer.from(`a blob of ${repositoryName}`);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    try {
      // Act: two pushes of a blob; the first creates the repository
      for (let n = 0; n < 2; n++) {
        const response = await fetch(`${endpoint}/v2/${repositoryName}/blobs/uploads/?digest=${digest}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/octet-stream' },
          body: blob,
        });
        expect(response.status).toBe(201);
      }
      // Assess: read until one came, then a while longer for a second one
      const received = await queue.read({
        until: (got) => got.length > 0,
        timeoutMs: 15_000,
        quietMs: 2_000,
      });
      expect(received).toHaveLength(1);
      expect(received[0]?.detail).toMatchObject({
        eventName: 'CreateRepository',
        eventSource: 'ecr.amazonaws.com',
        userIdentity: { accountId: '123456789012', invokedBy: 'ecr.amazonaws.com' },
        requestParameters: { repositoryName },
      });
      // What checkCompliance makes of it: a check of the new repository.
      expect(cloudTrailCheckSchema.parse(received[0])).toMatchObject({
        kind: 'check',
        call: 'CreateRepository',
        target: { scope: 'repository', repositoryName },
      });
    } finally {
      await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix }));
      queue.close();
    }
  });
});
