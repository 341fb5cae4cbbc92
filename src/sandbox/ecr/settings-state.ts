import type { EncryptionType, ImageTagMutability, RCTAppliedFor, Tag } from '@aws-sdk/client-ecr';

/**
 * Registry-wide settings: scanning, replication, the registry policy and the repository creation templates.
 * They are plain JSON (no Maps, times as epoch milliseconds) so the state file stores them as they are; fields
 * added after the first state format are optional, so older state files load unchanged.
 */

export interface ExclusionFilter {
  filter: string;
  filterType: 'WILDCARD';
}

export interface ScanningRule {
  scanFrequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
  repositoryFilters: ExclusionFilter[];
}

/** A repository creation template (CreateRepositoryCreationTemplate), kept in creation order. */
export interface CreationTemplateRecord {
  /** Creation order: where DescribeRepositoryCreationTemplates pages resume. */
  seq: number;
  /** As the caller wrote it; templates are told apart by {@link templateKey}. */
  prefix: string;
  description?: string;
  encryption: { encryptionType: EncryptionType; kmsKey?: string };
  resourceTags: Tag[];
  imageTagMutability: ImageTagMutability;
  exclusionFilters: ExclusionFilter[];
  repositoryPolicy?: string;
  lifecyclePolicy?: string;
  appliedFor: RCTAppliedFor[];
  customRoleArn?: string;
  createdAt: number;
  updatedAt: number;
}

export interface RegistrySettings {
  scanType: 'BASIC' | 'ENHANCED';
  scanningRules: ScanningRule[];
  replicationRules: unknown[];
  /** PutRegistryPolicy's text; absent until one is put. */
  registryPolicyText?: string;
  /** Absent in state saved before templates were modelled. */
  creationTemplates?: CreationTemplateRecord[];
  /** PutAccountSetting's values by name (account-settings.ts); absent until one is put. */
  accountSettings?: Record<string, string>;
}

export function defaultRegistrySettings(): RegistrySettings {
  return { scanType: 'BASIC', scanningRules: [], replicationRules: [] };
}

/**
 * "There is always an assumed / applied to the end of the prefix" (API_CreateRepositoryCreationTemplate): `prod`
 * and `prod/` name one template.
 */
export function templateKey(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/**
 * Of `items`, the one whose prefix covers `name` — `prod` (or `prod/`) covers `prod/app` — the longest prefix
 * first, `ROOT` covering every name, last. Creation templates and pull through cache rules are chosen this way.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
 */
export function longestCovering<T>(
  items: readonly T[],
  prefixOf: (item: T) => string,
  name: string,
): T | undefined {
  let best: T | undefined;
  let bestLength = -1;
  for (const item of items) {
    const key = templateKey(prefixOf(item));
    const length = key === 'ROOT' ? 0 : name.startsWith(`${key}/`) ? key.length : -1;
    if (length > bestLength) {
      best = item;
      bestLength = length;
    }
  }
  return best;
}
