import type { RegistryState, RepositoryState } from '../../src/compliance/domain/state.ts';

/** Observed state builders: a compliant-looking baseline the tests change one field of. */

export const OWN_ACCOUNT = '111111111111';

export function repository(overrides: Partial<RepositoryState> = {}): RepositoryState {
  const name = overrides.repositoryName ?? 'orders-api-prod';
  return {
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:eu-west-1:${OWN_ACCOUNT}:repository/${name}`,
    registryId: OWN_ACCOUNT,
    imageTagMutability: 'IMMUTABLE',
    encryptionConfiguration: { encryptionType: 'AES256' },
    scanFrequency: 'SCAN_ON_PUSH',
    tags: [],
    ...overrides,
  };
}

export function registry(overrides: Partial<RegistryState> = {}): RegistryState {
  return {
    registryId: OWN_ACCOUNT,
    scanning: { scanType: 'BASIC', rules: [] },
    replication: { rules: [] },
    creationTemplates: [],
    ...overrides,
  };
}

/** A lifecycle policy text from rules (JSON, as GetLifecyclePolicy returns it). */
export function policyText(...rules: object[]): string {
  return JSON.stringify({ rules });
}

export const UNTAGGED_14_DAYS = {
  rulePriority: 1,
  selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
  action: { type: 'expire' },
};

export function taggedAll(priority: number, count = 10): object {
  return {
    rulePriority: priority,
    selection: {
      tagStatus: 'tagged',
      tagPatternList: ['*'],
      countType: 'imageCountMoreThan',
      countNumber: count,
    },
    action: { type: 'expire' },
  };
}
