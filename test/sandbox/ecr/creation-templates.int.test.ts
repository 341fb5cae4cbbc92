import {
  CreateRepositoryCreationTemplateCommand,
  type CreateRepositoryCreationTemplateCommandInput,
  DeleteRepositoryCreationTemplateCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AccountClientConfig, accountCredentials } from '../../support/accounts.ts';
import { sandboxUrl } from '../../support/sandbox.ts';
import { awsEcr, awsEcrError, type CliCredentials } from './aws-cli.ts';

// Templates are registry-wide: this file works in an account of its own, so other tests never see them. Each
// AWS CLI run takes seconds on a busy machine, hence the long timeouts.
const ACCOUNT = '555566667777';
const CLI_TIMEOUT = { timeout: 180_000 };
let config: AccountClientConfig;
let credentials: CliCredentials;
const ecr = (...args: string[]) => awsEcr(sandboxUrl(), args, credentials);
const ecrError = (...args: string[]) => awsEcrError(sandboxUrl(), args, credentials);

beforeAll(async () => {
  config = await accountCredentials(sandboxUrl(), ACCOUNT);
  credentials = config.credentials;
});

const LIFECYCLE = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'pull', Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: ['ecr:BatchGetImage'] }],
});
const KMS_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0a1b2c3d-1111-2222-3333-444455556666`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ecr-template-role`;

describe('repository creation templates through the AWS CLI', CLI_TIMEOUT, () => {
  it('creates a template with every setting and answers it back; a second one for the prefix is TemplateAlreadyExistsException', async () => {
    // Act
    const created = await ecr(
      'create-repository-creation-template',
      '--prefix',
      'team-a',
      '--description',
      'team A repositories',
      '--applied-for',
      'PULL_THROUGH_CACHE',
      'CREATE_ON_PUSH',
      '--image-tag-mutability',
      'IMMUTABLE_WITH_EXCLUSION',
      '--image-tag-mutability-exclusion-filters',
      'filterType=WILDCARD,filter=latest',
      'filterType=WILDCARD,filter=dev-*',
      '--encryption-configuration',
      `encryptionType=KMS,kmsKey=${KMS_KEY}`,
      '--lifecycle-policy',
      LIFECYCLE,
      '--repository-policy',
      POLICY,
      '--resource-tags',
      'Key=team,Value=a',
      'Key=cost-center,Value=42',
      '--custom-role-arn',
      ROLE,
    );
    const again = await ecrError(
      'create-repository-creation-template',
      '--prefix',
      'team-a/',
      '--applied-for',
      'REPLICATION',
    );
    // Assess
    const template = created.repositoryCreationTemplate as Record<string, unknown>;
    expect(created.registryId).toBe(ACCOUNT);
    expect(template).toMatchObject({
      prefix: 'team-a',
      description: 'team A repositories',
      appliedFor: ['PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'],
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [
        { filterType: 'WILDCARD', filter: 'latest' },
        { filterType: 'WILDCARD', filter: 'dev-*' },
      ],
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: KMS_KEY },
      lifecyclePolicy: LIFECYCLE,
      repositoryPolicy: POLICY,
      resourceTags: [
        { Key: 'team', Value: 'a' },
        { Key: 'cost-center', Value: '42' },
      ],
      customRoleArn: ROLE,
    });
    expect(template.createdAt).toEqual(expect.any(Number));
    expect(template.updatedAt).toEqual(template.createdAt);
    // "There is always an assumed / applied to the end of the prefix": team-a/ is the template team-a.
    expect(again.code).toBe('TemplateAlreadyExistsException');
  });

  // The constraint checks through the SDK: the CLI takes seconds a call, and the wire is the same.
  it.each([
    ['a prefix outside the pattern', { prefix: 'Team_A' }, 'ValidationException', 'prefix'],
    ['an unknown appliedFor', { appliedFor: ['ON_SUNDAYS'] }, 'ValidationException', 'appliedFor'],
    ['an empty appliedFor', { appliedFor: [] }, 'InvalidParameterException', 'appliedFor'],
    [
      'exclusion filters with MUTABLE',
      {
        imageTagMutability: 'MUTABLE',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'x*' }],
      },
      'InvalidParameterException',
      'imageTagMutabilityExclusionFilters',
    ],
    [
      'IMMUTABLE_WITH_EXCLUSION without filters',
      { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' },
      'InvalidParameterException',
      'imageTagMutabilityExclusionFilters',
    ],
    [
      'a KMS key with AES256',
      { encryptionConfiguration: { encryptionType: 'AES256', kmsKey: KMS_KEY } },
      'InvalidParameterException',
      'kmsKey',
    ],
    [
      'a KMS key that is not a key ARN',
      { encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'alias/mine' } },
      'ValidationException',
      'kmsKey',
    ],
    [
      'lifecycle policy text the rules refuse',
      { lifecyclePolicy: '{"rules":[{"rulePriority":1}]}' },
      'InvalidParameterException',
      'LifecyclePolicyText',
    ],
    [
      'repository policy text that is not a policy',
      { repositoryPolicy: '{"Version":"2012-10-17"}' },
      'InvalidParameterException',
      'PolicyText',
    ],
    [
      'a role of another account',
      { customRoleArn: 'arn:aws:iam::999988887777:role/other' },
      'InvalidParameterException',
      'customRoleArn',
    ],
    [
      'a description over 256 characters',
      { description: 'd'.repeat(257) },
      'ValidationException',
      'description',
    ],
  ])('refuses %s', async (_what, fields, code, field) => {
    const sdk = new ECRClient(config);
    const refused = await sdk
      .send(
        new CreateRepositoryCreationTemplateCommand({
          prefix: 'refused',
          appliedFor: ['REPLICATION'],
          ...(fields as object),
        } as CreateRepositoryCreationTemplateCommandInput),
      )
      .then(
        () => ({ name: 'ok', message: '' }),
        (error: Error) => ({ name: error.name, message: error.message }),
      );
    sdk.destroy();
    expect(refused.name).toBe(code);
    expect(refused.message).toContain(field);
  });

  it('describes all templates, by prefix (ROOT included) and page by page', async () => {
    // Prepare
    const sdk = new ECRClient(config);
    await sdk.send(
      new CreateRepositoryCreationTemplateCommand({ prefix: 'ROOT', appliedFor: ['CREATE_ON_PUSH'] }),
    );
    await sdk.send(
      new CreateRepositoryCreationTemplateCommand({ prefix: 'team-b/apps', appliedFor: ['REPLICATION'] }),
    );
    sdk.destroy();
    // Act
    const all = await ecr('describe-repository-creation-templates');
    const chosen = await ecr(
      'describe-repository-creation-templates',
      '--prefixes',
      'ROOT',
      'team-a/',
      'no-such-prefix',
    );
    const paged = await ecr('describe-repository-creation-templates', '--page-size', '1');
    // Assess
    const prefixes = (answer: Record<string, unknown>) =>
      (answer.repositoryCreationTemplates as Array<{ prefix: string }>).map((t) => t.prefix);
    expect(all.registryId).toBe(ACCOUNT);
    expect(prefixes(all).sort()).toEqual(['ROOT', 'team-a', 'team-b/apps']);
    expect(prefixes(chosen).sort()).toEqual(['ROOT', 'team-a']);
    expect(prefixes(paged)).toEqual(prefixes(all));
    const root = (all.repositoryCreationTemplates as Array<Record<string, unknown>>).find(
      (t) => t.prefix === 'ROOT',
    );
    // Defaults: MUTABLE, AES256, no tags.
    expect(root).toMatchObject({
      appliedFor: ['CREATE_ON_PUSH'],
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
      resourceTags: [],
    });
  });

  it('updates only what the request names, and an unknown prefix is TemplateNotFoundException', async () => {
    // Act
    const updated = await ecr(
      'update-repository-creation-template',
      '--prefix',
      'team-a',
      '--description',
      'moved to team C',
      '--image-tag-mutability',
      'MUTABLE',
    );
    const missing = await ecrError(
      'update-repository-creation-template',
      '--prefix',
      'no-such-prefix',
      '--description',
      'x',
    );
    // Assess
    const template = updated.repositoryCreationTemplate as Record<string, unknown>;
    expect(template).toMatchObject({
      prefix: 'team-a',
      description: 'moved to team C',
      imageTagMutability: 'MUTABLE',
      appliedFor: ['PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'],
      lifecyclePolicy: LIFECYCLE,
      customRoleArn: ROLE,
    });
    expect(template.imageTagMutabilityExclusionFilters).toBeUndefined();
    // The CLI prints the wire's epoch seconds as they are.
    expect(template.updatedAt).toEqual(expect.any(Number));
    expect(Number(template.updatedAt)).toBeGreaterThanOrEqual(Number(template.createdAt));
    expect(missing).toEqual({
      code: 'TemplateNotFoundException',
      message: `The repository creation template with prefix 'no-such-prefix' does not exist in the registry with id '${ACCOUNT}'`,
    });
  });

  it('deletes a template, answering with it; deleting it again is TemplateNotFoundException', async () => {
    const deleted = await ecr('delete-repository-creation-template', '--prefix', 'team-b/apps');
    const again = await ecrError('delete-repository-creation-template', '--prefix', 'team-b/apps');
    const left = await ecr('describe-repository-creation-templates');
    expect(deleted.registryId).toBe(ACCOUNT);
    expect((deleted.repositoryCreationTemplate as { prefix: string }).prefix).toBe('team-b/apps');
    expect(again.code).toBe('TemplateNotFoundException');
    expect(
      (left.repositoryCreationTemplates as Array<{ prefix: string }>).map((t) => t.prefix).sort(),
    ).toEqual(['ROOT', 'team-a']);
  });
});

