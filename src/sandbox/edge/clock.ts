import type { Clock } from '../../shared/clock.ts';
import { AdminInputError } from './admin-input.ts';

/**
 * The sandbox's settable clock: real time plus an offset. Setting it to an instant or advancing it moves the
 * offset, so the clock keeps ticking from the new point; `reset()` returns to real time.
 */
export class SandboxClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Make `now()` return `instant` (and tick on from there). */
  set(instant: Date): void {
    this.offsetMs = instant.getTime() - Date.now();
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  reset(): void {
    this.offsetMs = 0;
  }

  /** True when the clock is not real time. */
  get shifted(): boolean {
    return this.offsetMs !== 0;
  }
}

/** What `POST /_sandbox/clock` asks for. */
export type ClockCommand =
  | { kind: 'set'; now: Date }
  | { kind: 'advance'; seconds: number }
  | { kind: 'reset' };

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Parse the body of `POST /_sandbox/clock`: exactly one of `now`, `advanceSeconds`, `reset: true`. */
export function parseClockCommand(body: unknown): ClockCommand {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminInputError('body must be a JSON object with one of "now", "advanceSeconds" or "reset"');
  }
  const record = body as Record<string, unknown>;
  const given = ['now', 'advanceSeconds', 'reset'].filter((key) => record[key] !== undefined);
  if (given.length !== 1) {
    throw new AdminInputError(
      given.length === 0
        ? 'body must have one of "now", "advanceSeconds" or "reset"'
        : `body must have only one of ${given.map((k) => `"${k}"`).join(', ')}`,
    );
  }
  if (record.now !== undefined) {
    const now = record.now;
    if (typeof now !== 'string' || !ISO_8601.test(now.trim()) || Number.isNaN(Date.parse(now))) {
      throw new AdminInputError(
        `"now" must be an ISO-8601 date-time string such as "2025-01-31T12:00:00Z", got ${JSON.stringify(now)}`,
      );
    }
    return { kind: 'set', now: new Date(now) };
  }
  if (record.advanceSeconds !== undefined) {
    const seconds = record.advanceSeconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
      throw new AdminInputError(`"advanceSeconds" must be a finite number, got ${JSON.stringify(seconds)}`);
    }
    return { kind: 'advance', seconds };
  }
  if (record.reset !== true) {
    throw new AdminInputError(`"reset" must be true, got ${JSON.stringify(record.reset)}`);
  }
  return { kind: 'reset' };
}
