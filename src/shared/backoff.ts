/**
 * Retry policy for one HTTP delivery (the Slack webhook), pure: the attempt's outcome, the attempt number, the
 * time left and a random number in, a decision out. No clock reads, no I/O.
 *
 * - 2xx: delivered.
 * - 429: retry after `Retry-After` (seconds) when the server says, else after the backoff.
 * - 5xx, 408 and network errors (refused, reset, timed out): retry after the backoff.
 * - any other 4xx: final — the request itself is wrong (`invalid_blocks`, `invalid_token`, `no_service`…).
 * - no retry when the attempts are used up or the wait (plus one more attempt) would not fit in the time left:
 *   the caller then fails the invocation and Lambda retries it later.
 *
 * Backoff: exponential with "equal jitter" — half of `min(cap, base · 2^(attempt-1))` fixed, half random —
 * so concurrent senders spread out but never retry at once.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included (default 4). */
  maxAttempts: number;
  /** Backoff before the second attempt, before jitter (default 500 ms). */
  baseDelayMs: number;
  /** Largest backoff (default 8 s). */
  maxDelayMs: number;
  /** Longest `Retry-After` honoured (default 20 s); a longer one ends the retries. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 20_000,
};

export type AttemptOutcome =
  | { kind: 'response'; status: number; retryAfter?: string | null | undefined }
  | { kind: 'network'; code: string };

export type RetryDecision =
  | { action: 'done' }
  | { action: 'retry'; delayMs: number }
  /** Retryable, but out of attempts or time: fail this invocation (Lambda retries it). */
  | { action: 'give-up'; reason: 'attempts' | 'time' }
  /** Not retryable: the request is wrong. */
  | { action: 'final' };

/** `Retry-After` as milliseconds: delta-seconds (what Slack sends) or an HTTP date relative to `nowMs`. */
export function parseRetryAfter(value: string | null | undefined, nowMs?: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (nowMs === undefined) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The jittered backoff before attempt `attempt + 1`; `random` in [0, 1). */
export function backoffDelayMs(attempt: number, random: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const half = ceiling / 2;
  return Math.round(half + Math.min(Math.max(random, 0), 1) * half);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/**
 * What to do after attempt number `attempt` (1-based) ended with `outcome`.
 * @param remainingMs time left for the whole delivery (e.g. the Lambda's remaining time minus a margin)
 * @param attemptBudgetMs the longest one attempt may take (its request timeout)
 */
export function retryDecision(input: {
  outcome: AttemptOutcome;
  attempt: number;
  remainingMs: number;
  attemptBudgetMs: number;
  random: number;
  nowMs?: number;
  policy?: RetryPolicy;
}): RetryDecision {
  const policy = input.policy ?? DEFAULT_RETRY_POLICY;
  const { outcome } = input;
  if (outcome.kind === 'response') {
    if (outcome.status >= 200 && outcome.status < 300) return { action: 'done' };
    if (!isRetryableStatus(outcome.status)) return { action: 'final' };
  }
  if (input.attempt >= policy.maxAttempts) return { action: 'give-up', reason: 'attempts' };

  let delayMs = backoffDelayMs(input.attempt, input.random, policy);
  if (outcome.kind === 'response' && outcome.status === 429) {
    const retryAfter = parseRetryAfter(outcome.retryAfter, input.nowMs);
    if (retryAfter !== undefined) {
      if (retryAfter > policy.maxRetryAfterMs) return { action: 'give-up', reason: 'time' };
      delayMs = retryAfter;
    }
  }
  if (delayMs + input.attemptBudgetMs > input.remainingMs) return { action: 'give-up', reason: 'time' };
  return { action: 'retry', delayMs };
}
