import { applicationRepositories } from '../shared/environments.ts';
import { wildcardMatch } from '../shared/wildcard.ts';
import type { SentinelConfig } from './schema.ts';

/**
 * What is legal in sentinel.config.yml but surely wrong: settings that silently never apply. The schema cannot
 * say these (they are valid values, and one depends on the day), so `config validate` reports them as warnings,
 * and `--strict` makes them fail.
 */

/** A warning before it is located in the file: the key path it is about and what is wrong. */
export interface ConfigWarning {
  path: Array<string | number>;
  message: string;
}

/** Days before an exception's expiry from which it is reported as expiring. */
export const EXPIRY_WARNING_DAYS = 14;

const DAY_MS = 86_400_000;

/**
 * Why an ECR wildcard pattern can never match a repository name (lower case letters, digits, `.`, `_`, `-`,
 * `/`; `*` is the only wildcard), or undefined when it can.
 */
export function unmatchablePatternReason(pattern: string): string | undefined {
  if (/\s/.test(pattern)) return 'contains white space, which no repository name has';
  if (/[\^$[\]()+?\\|{}]/.test(pattern) || pattern.includes('.*'))
    return 'looks like a regular expression; patterns know one wildcard, `*` (e.g. "orders-*")';
  if (/[A-Z]/.test(pattern)) return 'has upper case letters; ECR repository names are lower case';
  const other = pattern.match(/[^a-z0-9._/*-]/);
  if (other) return `contains "${other[0]}", which no repository name has`;
  return undefined;
}

/**
 * True when some text matches both ECR wildcards (`*` only): whether two patterns can name the same repository.
 * Dynamic programming over both patterns' positions, so it stays quadratic for 256-character patterns.
 */
export function wildcardsOverlap(a: string, b: string): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const stack: Array<[number, number]> = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    if (seen.has(i * width + j)) continue;
    seen.add(i * width + j);
    if (i === a.length && j === b.length) return true;
    // A star may match nothing, or one more character of the other side (a star there matches it too).
    if (a[i] === '*') stack.push([i + 1, j]);
    if (b[j] === '*') stack.push([i, j + 1]);
    if (i < a.length && j < b.length) {
      if (a[i] === '*') stack.push([i, j + 1]);
      else if (b[j] === '*') stack.push([i + 1, j]);
      else if (a[i] === b[j]) stack.push([i + 1, j + 1]);
    }
  }
  return false;
}

function patternWarnings(patterns: readonly string[], path: Array<string | number>): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  patterns.forEach((pattern, index) => {
    const reason = unmatchablePatternReason(pattern);
    if (reason) out.push({ path: [...path, index], message: `"${pattern}" can never match: ${reason}` });
  });
  return out;
}

function listed(names: readonly string[]): string {
  return names.length > 3 ? `${names.slice(0, 3).join(', ')}, …` : names.join(', ');
}

/**
 * The warnings of a valid configuration, in no particular order (the caller sorts them by line).
 * @param config the validated configuration
 * @param now the moment expiry is judged at (a clock's reading; this function reads none)
 */
export function configWarnings(config: SentinelConfig, now: Date): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const managed = applicationRepositories(config.environments, config.applications).map(
    (r) => r.repositoryName,
  );
  config.repositoryGroups.forEach((group, index) => {
    const path = ['repositoryGroups', index, 'repositories'];
    warnings.push(...patternWarnings(group.repositories, path));
    // Without applications nothing says which repositories are managed: no basis for this warning.
    if (
      managed.length > 0 &&
      !group.repositories.some((p) => managed.some((name) => wildcardMatch(p, name)))
    ) {
      warnings.push({
        path,
        message: `group "${group.name}" matches none of the applications' repositories (${listed(managed)})`,
      });
    }
  });
  const groupPatterns = config.repositoryGroups.flatMap((g) => g.repositories);
  config.exceptions.forEach((exception, index) => {
    const path = ['exceptions', index, 'repositories'];
    warnings.push(...patternWarnings(exception.repositories, path));
    const covers = exception.repositories.some(
      (p) =>
        managed.some((name) => wildcardMatch(p, name)) || groupPatterns.some((g) => wildcardsOverlap(p, g)),
    );
    if ((managed.length > 0 || groupPatterns.length > 0) && !covers) {
      warnings.push({
        path,
        message: `exception for ${exception.cve} matches no managed repository (no application repository, no repository group pattern)`,
      });
    }
    // It applies through the whole `expires` day in UTC (scan-gate's rule), so it ends at the next midnight.
    const end = Date.parse(`${exception.expires}T00:00:00Z`) + DAY_MS;
    const left = end - now.getTime();
    if (left <= 0) {
      warnings.push({
        path: ['exceptions', index, 'expires'],
        message: `exception for ${exception.cve} expired on ${exception.expires}: it no longer applies; renew or remove it`,
      });
    } else if (left <= EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.floor(left / DAY_MS);
      const when = days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`;
      warnings.push({
        path: ['exceptions', index, 'expires'],
        message: `exception for ${exception.cve} expires ${when} (applies through ${exception.expires}, UTC)`,
      });
    }
  });
  return warnings;
}
