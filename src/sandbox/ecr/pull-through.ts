import type {
  CreatePullThroughCacheRuleResponse,
  DeletePullThroughCacheRuleResponse,
  DescribePullThroughCacheRulesResponse,
  ImageFailure,
  PullThroughCacheRule,
  UpdatePullThroughCacheRuleResponse,
  UpstreamRegistry,
  ValidatePullThroughCacheRuleResponse,
} from '@aws-sdk/client-ecr';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import { decodeToken, encodeToken } from './pagination.ts';
import { longestCovering, templateKey } from './settings-state.ts';
import {
  type Input,
  imageIdOf,
  maxResultsOf,
  optionalArray,
  optionalString,
  registryIdOf,
  requiredString,
} from './validation.ts';
import { seconds, type Wire } from './wire.ts';

/**
 * Pull through cache rules (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html):
 * Create/Describe/Update/Delete/ValidatePullThroughCacheRule, with the API model's constraints, each upstream's
 * URL, the credentials each upstream needs (a Secrets Manager secret `ecr-pullthroughcache/…` for Docker Hub,
 * GitHub, GitLab, Azure and Chainguard; an IAM role for another account's ECR), at most 50 rules.
 *
 * The sandbox is offline: no upstream can be reached. ValidatePullThroughCacheRule answers `isValid: false`
 * saying so, and a pull (BatchGetImage) of an image the cache doesn't hold under a rule's prefix fails per
 * image with ECR's `UpstreamUnavailable`, its reason naming the rule and the upstream; DescribeImages, which
 * never pulls, keeps ECR's not-found errors and adds the same explanation. An image pushed into such a
 * repository is served as usual.
 */

/** A rule as stored, in creation order (`seq` is where DescribePullThroughCacheRules pages resume). */
export interface PullThroughRuleRecord {
  seq: number;
  ecrRepositoryPrefix: string;
  upstreamRegistryUrl: string;
  upstreamRegistry: UpstreamRegistry;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix: string;
  createdAt: number;
  updatedAt: number;
}

declare module './settings-state.ts' {
  interface RegistrySettings {
    /** CreatePullThroughCacheRule's rules (pull-through.ts); absent until one is created. */
    pullThroughCacheRules?: PullThroughRuleRecord[];
  }
}

/** PullThroughCacheRuleRepositoryPrefix (the API model): 2–30 characters, a repository path or ROOT. */
const PREFIX = /^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*\/?|ROOT)$/;
const CREDENTIAL_ARN =
  /^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::([0-9]{12}):role\/[\w+=,.@/-]+$/;
const MAX_RULES = 50;

/** Each upstream registry: the URL it must have, and the credentials it needs (user guide, API reference). */
const UPSTREAMS: ReadonlyArray<{
  name: UpstreamRegistry;
  url: RegExp;
  syntax: string;
  needs?: 'secret' | 'role';
}> = [
  {
    name: 'ecr',
    url: /^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/,
    syntax: '<accountId>.dkr.ecr.<region>.amazonaws.com',
    needs: 'role',
  },
  { name: 'ecr-public', url: /^public\.ecr\.aws$/, syntax: 'public.ecr.aws' },
  { name: 'docker-hub', url: /^registry-1\.docker\.io$/, syntax: 'registry-1.docker.io', needs: 'secret' },
  { name: 'github-container-registry', url: /^ghcr\.io$/, syntax: 'ghcr.io', needs: 'secret' },
  {
    name: 'gitlab-container-registry',
    url: /^registry\.gitlab\.com$/,
    syntax: 'registry.gitlab.com',
    needs: 'secret',
  },
  { name: 'k8s', url: /^registry\.k8s\.io$/, syntax: 'registry.k8s.io' },
  {
    name: 'azure-container-registry',
    url: /^[a-z0-9-]+\.azurecr\.io$/,
    syntax: '<custom>.azurecr.io',
    needs: 'secret',
  },
  { name: 'quay', url: /^quay\.io$/, syntax: 'quay.io' },
  { name: 'chainguard', url: /^cgr\.dev$/, syntax: 'cgr.dev', needs: 'secret' },
];

