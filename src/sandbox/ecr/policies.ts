import type {
  DeleteLifecyclePolicyResponse,
  DeleteRepositoryPolicyResponse,
  DescribeRegistryResponse,
  GetLifecyclePolicyResponse,
  GetRegistryScanningConfigurationResponse,
  GetRepositoryPolicyResponse,
  PutImageScanningConfigurationResponse,
  PutImageTagMutabilityResponse,
  PutLifecyclePolicyResponse,
  PutRegistryScanningConfigurationResponse,
  PutReplicationConfigurationResponse,
  SetRepositoryPolicyResponse,
} from '@aws-sdk/client-ecr';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter, parseJsonParameter } from './errors.ts';
import { lifecycleOf, validateLifecyclePolicy } from './lifecycle.ts';
import { mutabilityOf } from './mutability.ts';
import { replicationRulesOf } from './replication.ts';
import type { RepositoryRecord, ScanningRule } from './state.ts';
import {
  enumOf,
  type Input,
  optionalArray,
  optionalBoolean,
  optionalObject,
  REPOSITORY_FILTER_PATTERN,
  requiredString,
  wildcardFilters,
} from './validation.ts';
import { seconds, type Wire } from './wire.ts';

/**
 * Policies and settings, of a repository (lifecycle policy, repository policy, tag mutability, scan on push)
 * and of the registry (scanning configuration, replication). They are validated and stored; scanning reads the
 * scan settings; lifecycle policies are previewed (lifecycle-preview.ts) and applied on demand through the admin
 * API (lifecycle-run.ts), with the product's own engine.
 */
export function policyOperations(ecr: EcrContext): Operations {
  return {
    PutLifecyclePolicy: (i) => putLifecyclePolicy(ecr, i),
    GetLifecyclePolicy: (i) => getLifecyclePolicy(ecr, i),
    DeleteLifecyclePolicy: (i) => deleteLifecyclePolicy(ecr, i),
    SetRepositoryPolicy: (i) => setRepositoryPolicy(ecr, i),
    GetRepositoryPolicy: (i) => getRepositoryPolicy(ecr, i),
    DeleteRepositoryPolicy: (i) => deleteRepositoryPolicy(ecr, i),
    PutImageTagMutability: (i) => putImageTagMutability(ecr, i),
    PutImageScanningConfiguration: (i) => putImageScanningConfiguration(ecr, i),
    PutRegistryScanningConfiguration: (i) => putRegistryScanningConfiguration(ecr, i),
    GetRegistryScanningConfiguration: () => getRegistryScanningConfiguration(ecr),
    PutReplicationConfiguration: (i) => putReplicationConfiguration(ecr, i),
    DescribeRegistry: () => describeRegistry(ecr),
  };
}

// ---- lifecycle policy ----------------------------------------------------------------------------------

function putLifecyclePolicy(ecr: EcrContext, input: Input): Wire<PutLifecyclePolicyResponse> {
  const repo = ecr.repoOf(input);
  const text = requiredString(input, 'lifecyclePolicyText');
  validateLifecyclePolicy(text);
  repo.lifecyclePolicy = { text };
  return { registryId: ecr.accountId, repositoryName: repo.name, lifecyclePolicyText: text };
}

/** The body GetLifecyclePolicy and DeleteLifecyclePolicy both answer with. */
function lifecycleShape(
  ecr: EcrContext,
  repo: RepositoryRecord,
  policy: NonNullable<RepositoryRecord['lifecyclePolicy']>,
): Wire<GetLifecyclePolicyResponse> & Wire<DeleteLifecyclePolicyResponse> {
  return {
    registryId: ecr.accountId,
    repositoryName: repo.name,
    lifecyclePolicyText: policy.text,
    ...(policy.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: seconds(policy.lastEvaluatedAt) } : {}),
  };
}

function getLifecyclePolicy(ecr: EcrContext, input: Input): Wire<GetLifecyclePolicyResponse> {
  const repo = ecr.repoOf(input);
  return lifecycleShape(ecr, repo, lifecycleOf(ecr, repo));
}

function deleteLifecyclePolicy(ecr: EcrContext, input: Input): Wire<DeleteLifecyclePolicyResponse> {
  const repo = ecr.repoOf(input);
  const policy = lifecycleOf(ecr, repo);
  delete repo.lifecyclePolicy;
  return lifecycleShape(ecr, repo, policy);
}

// ---- repository policy ---------------------------------------------------------------------------------

function setRepositoryPolicy(ecr: EcrContext, input: Input): Wire<SetRepositoryPolicyResponse> {
  const repo = ecr.repoOf(input);
  const text = requiredString(input, 'policyText');
  validatePolicyDocument(text, 'repository');
  repo.policyText = text;
  return { registryId: ecr.accountId, repositoryName: repo.name, policyText: text };
}

