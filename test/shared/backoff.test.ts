import { describe, expect, it } from 'vitest';
import {
  type AttemptOutcome,
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDecision,
} from '../../src/shared/backoff.ts';

const roomy = { remainingMs: 25_000, attemptBudgetMs: 10_000, random: 0.5 };
const status = (code: number, retryAfter?: string): AttemptOutcome => ({
  kind: 'response',
  status: code,
  retryAfter,
});

describe('webhook retry policy', () => {
  it.each([
    [200, 'done'],
    [204, 'done'],
    [400, 'final'],
    [403, 'final'],
    [404, 'final'],
    [410, 'final'],
    [413, 'final'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
  ])('answers HTTP %i with %s', (code, action) => {
    expect(retryDecision({ outcome: status(code), attempt: 1, ...roomy }).action).toBe(action);
  });

  it('retries network errors', () => {
    const decision = retryDecision({
      outcome: { kind: 'network', code: 'ECONNRESET' },
      attempt: 1,
      ...roomy,
    });
    expect(decision.action).toBe('retry');
  });

  it('honours Retry-After on a 429 instead of the backoff', () => {
    expect(retryDecision({ outcome: status(429, '3'), attempt: 1, ...roomy })).toEqual({
      action: 'retry',
      delayMs: 3000,
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 01 Jun 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('gives up when Retry-After is longer than it waits', () => {
    expect(retryDecision({ outcome: status(429, '60'), attempt: 1, ...roomy })).toEqual({
      action: 'give-up',
      reason: 'time',
    });
  });

  it('gives up when the wait and one more attempt would not fit in the time left', () => {
    const decision = retryDecision({
      outcome: status(503),
      attempt: 1,
      remainingMs: 5_000,
      attemptBudgetMs: 10_000,
      random: 0,
    });
    expect(decision).toEqual({ action: 'give-up', reason: 'time' });
  });

  it('gives up after the last attempt', () => {
    const decision = retryDecision({
      outcome: status(500),
      attempt: DEFAULT_RETRY_POLICY.maxAttempts,
      ...roomy,
    });
    expect(decision).toEqual({ action: 'give-up', reason: 'attempts' });
  });

  it.each([
    [1, 0, 250],
    [1, 0.999, 500],
    [2, 0, 500],
    [2, 0.5, 750],
    [3, 1, 2000],
    [10, 0, 4000],
    [10, 1, 8000],
  ])(
    'backs off exponentially with equal jitter (attempt %i, random %f → %i ms)',
    (attempt, random, expected) => {
      expect(backoffDelayMs(attempt, random)).toBe(expected);
    },
  );

  it('keeps every backoff between half and all of its capped ceiling', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(8000, 500 * 2 ** (attempt - 1));
      for (const random of [0, 0.1, 0.5, 0.9, 0.9999]) {
        const delay = backoffDelayMs(attempt, random);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});