/** What Validate and an offline pull say. */
export const OFFLINE = 'upstream unreachable: the sandbox is offline';

export function pullThroughOperations(ecr: EcrContext): Operations {
  return {
    CreatePullThroughCacheRule: (i) => createRule(ecr, i),
    DescribePullThroughCacheRules: (i) => describeRules(ecr, i),
    UpdatePullThroughCacheRule: (i) => updateRule(ecr, i),
    DeletePullThroughCacheRule: (i) => deleteRule(ecr, i),
    ValidatePullThroughCacheRule: (i) => validateRule(ecr, i),
  };
}

function constraint(field: string, what: string): EcrError {
  return invalidParameter(`Invalid parameter at '${field}' failed to satisfy constraint: '${what}'`);
}

function rulesOf(ecr: EcrContext): PullThroughRuleRecord[] {
  ecr.state.settings.pullThroughCacheRules ??= [];
  return ecr.state.settings.pullThroughCacheRules;
}

/** "There is always an assumed / applied to the end of the prefix": `docker-hub` and `docker-hub/` are one. */
function prefixOf(value: unknown, field: string): string {
  if (value === undefined || value === null) throw constraint(field, 'must not be null');
  if (typeof value !== 'string' || value.length < 2 || value.length > 30 || !PREFIX.test(value)) {
    throw constraint(
      field,
      `Member must satisfy regular expression pattern: ${PREFIX.source} and have length between 2 and 30`,
    );
  }
  return value;
}

function notFound(ecr: EcrContext, prefix: string): EcrError {
  return new EcrError(
    'PullThroughCacheRuleNotFoundException',
    `The pull through cache rule with prefix '${prefix}' does not exist in the registry with id '${ecr.accountId}'`,
  );
}

function findRule(ecr: EcrContext, input: Input): PullThroughRuleRecord {
  registryIdOf(input, ecr.accountId);
  const prefix = prefixOf(input.ecrRepositoryPrefix, 'ecrRepositoryPrefix');
  const rule = rulesOf(ecr).find((r) => templateKey(r.ecrRepositoryPrefix) === templateKey(prefix));
  if (!rule) throw notFound(ecr, prefix);
  return rule;
}

/** The upstream a URL names (and the declared `upstreamRegistry`, when given, must agree). */
function upstreamOf(url: string, declared: string | undefined): (typeof UPSTREAMS)[number] {
  if (declared !== undefined) {
    const named = UPSTREAMS.find((u) => u.name === declared);
    if (!named) {
      throw constraint(
        'upstreamRegistry',
        `Member must satisfy enum value set: [${UPSTREAMS.map((u) => u.name).join(', ')}]`,
      );
    }
    if (!named.url.test(url)) {
      throw invalidParameter(
        `Invalid parameter at 'upstreamRegistryUrl' failed to satisfy constraint: 'The upstream registry URL for ${declared} must be ${named.syntax}'`,
      );
    }
    return named;
  }
  const found = UPSTREAMS.find((u) => u.url.test(url));
  if (!found) {
    throw new EcrError(
      'UnsupportedUpstreamRegistryException',
      `The upstream registry URL '${url}' is not supported. Supported: ${UPSTREAMS.map((u) => u.syntax).join(', ')}`,
    );
  }
  return found;
}

function credentialArnOf(input: Input): string | undefined {
  const arn = optionalString(input, 'credentialArn');
  if (arn !== undefined && (arn.length < 50 || arn.length > 612 || !CREDENTIAL_ARN.test(arn))) {
    throw constraint(
      'credentialArn',
      `Member must satisfy regular expression pattern: ${CREDENTIAL_ARN.source}`,
    );
  }
  return arn;
}

function customRoleArnOf(ecr: EcrContext, input: Input): string | undefined {
  const arn = optionalString(input, 'customRoleArn');
  if (arn === undefined) return undefined;
  const match = arn.length <= 2048 ? ROLE_ARN.exec(arn) : null;
  if (!match) throw constraint('customRoleArn', 'Member must be the ARN of an IAM role');
  if (match[2] !== ecr.accountId) {
    throw invalidParameter(
      `Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'The role must be in the same account as the registry (${ecr.accountId})'`,
    );
  }
  return arn;
}

