import type {
  CreateRepositoryResponse,
  DeleteRepositoryResponse,
  DescribeRepositoriesResponse,
  ListTagsForResourceResponse,
  Repository,
} from '@aws-sdk/client-ecr';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import { mutabilityOf } from './mutability.ts';
import { decodeToken, encodeToken } from './pagination.ts';
import type { RepositoryRecord } from './state.ts';
import {
  enumOf,
  type Input,
  maxResultsOf,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  registryIdOf,
  repositoryNameOf,
  requiredString,
  validateRepositoryName,
} from './validation.ts';
import { seconds, type Wire } from './wire.ts';

/**
 * Repositories and their resource tags (the only ECR resource that carries tags): create, describe, delete,
 * TagResource, UntagResource, ListTagsForResource.
 */
export function repositoryOperations(ecr: EcrContext): Operations {
  return {
    CreateRepository: (i) => createRepository(ecr, i),
    DescribeRepositories: (i) => describeRepositories(ecr, i),
    DeleteRepository: (i) => deleteRepository(ecr, i),
    TagResource: (i) => tagResource(ecr, i),
    UntagResource: (i) => untagResource(ecr, i),
    ListTagsForResource: (i) => listTagsForResource(ecr, i),
  };
}

/** A repository as the API answers it (DescribeRepositories, CreateRepository; create on push's CloudTrail record). */
export function repositoryShape(ecr: EcrContext, repo: RepositoryRecord): Wire<Repository> {
  const shape: Wire<Repository> = {
    repositoryArn: ecr.repositoryArn(repo.name),
    registryId: ecr.accountId,
    repositoryName: repo.name,
    repositoryUri: `${ecr.accountId}.dkr.ecr.${ecr.options.region}.amazonaws.com/${repo.name}`,
    createdAt: seconds(repo.createdAt),
    imageTagMutability: repo.imageTagMutability,
    imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
    encryptionConfiguration: { ...repo.encryption } as Wire<Repository>['encryptionConfiguration'],
  };
  if (repo.exclusionFilters.length > 0) shape.imageTagMutabilityExclusionFilters = repo.exclusionFilters;
  return shape;
}

function createRepository(ecr: EcrContext, input: Input): Wire<CreateRepositoryResponse> {
  const registryId = registryIdOf(input, ecr.accountId);
  const name = repositoryNameOf(input);
  const mutability = mutabilityOf(input);
  const scanOnPush =
    optionalBoolean(optionalObject(input, 'imageScanningConfiguration') ?? {}, 'scanOnPush') ?? false;
  const encryptionInput = optionalObject(input, 'encryptionConfiguration');
  const encryption: RepositoryRecord['encryption'] = { encryptionType: 'AES256' };
  if (encryptionInput) {
    encryption.encryptionType = enumOf(
      encryptionInput.encryptionType,
      'encryptionConfiguration.encryptionType',
      ['AES256', 'KMS', 'KMS_DSSE'],
    );
    const kmsKey = optionalString(encryptionInput, 'kmsKey');
    if (kmsKey !== undefined && encryption.encryptionType === 'AES256') {
      throw invalidParameter(
        "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: 'kmsKey is only valid with KMS encryption'",
      );
    }
    if (encryption.encryptionType !== 'AES256') {
      // Without a key ECR uses the AWS managed key for ECR.
      encryption.kmsKey = kmsKey ?? `arn:aws:kms:${ecr.options.region}:${ecr.accountId}:alias/aws/ecr`;
    }
  }
  const tags = input.tags === undefined || input.tags === null ? [] : resourceTagsOf(input.tags, 'tags');
  if (registryId !== ecr.accountId) throw ecr.repositoryNotFound(name, registryId);
  if (ecr.state.repos.has(name)) {
    throw new EcrError(
      'RepositoryAlreadyExistsException',
      `The repository with name '${name}' already exists in the registry with id '${ecr.accountId}'`,
    );
  }
  const repo = ecr.state.newRepository({
    name,
    createdAt: ecr.nowMs(),
    ...mutability,
    scanOnPush,
    encryption,
    resourceTags: new Map(),
  });
  try {
    applyResourceTags(repo, tags);
  } catch (error) {
    ecr.state.removeRepository(repo);
    throw error;
  }
  return { repository: repositoryShape(ecr, repo) };
}

