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
import type { RepositoryRecord, ScanningRule } from './state.ts';
import {
  enumOf,
  type Input,
  optionalArray,
  optionalBoolean,
  optionalObject,
  REGISTRY_ID_PATTERN,
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

/**
 * Check policy text the way SetRepositoryPolicy does (PutRegistryPolicy and creation templates too): a JSON
 * object with a `Statement`; the statements themselves are judged when the policy is evaluated (access.ts).
 * @throws EcrError InvalidParameterException "Invalid parameter at 'PolicyText' … 'Invalid <kind> policy provided'"
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html
 */
export function validatePolicyDocument(text: string, kind: 'repository' | 'registry'): void {
  const message = `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid ${kind} policy provided'`;
  const policy = parseJsonParameter(text, message);
  const statement = (policy as { Statement?: unknown } | null)?.Statement;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy) || statement === undefined) {
    throw invalidParameter(message);
  }
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

function putReplicationConfiguration(
  ecr: EcrContext,
  input: Input,
): Wire<PutReplicationConfigurationResponse> {
  const config = optionalObject(input, 'replicationConfiguration');
  const rules = config ? optionalArray(config, 'rules') : undefined;
  if (!config || rules === undefined) {
    throw invalidParameter(
      "Invalid parameter at 'replicationConfiguration.rules' failed to satisfy constraint: 'must not be null'",
    );
  }
  if (rules.length > 10)
    throw invalidParameter(
      "Invalid parameter at 'replicationConfiguration.rules' failed to satisfy constraint: 'Member must have length less than or equal to 10'",
    );
  rules.forEach((rule, index) => {
    const destinations = (rule as Input | null)?.destinations;
    if (!Array.isArray(destinations) || destinations.length < 1 || destinations.length > 100) {
      throw invalidParameter(
        `Invalid parameter at 'replicationConfiguration.rules[${index}].destinations' failed to satisfy constraint: 'Member must have length between 1 and 100'`,
      );
    }
    destinations.forEach((destination, d) => {
      const raw = (destination ?? {}) as Input;
      if (
        typeof raw.region !== 'string' ||
        typeof raw.registryId !== 'string' ||
        !REGISTRY_ID_PATTERN.test(raw.registryId)
      ) {
        throw invalidParameter(
          `Invalid parameter at 'replicationConfiguration.rules[${index}].destinations[${d}]' failed to satisfy constraint: 'region and a 12-digit registryId are required'`,
        );
      }
    });
  });
  ecr.state.settings.replicationRules = rules;
  return {
    replicationConfiguration: {
      rules,
    } as Wire<PutReplicationConfigurationResponse>['replicationConfiguration'],
  };
}

function describeRegistry(ecr: EcrContext): Wire<DescribeRegistryResponse> {
  return {
    registryId: ecr.accountId,
    replicationConfiguration: {
      rules: ecr.state.settings.replicationRules,
    } as Wire<DescribeRegistryResponse>['replicationConfiguration'],
  };
}
