import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeRegistry } from './api.ts';

/**
 * A repository created on push is recorded as ECR's CreateRepository call (the CloudTrail record EventBridge
 * delivers), so compliance, which listens to CreateRepository, checks it as it checks any new repository.
 */
const LAYER = Buffer.from('a layer pushed to a repository nobody created');
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

let r: Awaited<ReturnType<typeof makeRegistry>>;
beforeEach(async () => {
  r = await makeRegistry();
});

describe('create on push in CloudTrail', () => {
  it('records one CreateRepository by the pusher, invoked by ECR, with the template’s settings', async () => {
    // Prepare
    await r.ok('CreateRepositoryCreationTemplate', {
      prefix: 'auto',
      appliedFor: ['CREATE_ON_PUSH'],
      imageTagMutability: 'IMMUTABLE',
      resourceTags: [{ Key: 'team', Value: 'platform' }],
    });
    const before = r.trail.length;
    // Act: two blob uploads to the new name; only the first creates it
    for (let n = 0; n < 2; n++) {
      const response = await r.send('POST', `/v2/auto/service/blobs/uploads/?digest=${sha256(LAYER)}`, {
        body: LAYER,
      });
      expect(response.status).toBe(201);
    }
    // Assess
    const created = r.trail.slice(before).map((entry) => JSON.parse(entry.Detail));
    expect(created).toHaveLength(1);
    expect(r.trail.at(-1)).toMatchObject({ Source: 'aws.ecr', DetailType: 'AWS API Call via CloudTrail' });
    expect(created[0]).toMatchObject({
      eventSource: 'ecr.amazonaws.com',
      eventName: 'CreateRepository',
      userIdentity: {
        arn: 'arn:aws:iam::123456789012:root',
        accountId: '123456789012',
        invokedBy: 'ecr.amazonaws.com',
      },
      sourceIPAddress: 'ecr.amazonaws.com',
      userAgent: 'ecr.amazonaws.com',
      requestParameters: {
        repositoryName: 'auto/service',
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'AES256' },
        tags: [{ Key: 'team', Value: 'platform' }],
      },
      responseElements: {
        repository: expect.objectContaining({
          repositoryName: 'auto/service',
          repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/auto/service',
        }),
      },
      resources: [
        { type: 'AWS::ECR::Repository', ARN: 'arn:aws:ecr:us-east-1:123456789012:repository/auto/service' },
      ],
      recipientAccountId: '123456789012',
    });
  });

  it('records nothing when no template covers the name (the push is NAME_UNKNOWN)', async () => {
    const before = r.trail.length;
    const response = await r.send('POST', `/v2/nobody/service/blobs/uploads/?digest=${sha256(LAYER)}`, {
      body: LAYER,
    });
    expect(response.status).toBe(404);
    expect(r.trail.length).toBe(before);
  });
});
