import { wildcardMatch } from './wildcard.ts';

/**
 * The first repository group (`repositoryGroups[]` of sentinel.config.yml) with a wildcard matching the
 * repository: the one group whose settings (scan gate, cleanup, compliance) apply to it.
 */
export function groupOf(
  groups: readonly { name: string; repositories: readonly string[] }[],
  repositoryName: string,
): string | undefined {
  return groups.find((g) => g.repositories.some((pattern) => wildcardMatch(pattern, repositoryName)))?.name;
}