/** RepositoryPolicyText and RegistryPolicyText: at most 10,240 characters (the API model). */
export const MAX_POLICY_LENGTH = 10_240;
const POLICY_VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_KEYS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, or a non-empty list of non-empty strings (Action, Resource, a principal's values). */
function isStringOrList(value: unknown): boolean {
  if (typeof value === 'string') return value.length > 0;
  return (
    Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '')
  );
}

function isPrincipal(value: unknown): boolean {
  if (value === '*') return true;
  if (!isRecord(value) || Object.keys(value).length === 0) return false;
  return Object.entries(value).every(([key, names]) => PRINCIPAL_KEYS.has(key) && isStringOrList(names));
}

/**
 * What is wrong with one statement of a resource policy (undefined when nothing is), by the IAM policy grammar
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html): `Effect` Allow or Deny;
 * exactly one of `Action`/`NotAction`; a resource policy names whom it is about, so exactly one of
 * `Principal`/`NotPrincipal`; at most one of `Resource`/`NotResource`; `Condition` an object of operators; no
 * other key.
 */
function statementProblem(statement: unknown): string | undefined {
  if (!isRecord(statement)) return 'a statement is not an object';
  const unknown = Object.keys(statement).filter((key) => !STATEMENT_KEYS.has(key));
  if (unknown.length > 0) return `unknown statement keys ${unknown.join(', ')}`;
  if (statement.Sid !== undefined && typeof statement.Sid !== 'string') return 'Sid is not a string';
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return 'Effect must be Allow or Deny';
  const has = (key: string) => statement[key] !== undefined;
  if (has('Principal') === has('NotPrincipal'))
    return 'exactly one of Principal and NotPrincipal is required';
  if (!isPrincipal(statement.Principal ?? statement.NotPrincipal)) return 'the principal is malformed';
  if (has('Action') === has('NotAction')) return 'exactly one of Action and NotAction is required';
  if (!isStringOrList(statement.Action ?? statement.NotAction)) return 'the action list is malformed';
  if (has('Resource') && has('NotResource')) return 'Resource and NotResource are exclusive';
  const resource = statement.Resource ?? statement.NotResource;
  if (resource !== undefined && !isStringOrList(resource)) return 'the resource list is malformed';
  if (has('Condition')) {
    const condition = statement.Condition;
    if (!isRecord(condition) || !Object.values(condition).every(isRecord))
      return 'the condition is malformed';
  }
  return undefined;
}

/**
 * What is wrong with a resource policy document (undefined when nothing is): a JSON object with an optional
 * known `Version`, and a `Statement` (one statement or a list) of well-formed statements.
 */
