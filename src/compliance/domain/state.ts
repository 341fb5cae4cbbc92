/**
 * What compliance observes: one repository, and the registry (account and Region) it lives in. Field names and
 * enum values are those of the ECR API (`@aws-sdk/client-ecr`), so adapters copy responses across; the types are
 * our own because domain code imports no AWS SDK, not even types (test/architecture), and because the SDK marks
 * every member optional where these are known to be present. test/compliance/sdk-shapes.test.ts proves they
 * stay assignable to the SDK's.
 */

/** https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html */
export const IMAGE_TAG_MUTABILITIES = [
  'MUTABLE',
  'IMMUTABLE',
  'IMMUTABLE_WITH_EXCLUSION',
  'MUTABLE_WITH_EXCLUSION',
] as const;
export type ImageTagMutability = (typeof IMAGE_TAG_MUTABILITIES)[number];

export interface TagMutabilityExclusionFilter {
  readonly filterType: 'WILDCARD';
  readonly filter: string;
}

/** https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_EncryptionConfiguration.html */
export const ENCRYPTION_TYPES = ['AES256', 'KMS', 'KMS_DSSE'] as const;
export type EncryptionType = (typeof ENCRYPTION_TYPES)[number];

export interface EncryptionConfiguration {
  readonly encryptionType: EncryptionType;
  /** The key's ARN, for KMS and KMS_DSSE. */
  readonly kmsKey?: string;
}

/** https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RegistryScanningRule.html */
export type ScanFrequency = 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
export type ScanType = 'BASIC' | 'ENHANCED';

export interface ScanningRepositoryFilter {
  readonly filter: string;
  readonly filterType: 'WILDCARD';
}

export interface RegistryScanningRule {
  readonly scanFrequency: ScanFrequency;
  readonly repositoryFilters: readonly ScanningRepositoryFilter[];
}

/** GetRegistryScanningConfiguration's `scanningConfiguration`. */
export interface RegistryScanningConfiguration {
  readonly scanType: ScanType;
  readonly rules: readonly RegistryScanningRule[];
}

export interface ResourceTag {
  readonly Key: string;
  readonly Value: string;
}

/** One repository as DescribeRepositories, BatchGetRepositoryScanningConfiguration and friends describe it. */
export interface RepositoryState {
  readonly repositoryName: string;
  readonly repositoryArn: string;
  /** The account the repository is in: its own principals are never "cross-account". */
  readonly registryId: string;
  readonly imageTagMutability: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly TagMutabilityExclusionFilter[];
  readonly encryptionConfiguration: EncryptionConfiguration;
  /** The effective frequency from BatchGetRepositoryScanningConfiguration (MANUAL when no rule covers it). */
  readonly scanFrequency: ScanFrequency;
  /** GetLifecyclePolicy's text; undefined when the repository has none. */
  readonly lifecyclePolicyText?: string;
  /** GetRepositoryPolicy's text; undefined when the repository has none. */
  readonly repositoryPolicyText?: string;
  /** ListTagsForResource. */
  readonly tags: readonly ResourceTag[];
  /**
   * Reads that failed (access denied, throttled past the SDK's retries…), each with why. The field itself then
   * holds a placeholder that means nothing: audit reports the checks that need it as `unknown`, never as drift.
   */
  readonly unreadable?: Readonly<Partial<Record<RepositoryRead, string>>>;
}

/** The fields of {@link RepositoryState} read with calls of their own (DescribeRepositories gives the rest). */
export type RepositoryRead = 'scanFrequency' | 'lifecyclePolicyText' | 'repositoryPolicyText' | 'tags';

/** https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ReplicationRule.html */
export interface ReplicationDestination {
  readonly region: string;
  readonly registryId: string;
}

export interface ReplicationRepositoryFilter {
  readonly filter: string;
  readonly filterType: 'PREFIX_MATCH';
}

export interface ReplicationRule {
  readonly destinations: readonly ReplicationDestination[];
  /** Absent or empty: every repository replicates. */
  readonly repositoryFilters?: readonly ReplicationRepositoryFilter[];
}

export const CREATION_TEMPLATE_USES = ['CREATE_ON_PUSH', 'PULL_THROUGH_CACHE', 'REPLICATION'] as const;
export type CreationTemplateUse = (typeof CREATION_TEMPLATE_USES)[number];

/** https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryCreationTemplate.html */
export interface RepositoryCreationTemplate {
  readonly prefix: string;
  readonly description?: string;
  readonly encryptionConfiguration?: EncryptionConfiguration;
  readonly resourceTags?: readonly ResourceTag[];
  readonly imageTagMutability?: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: readonly TagMutabilityExclusionFilter[];
  readonly repositoryPolicy?: string;
  readonly lifecyclePolicy?: string;
  readonly appliedFor?: readonly CreationTemplateUse[];
  readonly customRoleArn?: string;
}

/** The registry: its scanning rules, replication (DescribeRegistry) and creation templates. */
export interface RegistryState {
  readonly registryId: string;
  readonly scanning: RegistryScanningConfiguration;
  readonly replication: { readonly rules: readonly ReplicationRule[] };
  readonly creationTemplates: readonly RepositoryCreationTemplate[];
  /** Reads that failed, each with why; as {@link RepositoryState.unreadable}. */
  readonly unreadable?: Readonly<Partial<Record<RegistryRead, string>>>;
}

/** The parts of {@link RegistryState} read with calls of their own. */
export type RegistryRead = 'scanning' | 'replication' | 'creationTemplates';
