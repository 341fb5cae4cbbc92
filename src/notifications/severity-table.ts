import { compareSeverity } from '../shared/severity.ts';
import type { AlertDocument } from './alert-document.ts';
import { truncateEnd } from './text.ts';

/**
 * The severity table of an alert — found, counted and allowed per severity — in one place for the email, Slack
 * and the CLI's scan-gate output (a verdict has the same three maps).
 */

export type SeverityCountsSource = Pick<AlertDocument, 'countsBefore' | 'countsAfter' | 'thresholds'>;

export interface SeverityRow {
  severity: string;
  /** All findings of this severity. */
  found: number;
  /** After exceptions and `fixableOnly`. */
  counted: number;
  /** Undefined when the severity is unlimited. */
  max: number | undefined;
  over: boolean;
}

/** One row per severity that has findings or a limit, worst first. */
export function severityRows(counts: SeverityCountsSource): SeverityRow[] {
  const { countsBefore, countsAfter, thresholds } = counts;
  const severities = [
    ...new Set([
      ...Object.keys(countsBefore).filter((s) => (countsBefore[s] ?? 0) > 0),
      ...Object.keys(countsAfter).filter((s) => (countsAfter[s] ?? 0) > 0),
      ...Object.keys(thresholds),
    ]),
  ].sort(compareSeverity);
  return severities.map((severity) => {
    const max = thresholds[severity];
    const counted = countsAfter[severity] ?? 0;
    return {
      severity,
      found: countsBefore[severity] ?? 0,
      counted,
      max,
      over: max !== undefined && counted > max,
    };
  });
}

/** The table as plain-text lines, indented two spaces (email body, terminal). */
export function severityTableText(counts: SeverityCountsSource): string[] {
  const rows = severityRows(counts);
  if (rows.length === 0) return ['  (no findings)'];
  const width = Math.max(8, ...rows.map((r) => r.severity.length));
  return [
    `  ${'severity'.padEnd(width)}  found  counted  max`,
    ...rows.map(
      (r) =>
        `  ${truncateEnd(r.severity, 40).padEnd(width)}  ${String(r.found).padStart(5)}  ` +
        `${String(r.counted).padStart(7)}  ${r.max === undefined ? '-' : String(r.max)}` +
        `${r.over ? '  <- over the limit' : ''}`,
    ),
  ];
}