export function policyDocumentProblem(policy: unknown): string | undefined {
  if (!isRecord(policy)) return 'the policy is not a JSON object';
  const unknown = Object.keys(policy).filter(
    (key) => key !== 'Version' && key !== 'Statement' && key !== 'Id',
  );
  if (unknown.length > 0) return `unknown policy keys ${unknown.join(', ')}`;
  if (policy.Version !== undefined && !POLICY_VERSIONS.has(policy.Version as string))
    return 'unknown Version';
  // An empty list is let through (a policy that allows nothing), as the sandbox always has: AWS's answer to one
  // is not documented.
  if (policy.Statement === undefined) return 'Statement is required';
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  for (const statement of statements) {
    const problem = statementProblem(statement);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Check policy text the way SetRepositoryPolicy does (PutRegistryPolicy and creation templates too): at most
 * 10,240 characters, JSON, and the statement grammar of {@link policyDocumentProblem}. ECR names no reason: any
 * grammar fault is the one message "Invalid <kind> policy provided".
 * @throws EcrError InvalidParameterException "Invalid parameter at 'PolicyText' … 'Invalid <kind> policy provided'"
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html
 */
export function validatePolicyDocument(text: string, kind: 'repository' | 'registry'): void {
  if (text.length > MAX_POLICY_LENGTH) {
    throw invalidParameter(
      `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Member must have length less than or equal to ${MAX_POLICY_LENGTH}'`,
    );
  }
  const message = `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid ${kind} policy provided'`;
  const policy = parseJsonParameter(text, message);
  if (policyDocumentProblem(policy) !== undefined) throw invalidParameter(message);
}

function policyOf(ecr: EcrContext, repo: RepositoryRecord): string {
  if (repo.policyText === undefined) {
    throw new EcrError(
      'RepositoryPolicyNotFoundException',
      `Repository policy does not exist for the repository with name '${repo.name}' in the registry with id '${ecr.accountId}'`,
    );
  }
  return repo.policyText;
}

function getRepositoryPolicy(ecr: EcrContext, input: Input): Wire<GetRepositoryPolicyResponse> {
  const repo = ecr.repoOf(input);
  return { registryId: ecr.accountId, repositoryName: repo.name, policyText: policyOf(ecr, repo) };
}

function deleteRepositoryPolicy(ecr: EcrContext, input: Input): Wire<DeleteRepositoryPolicyResponse> {
  const repo = ecr.repoOf(input);
  const policyText = policyOf(ecr, repo);
  delete repo.policyText;
  return { registryId: ecr.accountId, repositoryName: repo.name, policyText };
}

// ---- repository settings -------------------------------------------------------------------------------

function putImageTagMutability(ecr: EcrContext, input: Input): Wire<PutImageTagMutabilityResponse> {
  const repo = ecr.repoOf(input);
  if (input.imageTagMutability === undefined || input.imageTagMutability === null) {
    throw invalidParameter(
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'must not be null'",
    );
  }
  const mutability = mutabilityOf(input);
  repo.imageTagMutability = mutability.imageTagMutability;
  repo.exclusionFilters = mutability.exclusionFilters;
  return {
    registryId: ecr.accountId,
    repositoryName: repo.name,
    imageTagMutability: repo.imageTagMutability,
    ...(repo.exclusionFilters.length > 0
      ? { imageTagMutabilityExclusionFilters: repo.exclusionFilters }
      : {}),
  };
}

function putImageScanningConfiguration(
  ecr: EcrContext,
  input: Input,
): Wire<PutImageScanningConfigurationResponse> {
  const repo = ecr.repoOf(input);
  const config = optionalObject(input, 'imageScanningConfiguration');
  if (!config)
    throw invalidParameter(
      "Invalid parameter at 'imageScanningConfiguration' failed to satisfy constraint: 'must not be null'",
    );
  repo.scanOnPush = optionalBoolean(config, 'scanOnPush') ?? false;
  return {
    registryId: ecr.accountId,
    repositoryName: repo.name,
    imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
  };
}

// ---- registry settings ---------------------------------------------------------------------------------

function putRegistryScanningConfiguration(
  ecr: EcrContext,
  input: Input,
): Wire<PutRegistryScanningConfigurationResponse> {
  const scanType =
    input.scanType === undefined || input.scanType === null
      ? ecr.state.settings.scanType
      : enumOf(input.scanType, 'scanType', ['BASIC', 'ENHANCED'] as const);
  const rawRules = optionalArray(input, 'rules') ?? [];
  if (rawRules.length > 2)
    throw invalidParameter(
      "Invalid parameter at 'rules' failed to satisfy constraint: 'Member must have length less than or equal to 2'",
    );
  const rules: ScanningRule[] = rawRules.map((raw, index) => {
    const rule = (raw ?? {}) as Input;
    const scanFrequency = enumOf(rule.scanFrequency, `rules[${index}].scanFrequency`, [
      'SCAN_ON_PUSH',
      'CONTINUOUS_SCAN',
      'MANUAL',
    ] as const);
    if (scanType === 'BASIC' && scanFrequency === 'CONTINUOUS_SCAN') {
      throw invalidParameter(
        `Invalid parameter at 'rules[${index}].scanFrequency' failed to satisfy constraint: 'CONTINUOUS_SCAN requires scanType ENHANCED'`,
      );
    }
    const repositoryFilters = wildcardFilters(
      rule.repositoryFilters ?? [],
      `rules[${index}].repositoryFilters`,
      100,
      REPOSITORY_FILTER_PATTERN,
    );
    if (repositoryFilters.length === 0) {
      throw invalidParameter(
        `Invalid parameter at 'rules[${index}].repositoryFilters' failed to satisfy constraint: 'Member must have length greater than or equal to 1'`,
      );
    }
    return { scanFrequency, repositoryFilters };
  });
  ecr.state.settings.scanType = scanType;
  ecr.state.settings.scanningRules = rules;
  return { registryScanningConfiguration: { scanType, rules } };
}

function getRegistryScanningConfiguration(ecr: EcrContext): Wire<GetRegistryScanningConfigurationResponse> {
  return {
    registryId: ecr.accountId,
    scanningConfiguration: {
      scanType: ecr.state.settings.scanType,
      rules: ecr.state.settings.scanningRules,
    },
  };
}

/** Validated by replication.ts (which also acts on pushes); DescribeRegistry answers the stored rules. */
function putReplicationConfiguration(
  ecr: EcrContext,
  input: Input,
): Wire<PutReplicationConfigurationResponse> {
  const rules = replicationRulesOf(ecr, input);
  ecr.state.settings.replicationRules = rules;
  return { replicationConfiguration: { rules } };
}

function describeRegistry(ecr: EcrContext): Wire<DescribeRegistryResponse> {
  return {
    registryId: ecr.accountId,
    replicationConfiguration: {
      rules: ecr.state.settings.replicationRules,
    } as Wire<DescribeRegistryResponse>['replicationConfiguration'],
  };
}