/** The credentials the upstream needs are there (a secret, or for another account's ECR an IAM role). */
function checkCredentials(
  ecr: EcrContext,
  upstream: (typeof UPSTREAMS)[number],
  url: string,
  credentials: { credentialArn?: string | undefined; customRoleArn?: string | undefined },
): void {
  if (upstream.needs === 'secret' && credentials.credentialArn === undefined) {
    throw invalidParameter(
      `Invalid parameter at 'credentialArn' failed to satisfy constraint: 'The upstream registry ${upstream.name} requires authentication: a credentialArn (a Secrets Manager secret named ecr-pullthroughcache/…) is required'`,
    );
  }
  if (upstream.needs !== 'secret' && credentials.credentialArn !== undefined) {
    throw invalidParameter(
      `Invalid parameter at 'credentialArn' failed to satisfy constraint: 'The upstream registry ${upstream.name} does not take a credentialArn'`,
    );
  }
  const upstreamAccount = upstream.needs === 'role' ? upstream.url.exec(url)?.[1] : undefined;
  if (
    upstreamAccount !== undefined &&
    upstreamAccount !== ecr.accountId &&
    credentials.customRoleArn === undefined
  ) {
    throw invalidParameter(
      `Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'An upstream ECR registry in another account (${upstreamAccount}) requires a customRoleArn'`,
    );
  }
  if (upstream.name !== 'ecr' && credentials.customRoleArn !== undefined) {
    throw invalidParameter(
      `Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'A customRoleArn applies to an ecr upstream registry only'`,
    );
  }
}

