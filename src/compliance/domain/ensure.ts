import type { RepositoryDesired } from '../config-schema.ts';
import { desiredEncryption } from './encryption.ts';
import type {
  EncryptionConfiguration,
  ImageTagMutability,
  ResourceTag,
  TagMutabilityExclusionFilter,
} from './state.ts';
import { desiredMutability } from './tag-mutability.ts';

/**
 * CreateRepository's input, as far as compliance sets it (field names as the ECR API's).
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 */
export interface CreateRepositoryInput {
  readonly repositoryName: string;
  readonly imageTagMutability?: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly TagMutabilityExclusionFilter[];
  readonly encryptionConfiguration?: EncryptionConfiguration;
  readonly imageScanningConfiguration?: { readonly scanOnPush: boolean };
  readonly tags?: readonly ResourceTag[];
}

/**
 * The CreateRepository call that makes `repositoryName` compliant by construction with what can only or best be
 * set at creation: tag mutability (and its exclusions), encryption (fixed for life), scan on push and the
 * required tags whose value the config gives. What CreateRepository can't set (the lifecycle policy, a registry
 * scanning rule for continuous or enhanced scanning) is left to enforcement on the created repository, so both
 * paths put the same settings. Every check counts, whatever its mode: a repository being created has no state
 * to merely audit.
 */
export function creationInput(repositoryName: string, desired: RepositoryDesired): CreateRepositoryInput {
  const tags = desired.resourceTags
    ? desired.resourceTags.required.flatMap((key) => {
        const value = desired.resourceTags?.values[key];
        return value === undefined ? [] : [{ Key: key, Value: value }];
      })
    : [];
  return {
    repositoryName,
    ...(desired.tagMutability ? desiredMutability(desired.tagMutability) : {}),
    ...(desired.encryption ? { encryptionConfiguration: desiredEncryption(desired.encryption) } : {}),
    // The repository's own scanOnPush covers SCAN_ON_PUSH under BASIC scanning; under ENHANCED, or for
    // CONTINUOUS_SCAN, only a registry rule does, which enforcement then adds.
    ...(desired.scanning ? { imageScanningConfiguration: { scanOnPush: true } } : {}),
    ...(tags.length > 0 ? { tags } : {}),
  };
}
