import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ecr';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { awsClientConfig } from '../../support/sandbox.ts';

// moto's reset empties everything, and stacks would show in other tests' registries: this file runs a sandbox of
// its own.
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, quiet: true });
});

afterAll(async () => {
  await sandbox?.stop();
});

describe("moto's own reset through the edge", { timeout: 60_000 }, () => {
  it('empties the ECR emulator as well as moto', async () => {
    // Prepare
    const ecr = new ECRClient(awsClientConfig(sandbox.url));
    const sqs = new SQSClient(awsClientConfig(sandbox.url));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'before-reset' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'before-reset' }));
    // Act
    const response = await fetch(`${sandbox.url}/moto-api/reset`, { method: 'POST' });
    await response.arrayBuffer();
    // Assess
    expect(response.status).toBe(200);
    expect((await ecr.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    ecr.destroy();
    sqs.destroy();
  });
});

const LIFECYCLE = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
      action: { type: 'expire' },
    },
  ],
});

/** A stack of one repository, in YAML with a short-form intrinsic as people write them. */
function template(mutability: string): string {
  return `AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: cfn-app
      ImageTagMutability: ${mutability}
      ImageScanningConfiguration:
        ScanOnPush: true
      Tags:
        - Key: owner
          Value: !Ref AWS::StackName
      LifecyclePolicy:
        LifecyclePolicyText: '${LIFECYCLE}'
      RepositoryPolicyText:
        Version: '2012-10-17'
        Statement:
          - Sid: pull
            Effect: Allow
            Principal: { AWS: 'arn:aws:iam::123456789012:root' }
            Action: ['ecr:BatchGetImage']
`;
}

describe("repositories of moto's CloudFormation stacks", { timeout: 60_000 }, () => {
  it('appear in the ECR emulator with their settings, lifecycle and repository policy, and go with the stack', async () => {
    // Prepare
    const ecr = new ECRClient(awsClientConfig(sandbox.url));
    const cfn = new CloudFormationClient(awsClientConfig(sandbox.url));
    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'repos', TemplateBody: template('IMMUTABLE') }));
    const created = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['cfn-app'] }));
    const lifecycle = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'cfn-app' }));
    const policy = await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'cfn-app' }));
    const tags = await ecr.send(
      new ListTagsForResourceCommand({ resourceArn: created.repositories?.[0]?.repositoryArn }),
    );
    await cfn.send(new UpdateStackCommand({ StackName: 'repos', TemplateBody: template('MUTABLE') }));
    const updated = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['cfn-app'] }));
    await cfn.send(new DeleteStackCommand({ StackName: 'repos' }));
    const afterDelete = await ecr.send(new DescribeRepositoriesCommand({}));
    // Assess
    expect(created.repositories?.[0]).toMatchObject({
      repositoryName: 'cfn-app',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
    });
    expect(lifecycle.lifecyclePolicyText).toBe(LIFECYCLE);
    expect(JSON.parse(policy.policyText ?? '{}').Statement[0].Sid).toBe('pull');
    expect(tags.tags).toEqual([{ Key: 'owner', Value: 'repos' }]);
    expect(updated.repositories?.[0]?.imageTagMutability).toBe('MUTABLE');
    expect(afterDelete.repositories?.map((r) => r.repositoryName)).not.toContain('cfn-app');
    ecr.destroy();
    cfn.destroy();
  });
});
