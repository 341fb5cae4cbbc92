/**
 * EventBridge schedule expressions: `rate(N minute|minutes|hour|hours|day|days)` and
 * `cron(minutes hours day-of-month month day-of-week year)` (UTC; `*`, `?`, lists, ranges, steps, names; `L`, `W`
 * and `#` are rejected). `next()` answers the first firing strictly after an instant.
 */
import { ServerlessConfigError } from './template.ts';

export type Schedule =
  | { kind: 'rate'; periodMs: number }
  | {
      kind: 'cron';
      minutes: Set<number>;
      hours: Set<number>;
      days: Set<number> | null;
      months: Set<number>;
      weekdays: Set<number> | null;
      years: Set<number> | null;
    };

const UNITS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function field(
  text: string,
  min: number,
  max: number,
  names: string[],
  offset: number,
  at: string,
): Set<number> | null {
  if (text === '?') return null;
  if (/[LW#]/.test(text.replace(/[A-Z]{3}/g, (name) => (names.includes(name) ? '' : name)))) {
    throw new ServerlessConfigError(
      `${at}: cron field "${text}" uses L, W or # which the local runtime does not support`,
    );
  }
  const values = new Set<number>();
  const value = (token: string): number => {
    const index = names.indexOf(token.toUpperCase());
    const number = index >= 0 ? index + offset : Number(token);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new ServerlessConfigError(`${at}: cron value "${token}" is out of range ${min}-${max}`);
    }
    return number;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new ServerlessConfigError(`${at}: bad cron step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/** Parse a schedule expression; errors name `at`. */
export function parseSchedule(expression: string, at: string): Schedule {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/i.exec(text);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = UNITS[(rate[2] as string).toLowerCase()];
    if (!unit || amount < 1)
      throw new ServerlessConfigError(`${at}: invalid rate expression "${expression}"`);
    return { kind: 'rate', periodMs: amount * unit };
  }
  const cron = /^cron\((.*)\)$/i.exec(text);
  if (cron) {
    const parts = (cron[1] as string).trim().split(/\s+/);
    if (parts.length !== 6) {
      throw new ServerlessConfigError(
        `${at}: cron expressions have 6 fields (minutes hours day month weekday year)`,
      );
    }
    const [mi, h, d, mo, w, y] = parts as [string, string, string, string, string, string];
    return {
      kind: 'cron',
      minutes: field(mi, 0, 59, [], 0, at) ?? new Set(Array.from({ length: 60 }, (_, i) => i)),
      hours: field(h, 0, 23, [], 0, at) ?? new Set(Array.from({ length: 24 }, (_, i) => i)),
      days: d === '*' ? null : field(d, 1, 31, [], 0, at),
      months: field(mo, 1, 12, MONTHS, 1, at) ?? new Set(Array.from({ length: 12 }, (_, i) => i + 1)),
      weekdays: w === '*' ? null : field(w, 1, 7, WEEKDAYS, 1, at),
      years: y === '*' ? null : field(y, 1970, 2199, [], 0, at),
    };
  }
  throw new ServerlessConfigError(`${at}: "${expression}" is not a rate(...) or cron(...) expression`);
}

/** The first firing strictly after `after` (rate: one period later). */
export function nextFiring(schedule: Schedule, after: Date): Date | undefined {
  if (schedule.kind === 'rate') return new Date(after.getTime() + schedule.periodMs);
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    const dayMatches =
      schedule.months.has(t.getUTCMonth() + 1) &&
      (schedule.years === null || schedule.years.has(t.getUTCFullYear())) &&
      (schedule.days === null || schedule.days.has(t.getUTCDate())) &&
      (schedule.weekdays === null || schedule.weekdays.has(t.getUTCDay() + 1));
    if (!dayMatches) {
      t.setUTCHours(0, 0, 0, 0);
      t.setUTCDate(t.getUTCDate() + 1);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCMinutes(0);
      t.setUTCHours(t.getUTCHours() + 1);
      continue;
    }
    if (schedule.minutes.has(t.getUTCMinutes())) return t;
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  return undefined;
}
