import { wildcardMatch } from '../../shared/wildcard.ts';

/**
 * A time-boxed, owned exception for one vulnerability in some repositories (`exceptions:` in
 * sentinel.config.yml). Expiry rule: an exception applies through the whole of its `expires` day in UTC and
 * stops applying at 00:00:00Z of the day after.
 */
export interface ScanException {
  /** Vulnerability id, matched case-insensitively against a finding's id. */
  cve: string;
  /** Repository names or ECR wildcards (`*`). */
  repositories: readonly string[];
  /** Last day the exception applies, `YYYY-MM-DD`, UTC. */
  expires: string;
  owner: string;
  reason: string;
  ticket?: string | undefined;
}

/** How an exception shows up in a verdict and an alert. */
export interface ExceptionNote {
  cve: string;
  owner: string;
  expires: string;
  ticket?: string | undefined;
}

const DAY_MS = 86_400_000;

/** The first instant at which the exception no longer applies: midnight UTC after the `expires` day. */
export function exceptionEnd(expires: string): Date {
  return new Date(Date.parse(`${expires}T00:00:00Z`) + DAY_MS);
}

/** True while `now` is on or before the exception's `expires` day (UTC). An unparsable date never applies. */
export function isExceptionActive(exception: Pick<ScanException, 'expires'>, now: Date): boolean {
  const end = exceptionEnd(exception.expires).getTime();
  return Number.isFinite(end) && now.getTime() < end;
}

/** True when the exception covers this repository (any of its wildcards matches). */
export function coversRepository(
  exception: Pick<ScanException, 'repositories'>,
  repositoryName: string,
): boolean {
  return exception.repositories.some((pattern) => wildcardMatch(pattern, repositoryName));
}

export function sameVulnerability(a: string, b: string): boolean {
  return a.trim().toUpperCase() === b.trim().toUpperCase();
}

/**
 * The exceptions that matter for one repository's findings:
 * - `active`: per vulnerability id (upper case), the exception that suppresses it (the one expiring last);
 * - `expired`: exceptions for ids that appear in `findingIds`, cover the repository, have expired and are not
 *   superseded by an active exception for the same id — the alert says these no longer apply.
 */
export function exceptionsFor(
  exceptions: readonly ScanException[],
  repositoryName: string,
  findingIds: Iterable<string>,
  now: Date,
): { active: Map<string, ScanException>; expired: ScanException[] } {
  const ids = new Set([...findingIds].map((id) => id.trim().toUpperCase()));
  const active = new Map<string, ScanException>();
  const expired = new Map<string, ScanException>();
  for (const exception of exceptions) {
    const id = exception.cve.trim().toUpperCase();
    if (!ids.has(id) || !coversRepository(exception, repositoryName)) continue;
    if (isExceptionActive(exception, now)) {
      const current = active.get(id);
      if (current === undefined || current.expires < exception.expires) active.set(id, exception);
    } else {
      const current = expired.get(id);
      if (current === undefined || current.expires < exception.expires) expired.set(id, exception);
    }
  }
  for (const id of active.keys()) expired.delete(id);
  return { active, expired: [...expired.values()] };
}

export function noteOf(exception: ScanException): ExceptionNote {
  return {
    cve: exception.cve,
    owner: exception.owner,
    expires: exception.expires,
    ...(exception.ticket === undefined ? {} : { ticket: exception.ticket }),
  };
}
