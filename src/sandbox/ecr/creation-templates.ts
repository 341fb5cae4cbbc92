import type {
  CreateRepositoryCreationTemplateResponse,
  DeleteRepositoryCreationTemplateResponse,
  DescribeRepositoryCreationTemplatesResponse,
  EncryptionType,
  RCTAppliedFor,
  RepositoryCreationTemplate,
  Tag,
  UpdateRepositoryCreationTemplateResponse,
} from '@aws-sdk/client-ecr';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import { validateLifecyclePolicy } from './lifecycle.ts';
import { mutabilityOf } from './mutability.ts';
import { decodeToken, encodeToken } from './pagination.ts';
import { validatePolicyDocument } from './policies.ts';
import { resourceTagsOf } from './repositories.ts';
import { type CreationTemplateRecord, longestCovering, templateKey } from './settings-state.ts';
import type { RepositoryRecord, TagMutability } from './state.ts';
import { type Input, maxResultsOf, optionalArray, optionalObject } from './validation.ts';
import { seconds, type Wire } from './wire.ts';

/**
 * Repository creation templates: the settings ECR gives the repositories it creates on the caller's behalf
 * (replication, pull through cache, create on push). Stored and answered here; applying them when ECR creates a
 * repository is not modelled yet.
 *
 * Errors follow the API model: a value outside the model's constraints (prefix pattern, lengths, enum values,
 * a missing required member) is ValidationException in the Coral form "1 validation error detected: Value … at
 * '<field>' failed to satisfy constraint: …"; a value the model allows but ECR rejects (exclusion filters that
 * don't fit the mutability, a KMS key with AES256, policy or lifecycle text that doesn't parse, a role of another
 * account) is InvalidParameterException, as the same checks are for repositories. Which of the two AWS sends for
 * each case is inferred.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
 */
export function creationTemplateOperations(ecr: EcrContext): Operations {
  return {
    CreateRepositoryCreationTemplate: (i) => createTemplate(ecr, i),
    DescribeRepositoryCreationTemplates: (i) => describeTemplates(ecr, i),
    UpdateRepositoryCreationTemplate: (i) => updateTemplate(ecr, i),
    DeleteRepositoryCreationTemplate: (i) => deleteTemplate(ecr, i),
  };
}

/** Prefix: 1–256 characters, a repository namespace (optionally ending in `/`) or `ROOT` (the API model). */
const PREFIX_PATTERN = /^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$/;
const APPLIED_FOR: readonly RCTAppliedFor[] = ['REPLICATION', 'PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'];
const ENCRYPTION_TYPES: readonly EncryptionType[] = ['AES256', 'KMS', 'KMS_DSSE'];
const KMS_KEY_PATTERN = /^$|^arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-z0-9-]+$/;
const MAX_DESCRIPTION = 256;
const MAX_POLICY = 10_240;
const MAX_LIFECYCLE = 30_720;
const MAX_ROLE_ARN = 2048;

