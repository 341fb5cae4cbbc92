import type {
  BatchGetRepositoryScanningConfigurationResponse,
  DeleteRegistryPolicyResponse,
  GetRegistryPolicyResponse,
  PutRegistryPolicyResponse,
  RepositoryScanningConfiguration,
} from '@aws-sdk/client-ecr';
import { wildcardMatch } from '../../shared/wildcard.ts';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import { validatePolicyDocument } from './policies.ts';
import type { ExclusionFilter, RegistrySettings, ScanningRule } from './settings-state.ts';
import type { RepositoryRecord } from './state.ts';
import { type Input, optionalArray, requiredString, validateRepositoryName } from './validation.ts';
import type { Wire } from './wire.ts';

/**
 * What registry-wide settings say about the registry and its repositories: the registry policy
 * (PutRegistryPolicy, GetRegistryPolicy, DeleteRegistryPolicy) and the scanning configuration each repository
 * ends up with (BatchGetRepositoryScanningConfiguration), which the scan on push of scanning.ts follows too.
 */
export function registrySettingsOperations(ecr: EcrContext): Operations {
  return {
    PutRegistryPolicy: (i) => putRegistryPolicy(ecr, i),
    GetRegistryPolicy: () => getRegistryPolicy(ecr),
    DeleteRegistryPolicy: () => deleteRegistryPolicy(ecr),
    BatchGetRepositoryScanningConfiguration: (i) => batchGetRepositoryScanningConfiguration(ecr, i),
  };
}

/** RegistryPolicyText: at most 10,240 characters (the API model). */
const MAX_POLICY_LENGTH = 10_240;
/** ScanningConfigurationRepositoryNameList: 1 to 25 names (the API model). */
const MAX_SCANNING_NAMES = 25;

// ---- registry policy -----------------------------------------------------------------------------------

/**
 * Store the registry's permissions policy (replaces any earlier one), validated like a repository policy.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutRegistryPolicy.html
 */
function putRegistryPolicy(ecr: EcrContext, input: Input): Wire<PutRegistryPolicyResponse> {
  const text = requiredString(input, 'policyText');
  if (text.length > MAX_POLICY_LENGTH) {
    throw invalidParameter(
      `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Member must have length less than or equal to ${MAX_POLICY_LENGTH}'`,
    );
  }
  validatePolicyDocument(text, 'registry');
  ecr.state.settings.registryPolicyText = text;
  return { registryId: ecr.accountId, policyText: text };
}

function registryPolicyOf(ecr: EcrContext): string {
  const text = ecr.state.settings.registryPolicyText;
  if (text === undefined) {
    throw new EcrError(
      'RegistryPolicyNotFoundException',
      `Registry policy does not exist in the registry with id '${ecr.accountId}'`,
    );
  }
  return text;
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRegistryPolicy.html */
function getRegistryPolicy(ecr: EcrContext): Wire<GetRegistryPolicyResponse> {
  return { registryId: ecr.accountId, policyText: registryPolicyOf(ecr) };
}

/** Answers with the policy it deleted. @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRegistryPolicy.html */
function deleteRegistryPolicy(ecr: EcrContext): Wire<DeleteRegistryPolicyResponse> {
  const policyText = registryPolicyOf(ecr);
  delete ecr.state.settings.registryPolicyText;
  return { registryId: ecr.accountId, policyText };
}

// ---- repository scanning configuration -----------------------------------------------------------------

/** The scanning a repository gets from the registry's rules and its own scan-on-push flag. */
export interface RepositoryScanning {
  scanFrequency: ScanningRule['scanFrequency'];
  appliedScanFilters: ExclusionFilter[];
}

/** When rules of several frequencies cover a repository, the one that scans most applies (inferred). */
const FREQUENCY_RANK: Record<ScanningRule['scanFrequency'], number> = {
  MANUAL: 0,
  SCAN_ON_PUSH: 1,
  CONTINUOUS_SCAN: 2,
};

/**
 * The scanning configuration `repo` ends up with. A rule covers a repository when one of its filters matches
 * the name (ECR wildcards, as the rest of the emulator matches them); `appliedScanFilters` are the filters of
 * the applying rule that match. With BASIC scanning the repository's own scanOnPush still turns scan on push on;
 * with ENHANCED only the rules count (Inspector scans the repositories its rules cover:
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html). Inferred where AWS is
 * silent: which rule wins when several cover a repository (the one that scans most, see FREQUENCY_RANK).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryScanningConfiguration.html
 */
export function repositoryScanning(settings: RegistrySettings, repo: RepositoryRecord): RepositoryScanning {
  let best: RepositoryScanning | undefined;
  for (const rule of settings.scanningRules) {
    const matching = rule.repositoryFilters.filter((f) => wildcardMatch(f.filter, repo.name));
    if (matching.length === 0) continue;
    if (best === undefined || FREQUENCY_RANK[rule.scanFrequency] > FREQUENCY_RANK[best.scanFrequency]) {
      best = { scanFrequency: rule.scanFrequency, appliedScanFilters: matching };
    }
  }
  if (settings.scanType === 'BASIC' && repo.scanOnPush && best?.scanFrequency !== 'SCAN_ON_PUSH') {
    return { scanFrequency: 'SCAN_ON_PUSH', appliedScanFilters: [] };
  }
  return best ?? { scanFrequency: 'MANUAL', appliedScanFilters: [] };
}

/**
 * Each named repository's scanning configuration; names the registry doesn't hold are `failures` (failure code
 * REPOSITORY_NOT_FOUND, the only value of ScanningConfigurationFailureCode), not an error.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetRepositoryScanningConfiguration.html
 */
function batchGetRepositoryScanningConfiguration(
  ecr: EcrContext,
  input: Input,
): Wire<BatchGetRepositoryScanningConfigurationResponse> {
  const names = optionalArray(input, 'repositoryNames');
  if (names === undefined) {
    throw invalidParameter(
      "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must not be null'",
    );
  }
  if (names.length < 1 || names.length > MAX_SCANNING_NAMES) {
    throw invalidParameter(
      `Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length between 1 and ${MAX_SCANNING_NAMES}'`,
    );
  }
  const scanningConfigurations: Wire<RepositoryScanningConfiguration>[] = [];
  const failures: NonNullable<Wire<BatchGetRepositoryScanningConfigurationResponse>['failures']> = [];
  names.forEach((raw, index) => {
    if (typeof raw !== 'string') {
      throw invalidParameter(
        `Invalid parameter at 'repositoryNames[${index}]' failed to satisfy constraint: 'must be a string'`,
      );
    }
    const name = validateRepositoryName(raw, `repositoryNames[${index}]`);
    const repo = ecr.state.repos.get(name);
    if (!repo) {
      failures.push({
        repositoryName: name,
        failureCode: 'REPOSITORY_NOT_FOUND',
        failureReason: ecr.repositoryNotFound(name).message,
      });
      return;
    }
    const scanning = repositoryScanning(ecr.state.settings, repo);
    scanningConfigurations.push({
      repositoryArn: ecr.repositoryArn(repo.name),
      repositoryName: repo.name,
      scanOnPush: repo.scanOnPush,
      scanFrequency: scanning.scanFrequency,
      appliedScanFilters: scanning.appliedScanFilters,
    });
  });
  return { scanningConfigurations, failures };
}
