import type { VerdictStatus } from './verdict.ts';

/**
 * Whether a verdict is worth an alert, given the previous verdict for the same image digest.
 *
 * | previous        | current                               | kind        | `change` | `always` |
 * |-----------------|---------------------------------------|-------------|----------|----------|
 * | none            | PASS                                  | `new`       | no       | yes      |
 * | none            | FAIL / ERROR                          | `new`       | yes      | yes      |
 * | FAIL / ERROR    | PASS                                  | `resolved`  | yes      | yes      |
 * | any             | same status, same blocking ids        | `unchanged` / `repeat` | no | yes (`repeat`) |
 * | any             | other status or other blocking ids    | `changed`   | yes      | yes      |
 *
 * A first PASS sends nothing with `change`: a clean new image is not news, and the scan of every push would
 * otherwise page people. Blocking ids are compared as sets (order and duplicates do not matter).
 */

export const ALERT_KINDS = ['new', 'changed', 'resolved', 'repeat', 'unchanged'] as const;

export type AlertKind = (typeof ALERT_KINDS)[number];

/** True for a verdict alert's kind (e.g. as stored with an alert claim). */
export function isAlertKind(kind: string): kind is AlertKind {
  return (ALERT_KINDS as readonly string[]).includes(kind);
}

export interface AlertDecision {
  send: boolean;
  kind: AlertKind;
}

/** The part of a verdict the decision looks at (a stored previous verdict needs only this). */
export interface VerdictSummary {
  status: VerdictStatus;
  blocking: { ids: readonly string[] };
}

export function alertDecision(
  previous: VerdictSummary | undefined,
  current: VerdictSummary,
  alertOn: 'change' | 'always',
): AlertDecision {
  const always = alertOn === 'always';
  if (previous === undefined) return { send: current.status !== 'PASS' || always, kind: 'new' };
  if (previous.status !== 'PASS' && current.status === 'PASS') return { send: true, kind: 'resolved' };
  if (previous.status === current.status && sameSet(previous.blocking.ids, current.blocking.ids)) {
    return always ? { send: true, kind: 'repeat' } : { send: false, kind: 'unchanged' };
  }
  return { send: true, kind: 'changed' };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((id) => right.has(id));
}