/** ValidationException in the form AWS's request validation words it. */
function validation(field: string, value: unknown, constraint: string): EcrError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new EcrError(
    'ValidationException',
    `1 validation error detected: Value '${shown}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function stringMember(input: Input, field: string, max: number): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validation(field, value, 'Member must be a string');
  if (value.length > max) {
    throw validation(field, value, `Member must have length less than or equal to ${max}`);
  }
  return value;
}

function prefixOf(input: Input): string {
  const prefix = input.prefix;
  if (prefix === undefined || prefix === null) throw validation('prefix', null, 'Member must not be null');
  if (
    typeof prefix !== 'string' ||
    prefix.length < 1 ||
    prefix.length > 256 ||
    !PREFIX_PATTERN.test(prefix)
  ) {
    throw validation(
      'prefix',
      prefix,
      `Member must satisfy regular expression pattern: ${PREFIX_PATTERN.source}`,
    );
  }
  return prefix;
}

function appliedForOf(value: unknown): RCTAppliedFor[] {
  if (!Array.isArray(value)) throw validation('appliedFor', value, 'Member must be a list');
  if (value.length === 0) {
    throw invalidParameter(
      "Invalid parameter at 'appliedFor' failed to satisfy constraint: 'Member must have at least one value'",
    );
  }
  const applied: RCTAppliedFor[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || !(APPLIED_FOR as readonly string[]).includes(item)) {
      throw validation(
        'appliedFor',
        value,
        `Member must satisfy constraint: [Member must satisfy enum value set: [${APPLIED_FOR.join(', ')}]]`,
      );
    }
    if (!applied.includes(item as RCTAppliedFor)) applied.push(item as RCTAppliedFor);
  }
  return applied;
}

function encryptionOf(raw: Input): CreationTemplateRecord['encryption'] {
  const encryptionType = raw.encryptionType;
  if (
    typeof encryptionType !== 'string' ||
    !(ENCRYPTION_TYPES as readonly string[]).includes(encryptionType)
  ) {
    throw validation(
      'encryptionConfiguration.encryptionType',
      encryptionType ?? null,
      `Member must satisfy enum value set: [${ENCRYPTION_TYPES.join(', ')}]`,
    );
  }
  const kmsKey = stringMember(raw, 'kmsKey', 2048);
  if (kmsKey !== undefined && !KMS_KEY_PATTERN.test(kmsKey)) {
    throw validation(
      'encryptionConfiguration.kmsKey',
      kmsKey,
      `Member must satisfy regular expression pattern: ${KMS_KEY_PATTERN.source}`,
    );
  }
  if (kmsKey !== undefined && kmsKey !== '' && encryptionType === 'AES256') {
    throw invalidParameter(
      "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: 'kmsKey is only valid with KMS encryption'",
    );
  }
  return {
    encryptionType: encryptionType as EncryptionType,
    ...(kmsKey !== undefined && kmsKey !== '' ? { kmsKey } : {}),
  };
}

/** "This role must be in the same account as the registry that you are configuring." (the API reference) */
function customRoleOf(ecr: EcrContext, input: Input): string | undefined {
  const arn = stringMember(input, 'customRoleArn', MAX_ROLE_ARN);
  if (arn === undefined || arn === '') return undefined;
  const match = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\/[\w+=,.@/-]+$/.exec(arn);
  if (!match) {
    throw invalidParameter(
      `Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'Invalid role ARN ${arn}'`,
    );
  }
  if (match[1] !== ecr.accountId) {
    throw invalidParameter(
      `Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'The role must be in the registry's account ${ecr.accountId}'`,
    );
  }
  return arn;
}

/** Text members that are validated the way the repository actions validate them; "" means none. */
function policyTextsOf(input: Input): { repositoryPolicy?: string; lifecyclePolicy?: string } {
  const repositoryPolicy = stringMember(input, 'repositoryPolicy', MAX_POLICY);
  if (repositoryPolicy) validatePolicyDocument(repositoryPolicy, 'repository');
  const lifecyclePolicy = stringMember(input, 'lifecyclePolicy', MAX_LIFECYCLE);
  if (lifecyclePolicy) validateLifecyclePolicy(lifecyclePolicy);
  return {
    ...(repositoryPolicy !== undefined ? { repositoryPolicy } : {}),
    ...(lifecyclePolicy !== undefined ? { lifecyclePolicy } : {}),
  };
}

function tagsOf(value: unknown): Tag[] {
  return resourceTagsOf(value, 'resourceTags').map(([Key, Value]) => ({ Key, Value }));
}

function templatesOf(ecr: EcrContext): CreationTemplateRecord[] {
  ecr.state.settings.creationTemplates ??= [];
  return ecr.state.settings.creationTemplates;
}

function find(ecr: EcrContext, prefix: string): CreationTemplateRecord | undefined {
  const key = templateKey(prefix);
  return templatesOf(ecr).find((t) => templateKey(t.prefix) === key);
}

function notFound(ecr: EcrContext, prefix: string): EcrError {
  return new EcrError(
    'TemplateNotFoundException',
    `The repository creation template with prefix '${prefix}' does not exist in the registry with id '${ecr.accountId}'`,
  );
}