function describeRepositories(ecr: EcrContext, input: Input): Wire<DescribeRepositoriesResponse> {
  const registryId = registryIdOf(input, ecr.accountId);
  const names = optionalArray(input, 'repositoryNames');
  if (names !== undefined) {
    if (input.maxResults !== undefined || input.nextToken !== undefined) {
      throw invalidParameter(
        'Invalid parameter: repositoryNames cannot be used together with maxResults or nextToken',
      );
    }
    if (names.length < 1 || names.length > 100) {
      throw invalidParameter(
        "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length between 1 and 100'",
      );
    }
    return {
      repositories: names.map((raw, index) => {
        if (typeof raw !== 'string')
          throw invalidParameter(
            `Invalid parameter at 'repositoryNames[${index}]' failed to satisfy constraint: 'must be a string'`,
          );
        const name = validateRepositoryName(raw, `repositoryNames[${index}]`);
        const repo = registryId === ecr.accountId ? ecr.state.repos.get(name) : undefined;
        if (!repo) throw ecr.repositoryNotFound(name, registryId);
        return repositoryShape(ecr, repo);
      }),
    };
  }
  const maxResults = maxResultsOf(input);
  if (registryId !== ecr.accountId) return { repositories: [] };
  const scope = 'repos';
  const start =
    input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
  const repositories: Wire<Repository>[] = [];
  let nextToken: string | undefined;
  for (const repo of ecr.state.repoOrder) {
    if (repo.deleted || repo.seq < start) continue;
    if (repositories.length === maxResults) {
      nextToken = encodeToken({ scope, seq: repo.seq, sub: 0 });
      break;
    }
    repositories.push(repositoryShape(ecr, repo));
  }
  return nextToken === undefined ? { repositories } : { repositories, nextToken };
}

function deleteRepository(ecr: EcrContext, input: Input): Wire<DeleteRepositoryResponse> {
  const repo = ecr.repoOf(input);
  const force = optionalBoolean(input, 'force') ?? false;
  if (repo.images.size > 0 && !force) {
    throw new EcrError(
      'RepositoryNotEmptyException',
      `The repository with name '${repo.name}' in registry with id '${ecr.accountId}' cannot be deleted because it still contains images`,
    );
  }
  const shape = repositoryShape(ecr, repo);
  for (const [id, upload] of ecr.state.uploads)
    if (upload.repositoryName === repo.name) void ecr.state.dropUpload(id);
  ecr.state.removeRepository(repo);
  return { repository: shape };
}

// ---- resource tags -------------------------------------------------------------------------------------

/**
 * Validate a request's resource tags (CreateRepository, TagResource, creation templates): keys 1–128
 * characters not starting with `aws:`, values up to 256.
 * @throws EcrError InvalidTagParameterException
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Tag.html
 */
export function resourceTagsOf(value: unknown, field: string): Array<[string, string]> {
  if (!Array.isArray(value))
    throw invalidParameter(`Invalid parameter at '${field}' failed to satisfy constraint: 'must be a list'`);
  return value.map((item, index) => {
    const raw = item as Input | null;
    const key = raw?.Key;
    const tagValue = raw?.Value ?? '';
    if (typeof key !== 'string' || key.length < 1 || key.length > 128 || key.startsWith('aws:')) {
      throw new EcrError(
        'InvalidTagParameterException',
        `Invalid parameter at '${field}[${index}].Key': a tag key must be 1-128 characters and not start with 'aws:'`,
      );
    }
    if (typeof tagValue !== 'string' || tagValue.length > 256) {
      throw new EcrError(
        'InvalidTagParameterException',
        `Invalid parameter at '${field}[${index}].Value': a tag value must be at most 256 characters`,
      );
    }
    return [key, tagValue];
  });
}

function applyResourceTags(repo: RepositoryRecord, tags: Array<[string, string]>): void {
  const merged = new Map(repo.resourceTags);
  for (const [key, value] of tags) merged.set(key, value);
  if (merged.size > 50) {
    throw new EcrError(
      'TooManyTagsException',
      'The list of tags on the repository is over the limit. The maximum number of tags that can be applied to a repository is 50.',
    );
  }
  repo.resourceTags = merged;
}

function repoOfArn(ecr: EcrContext, input: Input): RepositoryRecord {
  const arn = requiredString(input, 'resourceArn');
  const match = /^arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository\/(.+)$/.exec(arn);
  if (!match)
    throw invalidParameter(
      `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid resource ARN ${arn}'`,
    );
  const [, region, account, name] = match as unknown as [string, string, string, string];
  const repo =
    region === ecr.options.region && account === ecr.accountId ? ecr.state.repos.get(name) : undefined;
  if (!repo) throw ecr.repositoryNotFound(name, account);
  return repo;
}

function tagResource(ecr: EcrContext, input: Input): Record<string, never> {
  const repo = repoOfArn(ecr, input);
  applyResourceTags(repo, resourceTagsOf(input.tags ?? [], 'tags'));
  return {};
}

function untagResource(ecr: EcrContext, input: Input): Record<string, never> {
  const repo = repoOfArn(ecr, input);
  const keys = optionalArray(input, 'tagKeys') ?? [];
  for (const key of keys) {
    if (typeof key !== 'string')
      throw new EcrError(
        'InvalidTagParameterException',
        "Invalid parameter at 'tagKeys': keys must be strings",
      );
    repo.resourceTags.delete(key);
  }
  return {};
}

function listTagsForResource(ecr: EcrContext, input: Input): Wire<ListTagsForResourceResponse> {
  const repo = repoOfArn(ecr, input);
  return { tags: [...repo.resourceTags].map(([Key, Value]) => ({ Key, Value })) };
}