function shapeOf(ecr: EcrContext, rule: PullThroughRuleRecord): Wire<PullThroughCacheRule> {
  return {
    ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
    upstreamRegistryUrl: rule.upstreamRegistryUrl,
    createdAt: seconds(rule.createdAt),
    registryId: ecr.accountId,
    ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
    ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
    upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix,
    upstreamRegistry: rule.upstreamRegistry,
    updatedAt: seconds(rule.updatedAt),
  };
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html */
function createRule(ecr: EcrContext, input: Input): Wire<CreatePullThroughCacheRuleResponse> {
  registryIdOf(input, ecr.accountId);
  const ecrRepositoryPrefix = prefixOf(input.ecrRepositoryPrefix, 'ecrRepositoryPrefix');
  const url = requiredString(input, 'upstreamRegistryUrl');
  const upstream = upstreamOf(url, optionalString(input, 'upstreamRegistry'));
  const credentialArn = credentialArnOf(input);
  const customRoleArn = customRoleArnOf(ecr, input);
  checkCredentials(ecr, upstream, url, { credentialArn, customRoleArn });
  const upstreamRepositoryPrefix =
    input.upstreamRepositoryPrefix === undefined || input.upstreamRepositoryPrefix === null
      ? 'ROOT'
      : prefixOf(input.upstreamRepositoryPrefix, 'upstreamRepositoryPrefix');
  if (upstreamRepositoryPrefix !== 'ROOT' && upstream.name !== 'ecr') {
    throw invalidParameter(
      "Invalid parameter at 'upstreamRepositoryPrefix' failed to satisfy constraint: 'An upstream repository prefix applies to an ecr upstream registry only'",
    );
  }
  const rules = rulesOf(ecr);
  if (rules.some((r) => templateKey(r.ecrRepositoryPrefix) === templateKey(ecrRepositoryPrefix))) {
    throw new EcrError(
      'PullThroughCacheRuleAlreadyExistsException',
      `A pull through cache rule with prefix '${ecrRepositoryPrefix}' already exists in the registry with id '${ecr.accountId}'`,
    );
  }
  if (rules.length >= MAX_RULES) {
    throw new EcrError(
      'LimitExceededException',
      `The registry with id '${ecr.accountId}' already has the maximum of ${MAX_RULES} pull through cache rules`,
    );
  }
  const now = ecr.nowMs();
  const rule: PullThroughRuleRecord = {
    seq: (rules.at(-1)?.seq ?? 0) + 1,
    ecrRepositoryPrefix,
    upstreamRegistryUrl: url,
    upstreamRegistry: upstream.name,
    ...(credentialArn !== undefined ? { credentialArn } : {}),
    ...(customRoleArn !== undefined ? { customRoleArn } : {}),
    upstreamRepositoryPrefix,
    createdAt: now,
    updatedAt: now,
  };
  rules.push(rule);
  const { updatedAt: _updatedAt, ...shape } = shapeOf(ecr, rule);
  return shape;
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribePullThroughCacheRules.html */
function describeRules(ecr: EcrContext, input: Input): Wire<DescribePullThroughCacheRulesResponse> {
  registryIdOf(input, ecr.accountId);
  const prefixes = optionalArray(input, 'ecrRepositoryPrefixes');
  const rules = rulesOf(ecr);
  if (prefixes !== undefined) {
    if (prefixes.length < 1 || prefixes.length > 100) {
      throw constraint('ecrRepositoryPrefixes', 'Member must have length between 1 and 100');
    }
    const chosen = prefixes.map((raw, index) => {
      const prefix = prefixOf(raw, `ecrRepositoryPrefixes[${index}]`);
      const rule = rules.find((r) => templateKey(r.ecrRepositoryPrefix) === templateKey(prefix));
      if (!rule) throw notFound(ecr, prefix);
      return shapeOf(ecr, rule);
    });
    return { pullThroughCacheRules: chosen };
  }
  const maxResults = maxResultsOf(input, 1000, 100);
  const scope = 'pull-through-cache-rules';
  const start =
    input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
  const page = rules.filter((r) => r.seq >= start);
  const pullThroughCacheRules = page.slice(0, maxResults).map((r) => shapeOf(ecr, r));
  const next = page[maxResults];
  return next === undefined
    ? { pullThroughCacheRules }
    : { pullThroughCacheRules, nextToken: encodeToken({ scope, seq: next.seq, sub: 0 }) };
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UpdatePullThroughCacheRule.html */
function updateRule(ecr: EcrContext, input: Input): Wire<UpdatePullThroughCacheRuleResponse> {
  const rule = findRule(ecr, input);
  const credentialArn = credentialArnOf(input);
  const customRoleArn = customRoleArnOf(ecr, input);
  if (credentialArn === undefined && customRoleArn === undefined) {
    throw invalidParameter(
      "Invalid parameter at 'credentialArn' failed to satisfy constraint: 'Either credentialArn or customRoleArn must be given'",
    );
  }
  const upstream = upstreamOf(rule.upstreamRegistryUrl, rule.upstreamRegistry);
  const next = {
    credentialArn: credentialArn ?? rule.credentialArn,
    customRoleArn: customRoleArn ?? rule.customRoleArn,
  };
  checkCredentials(ecr, upstream, rule.upstreamRegistryUrl, next);
  if (next.credentialArn !== undefined) rule.credentialArn = next.credentialArn;
  if (next.customRoleArn !== undefined) rule.customRoleArn = next.customRoleArn;
  rule.updatedAt = ecr.nowMs();
  return {
    ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
    registryId: ecr.accountId,
    updatedAt: seconds(rule.updatedAt),
    ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
    ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
    upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix,
  };
}

/** Answers with the rule it deleted. */
function deleteRule(ecr: EcrContext, input: Input): Wire<DeletePullThroughCacheRuleResponse> {
  const rule = findRule(ecr, input);
  const rules = rulesOf(ecr);
  rules.splice(rules.indexOf(rule), 1);
  const { upstreamRegistry: _upstream, updatedAt: _updatedAt, ...shape } = shapeOf(ecr, rule);
  return shape;
}

/**
 * ECR fetches the secret and logs in to the upstream; offline, the sandbox can do neither.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ValidatePullThroughCacheRule.html
 */
function validateRule(ecr: EcrContext, input: Input): Wire<ValidatePullThroughCacheRuleResponse> {
  const rule = findRule(ecr, input);
  return {
    ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
    registryId: ecr.accountId,
    upstreamRegistryUrl: rule.upstreamRegistryUrl,
    ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
    ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
    upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix,
    isValid: false,
    failure: `${OFFLINE}: ${rule.upstreamRegistryUrl} can't be reached to check the credentials`,
  };
}

// ---- pulls through a rule --------------------------------------------------------------------------------

/** The rule whose prefix covers a repository name, the longest prefix first (ROOT covers every name, last). */
export function ruleFor(ecr: EcrContext, repositoryName: string): PullThroughRuleRecord | undefined {
  return longestCovering(
    ecr.state.settings.pullThroughCacheRules ?? [],
    (rule) => rule.ecrRepositoryPrefix,
    repositoryName,
  );
}

/** Why a pull of `repositoryName` through its rule found nothing (undefined when no rule covers the name). */
export function pullThroughMiss(ecr: EcrContext, repositoryName: string): string | undefined {
  const rule = ruleFor(ecr, repositoryName);
  if (!rule) return undefined;
  const key = templateKey(rule.ecrRepositoryPrefix);
  const rest = key === 'ROOT' ? repositoryName : repositoryName.slice(key.length + 1);
  const upstreamPrefix =
    rule.upstreamRepositoryPrefix === 'ROOT' ? '' : `${templateKey(rule.upstreamRepositoryPrefix)}/`;
  return `${OFFLINE}: the pull through cache rule '${rule.ecrRepositoryPrefix}' would fetch '${upstreamPrefix}${rest}' from ${rule.upstreamRegistryUrl}, which can't be reached`;
}

/**
 * Wrap BatchGetImage and DescribeImages of a registry's dispatch table so that names under a pull through cache
 * rule answer as ECR does when the upstream can't be reached: BatchGetImage fails each image the cache doesn't
 * hold with `UpstreamUnavailable` (no repository yet: every requested image), DescribeImages keeps its error and
 * says why the cache is empty.
 */
export function withPullThrough(ecr: EcrContext, operations: Operations): Operations {
  const batchGet = operations.BatchGetImage;
  const describe = operations.DescribeImages;
  const wrapped: Operations = { ...operations };
  if (batchGet) {
    wrapped.BatchGetImage = (input, caller) => {
      const name = typeof input.repositoryName === 'string' ? input.repositoryName : undefined;
      const miss = name === undefined ? undefined : pullThroughMiss(ecr, name);
      if (miss === undefined) return batchGet(input, caller);
      if (!ecr.state.repos.has(name as string) && Array.isArray(input.imageIds)) {
        registryIdOf(input, ecr.accountId);
        const failures: Wire<ImageFailure>[] = input.imageIds.map((raw, index) => ({
          imageId: imageIdOf(raw, `imageIds[${index}]`),
          failureCode: 'UpstreamUnavailable',
          failureReason: miss,
        }));
        if (failures.length >= 1 && failures.length <= 100) return { images: [], failures };
      }
      const answer = batchGet(input, caller) as { images?: unknown[]; failures?: Wire<ImageFailure>[] };
      for (const failure of answer.failures ?? []) {
        if (
          failure.failureCode === 'ImageNotFound' &&
          failure.failureReason === 'Requested image not found'
        ) {
          failure.failureCode = 'UpstreamUnavailable';
          failure.failureReason = miss;
        }
      }
      return answer;
    };
  }
  if (describe) {
    wrapped.DescribeImages = (input, caller) => {
      try {
        return describe(input, caller);
      } catch (error) {
        const name = typeof input.repositoryName === 'string' ? input.repositoryName : undefined;
        const miss = name === undefined ? undefined : pullThroughMiss(ecr, name);
        if (
          miss !== undefined &&
          error instanceof EcrError &&
          (error.code === 'RepositoryNotFoundException' || error.code === 'ImageNotFoundException')
        ) {
          throw new EcrError(error.code, `${error.message} (${miss})`, { cause: error });
        }
        throw error;
      }
    };
  }
  return wrapped;
}
