import { invalidParameter } from './errors.ts';

/**
 * Where a listing resumes. `seq` is the push/creation sequence of the next item (so deletions between pages
 * never shift the window), `sub` an offset inside that item (ListImages yields one entry per tag).
 * `scope` binds a token to the listing it came from so it can't be replayed against another one.
 */
export interface PageCursor {
  scope: string;
  seq: number;
  sub: number;
}

/** Opaque `nextToken`: base64url of a small JSON cursor. */
export function encodeToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([1, cursor.scope, cursor.seq, cursor.sub]), 'utf8').toString('base64url');
}

/** Decode a `nextToken`; anything not minted by {@link encodeToken} for `scope` is InvalidParameterException. */
export function decodeToken(token: unknown, scope: string): PageCursor {
  const invalid = () =>
    invalidParameter("Invalid parameter at 'nextToken' failed to satisfy constraint: 'invalid token'");
  if (typeof token !== 'string' || token.length === 0 || token.length > 2048) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (_error) {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== 1 || parsed[1] !== scope)
    throw invalid();
  const [, , seq, sub] = parsed as [number, string, unknown, unknown];
  if (
    !Number.isSafeInteger(seq) ||
    !Number.isSafeInteger(sub) ||
    (seq as number) < 0 ||
    (sub as number) < 0
  ) {
    throw invalid();
  }
  return { scope, seq: seq as number, sub: sub as number };
}

/** Index of the first element whose `seq` is ≥ `seq` in an array sorted by `seq` (binary search). */
export function lowerBound<T extends { seq: number }>(items: readonly T[], seq: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as T).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
