import { describe, expect, it } from 'vitest';
import type { ImageTagMutability } from '../../src/compliance/domain/state.ts';
import {
  tagMutabilityControl,
  tagMutabilitySettingsSchema,
} from '../../src/compliance/domain/tag-mutability.ts';
import { registry, repository } from './state.ts';

const filters = (...names: string[]) => names.map((filter) => ({ filterType: 'WILDCARD' as const, filter }));

describe('tag mutability control', () => {
  it.each<[string, object, ImageTagMutability, string[], 'pass' | 'drift']>([
    ['IMMUTABLE is met by IMMUTABLE', { mutability: 'IMMUTABLE' }, 'IMMUTABLE', [], 'pass'],
    ['IMMUTABLE is not met by MUTABLE', { mutability: 'IMMUTABLE' }, 'MUTABLE', [], 'drift'],
    [
      'IMMUTABLE is not met by IMMUTABLE_WITH_EXCLUSION',
      { mutability: 'IMMUTABLE' },
      'IMMUTABLE_WITH_EXCLUSION',
      ['latest'],
      'drift',
    ],
    [
      'allowed exclusions are met by a subset of them',
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] },
      'IMMUTABLE_WITH_EXCLUSION',
      ['latest'],
      'pass',
    ],
    [
      'allowed exclusions are met by IMMUTABLE (no exclusion at all)',
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
      'IMMUTABLE',
      [],
      'pass',
    ],
    [
      'allowed exclusions are not met by an exclusion outside them',
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
      'IMMUTABLE_WITH_EXCLUSION',
      ['latest', 'v*'],
      'drift',
    ],
    [
      'MUTABLE_WITH_EXCLUSION needs exactly its filters, in any order',
      { mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['release-*', 'v*'] },
      'MUTABLE_WITH_EXCLUSION',
      ['v*', 'release-*'],
      'pass',
    ],
  ])('%s', (_what, desired, mutability, exclusions, status) => {
    const finding = tagMutabilityControl.check({
      repository: repository({
        imageTagMutability: mutability,
        ...(exclusions.length ? { imageTagMutabilityExclusionFilters: filters(...exclusions) } : {}),
      }),
      registry: registry(),
      desired: tagMutabilitySettingsSchema.parse(desired),
    });

    expect(finding.status).toBe(status);
  });

  it('fixes drift with PutImageTagMutability to the configured mode and filters', () => {
    const finding = tagMutabilityControl.check({
      repository: repository({ repositoryName: 'orders-api-dev', imageTagMutability: 'MUTABLE' }),
      registry: registry(),
      desired: tagMutabilitySettingsSchema.parse({
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusionFilters: ['latest'],
        mode: 'enforce',
      }),
    });

    expect(finding).toMatchObject({ status: 'drift', fixable: true, actual: 'MUTABLE' });
    expect(finding.remediation).toEqual({
      action: 'PutImageTagMutability',
      input: {
        repositoryName: 'orders-api-dev',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      },
      before: { imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [] },
      after: {
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      },
    });
  });
});
