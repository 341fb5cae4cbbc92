import { wildcardMatch } from '../../shared/wildcard.ts';
import { invalidParameter } from './errors.ts';
import type { ExclusionFilter, RepositoryRecord, TagMutability } from './state.ts';
import { enumOf, type Input, TAG_FILTER_PATTERN, wildcardFilters } from './validation.ts';

const MUTABILITIES: readonly TagMutability[] = [
  'MUTABLE',
  'IMMUTABLE',
  'IMMUTABLE_WITH_EXCLUSION',
  'MUTABLE_WITH_EXCLUSION',
];

/**
 * The tag mutability a request asks for (CreateRepository, PutImageTagMutability): MUTABLE when absent, and
 * exclusion filters exactly when the setting is one of the `_WITH_EXCLUSION` kinds.
 */
export function mutabilityOf(input: Input): {
  imageTagMutability: TagMutability;
  exclusionFilters: ExclusionFilter[];
} {
  const imageTagMutability =
    input.imageTagMutability === undefined || input.imageTagMutability === null
      ? 'MUTABLE'
      : enumOf(input.imageTagMutability, 'imageTagMutability', MUTABILITIES);
  const rawFilters = input.imageTagMutabilityExclusionFilters;
  const withExclusion = imageTagMutability.endsWith('_WITH_EXCLUSION');
  const hasFilters = Array.isArray(rawFilters) && rawFilters.length > 0;
  if (withExclusion && !hasFilters) {
    throw invalidParameter(
      `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'required when imageTagMutability is ${imageTagMutability}'`,
    );
  }
  if (!withExclusion && hasFilters) {
    throw invalidParameter(
      `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'only allowed when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION'`,
    );
  }
  const exclusionFilters = withExclusion
    ? wildcardFilters(rawFilters, 'imageTagMutabilityExclusionFilters', 5, TAG_FILTER_PATTERN)
    : [];
  return { imageTagMutability, exclusionFilters };
}

/** Whether `tag` may not be moved to another image in `repo`, exclusion filters included. */
export function isTagImmutable(repo: RepositoryRecord, tag: string): boolean {
  const matches = () => repo.exclusionFilters.some((f) => wildcardMatch(f.filter, tag));
  switch (repo.imageTagMutability) {
    case 'MUTABLE':
      return false;
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !matches();
    case 'MUTABLE_WITH_EXCLUSION':
      return matches();
  }
}