function shapeOf(template: CreationTemplateRecord): Wire<RepositoryCreationTemplate> {
  return {
    prefix: template.prefix,
    ...(template.description !== undefined ? { description: template.description } : {}),
    encryptionConfiguration: { ...template.encryption },
    resourceTags: template.resourceTags.map((tag) => ({ ...tag })),
    imageTagMutability: template.imageTagMutability,
    ...(template.exclusionFilters.length > 0
      ? { imageTagMutabilityExclusionFilters: template.exclusionFilters.map((f) => ({ ...f })) }
      : {}),
    ...(template.repositoryPolicy !== undefined ? { repositoryPolicy: template.repositoryPolicy } : {}),
    ...(template.lifecyclePolicy !== undefined ? { lifecyclePolicy: template.lifecyclePolicy } : {}),
    appliedFor: [...template.appliedFor],
    ...(template.customRoleArn !== undefined ? { customRoleArn: template.customRoleArn } : {}),
    createdAt: seconds(template.createdAt),
    updatedAt: seconds(template.updatedAt),
  };
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html */
function createTemplate(ecr: EcrContext, input: Input): Wire<CreateRepositoryCreationTemplateResponse> {
  const prefix = prefixOf(input);
  if (input.appliedFor === undefined || input.appliedFor === null) {
    throw validation('appliedFor', null, 'Member must not be null');
  }
  const appliedFor = appliedForOf(input.appliedFor);
  const description = stringMember(input, 'description', MAX_DESCRIPTION);
  const encryptionInput = optionalObject(input, 'encryptionConfiguration');
  const encryption = encryptionInput ? encryptionOf(encryptionInput) : { encryptionType: 'AES256' as const };
  const mutability = mutabilityOf(input);
  const texts = policyTextsOf(input);
  const resourceTags = tagsOf(input.resourceTags ?? []);
  const customRoleArn = customRoleOf(ecr, input);
  if (find(ecr, prefix)) {
    throw new EcrError(
      'TemplateAlreadyExistsException',
      `A repository creation template with prefix '${prefix}' already exists in the registry with id '${ecr.accountId}'`,
    );
  }
  const templates = templatesOf(ecr);
  const now = ecr.nowMs();
  const template: CreationTemplateRecord = {
    seq: (templates.at(-1)?.seq ?? 0) + 1,
    prefix,
    ...(description !== undefined ? { description } : {}),
    encryption,
    resourceTags,
    ...mutability,
    ...texts,
    appliedFor,
    ...(customRoleArn !== undefined ? { customRoleArn } : {}),
    createdAt: now,
    updatedAt: now,
  };
  templates.push(template);
  return { registryId: ecr.accountId, repositoryCreationTemplate: shapeOf(template) };
}

/**
 * Templates in creation order, `maxResults` (1–1000, default 100) a page; `prefixes` names the ones wanted
 * (prefixes without a template are left out: the action has no TemplateNotFoundException).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositoryCreationTemplates.html
 */
function describeTemplates(ecr: EcrContext, input: Input): Wire<DescribeRepositoryCreationTemplatesResponse> {
  const rawPrefixes = optionalArray(input, 'prefixes');
  let wanted: Set<string> | undefined;
  if (rawPrefixes !== undefined) {
    wanted = new Set(rawPrefixes.map((raw, index) => templateKey(checkedPrefix(raw, index))));
  }
  const maxResults = maxResultsOf(input);
  const scope = 'templates';
  const start =
    input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
  const repositoryCreationTemplates: Wire<RepositoryCreationTemplate>[] = [];
  let nextToken: string | undefined;
  for (const template of templatesOf(ecr)) {
    if (template.seq < start || (wanted !== undefined && !wanted.has(templateKey(template.prefix)))) continue;
    if (repositoryCreationTemplates.length === maxResults) {
      nextToken = encodeToken({ scope, seq: template.seq, sub: 0 });
      break;
    }
    repositoryCreationTemplates.push(shapeOf(template));
  }
  return {
    registryId: ecr.accountId,
    repositoryCreationTemplates,
    ...(nextToken !== undefined ? { nextToken } : {}),
  };
}

function checkedPrefix(raw: unknown, index: number): string {
  try {
    return prefixOf({ prefix: raw });
  } catch {
    throw validation(
      `prefixes.${index + 1}.member`,
      raw,
      `Member must satisfy regular expression pattern: ${PREFIX_PATTERN.source}`,
    );
  }
}

/**
 * Change the members the request names; the rest stay. Changing the mutability to a kind without exclusions
 * drops the filters; filters alone are checked against the mutability the template keeps.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UpdateRepositoryCreationTemplate.html
 */
function updateTemplate(ecr: EcrContext, input: Input): Wire<UpdateRepositoryCreationTemplateResponse> {
  const prefix = prefixOf(input);
  const present = (field: string) => input[field] !== undefined && input[field] !== null;
  const appliedFor = present('appliedFor') ? appliedForOf(input.appliedFor) : undefined;
  const description = stringMember(input, 'description', MAX_DESCRIPTION);
  const encryptionInput = optionalObject(input, 'encryptionConfiguration');
  const encryption = encryptionInput ? encryptionOf(encryptionInput) : undefined;
  const texts = policyTextsOf(input);
  const resourceTags = present('resourceTags') ? tagsOf(input.resourceTags) : undefined;
  const customRoleArn = customRoleOf(ecr, input);
  const template = find(ecr, prefix);
  if (!template) throw notFound(ecr, prefix);
  const mutability =
    present('imageTagMutability') || present('imageTagMutabilityExclusionFilters')
      ? mutabilityOf({
          imageTagMutability: input.imageTagMutability ?? template.imageTagMutability,
          imageTagMutabilityExclusionFilters:
            input.imageTagMutabilityExclusionFilters ??
            (present('imageTagMutability') ? undefined : template.exclusionFilters),
        })
      : undefined;
  if (appliedFor) template.appliedFor = appliedFor;
  if (description !== undefined) template.description = description;
  if (encryption) template.encryption = encryption;
  if (texts.repositoryPolicy !== undefined) template.repositoryPolicy = texts.repositoryPolicy;
  if (texts.lifecyclePolicy !== undefined) template.lifecyclePolicy = texts.lifecyclePolicy;
  if (resourceTags) template.resourceTags = resourceTags;
  if (customRoleArn !== undefined) template.customRoleArn = customRoleArn;
  if (mutability) {
    template.imageTagMutability = mutability.imageTagMutability;
    template.exclusionFilters = mutability.exclusionFilters;
  }
  template.updatedAt = ecr.nowMs();
  return { registryId: ecr.accountId, repositoryCreationTemplate: shapeOf(template) };
}

/** Answers with the template it deleted. @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepositoryCreationTemplate.html */
function deleteTemplate(ecr: EcrContext, input: Input): Wire<DeleteRepositoryCreationTemplateResponse> {
  const prefix = prefixOf(input);
  const template = find(ecr, prefix);
  if (!template) throw notFound(ecr, prefix);
  const templates = templatesOf(ecr);
  templates.splice(templates.indexOf(template), 1);
  return { registryId: ecr.accountId, repositoryCreationTemplate: shapeOf(template) };
}

/** The creation template for `name` that applies to `use`: the longest covering prefix, ROOT covering all. */
export function templateFor(
  templates: readonly CreationTemplateRecord[] | undefined,
  name: string,
  use: CreationTemplateRecord['appliedFor'][number],
): CreationTemplateRecord | undefined {
  return longestCovering(
    (templates ?? []).filter((template) => template.appliedFor.includes(use)),
    (template) => template.prefix,
    name,
  );
}

/**
 * A new repository `name` as ECR makes one from a creation template (its mutability and exclusions, encryption —
 * KMS without a key meaning the account's `aws/ecr` key — tags and policies), or with ECR's defaults without one.
 * The one home for replication, pull through cache and create on push.
 */
export function repositoryFromTemplate(
  ecr: EcrContext,
  name: string,
  template: CreationTemplateRecord | undefined,
): RepositoryRecord {
  const encryption: RepositoryRecord['encryption'] = template
    ? { ...template.encryption }
    : { encryptionType: 'AES256' };
  if (encryption.encryptionType !== 'AES256') {
    encryption.kmsKey ??= `arn:aws:kms:${ecr.options.region}:${ecr.accountId}:alias/aws/ecr`;
  }
  return ecr.state.newRepository({
    name,
    createdAt: ecr.nowMs(),
    imageTagMutability: (template?.imageTagMutability ?? 'MUTABLE') as TagMutability,
    exclusionFilters: (template?.exclusionFilters ?? []).map((filter) => ({ ...filter })),
    scanOnPush: false,
    encryption,
    resourceTags: new Map((template?.resourceTags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    ...(template?.lifecyclePolicy !== undefined
      ? { lifecyclePolicy: { text: template.lifecyclePolicy } }
      : {}),
    ...(template?.repositoryPolicy !== undefined ? { policyText: template.repositoryPolicy } : {}),
  });
}
