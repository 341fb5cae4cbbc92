import type { SignalDoubt } from '../ports.ts';

/**
 * Errors that mean our code is wrong, not that AWS refused or failed: they propagate, so a bug is seen rather
 * than reported as a doubt forever.
 */
function isProgrammingError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  );
}

/**
 * The doubt a failed read of a protection signal leaves: the error's name (`AccessDeniedException`,
 * `ThrottlingException` once the SDK's retries are spent, a network error…) and what was being read. Any error
 * but a programming error becomes a doubt: cleanup skips the repositories it covers instead of deleting what the
 * signal could not vouch for.
 * @throws the error itself when it is a programming error (TypeError and the like)
 */
export function doubtOf(
  signal: string,
  reading: string,
  error: unknown,
  repositoryName?: string,
): SignalDoubt {
  if (isProgrammingError(error)) throw error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  return {
    signal,
    ...(repositoryName === undefined ? {} : { repositoryName }),
    reason: `could not read ${reading} (${name}${message})`,
  };
}