describe('DescribeRepositoryCreationTemplates paging through the SDK', () => {
  it('pages with maxResults and nextToken in creation order, and refuses a token it did not mint', async () => {
    // Prepare: a registry of its own for a known order
    const own = new ECRClient(await accountCredentials(sandboxUrl(), '555566668888'));
    const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
    for (const prefix of names) {
      await own.send(new CreateRepositoryCreationTemplateCommand({ prefix, appliedFor: ['REPLICATION'] }));
    }
    // Act
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await own.send(
        new DescribeRepositoryCreationTemplatesCommand({ maxResults: 2, nextToken }),
      );
      seen.push(...(page.repositoryCreationTemplates ?? []).map((t) => t.prefix ?? ''));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken !== undefined);
    const bad = await own
      .send(new DescribeRepositoryCreationTemplatesCommand({ nextToken: 'not-a-token' }))
      .catch((error: Error) => error.name);
    const tooMany = await own
      .send(new DescribeRepositoryCreationTemplatesCommand({ maxResults: 1001 }))
      .catch((error: Error) => error.name);
    for (const prefix of names) await own.send(new DeleteRepositoryCreationTemplateCommand({ prefix }));
    own.destroy();
    // Assess
    expect(seen).toEqual(names);
    expect(pages).toBe(3);
    expect(bad).toBe('InvalidParameterException');
    expect(tooMany).toBe('InvalidParameterException');
  });
});
