/**
 * Severities of image scan findings, as ECR basic scanning (`FindingSeverity`) and Amazon Inspector
 * (enhanced scanning) report them. Unknown severities are kept, never dropped: a severity we do not know is
 * still a finding someone has to look at. `TOTAL` (Inspector's event counts) is a sum, not a severity.
 */

/** Known severities, worst first. Inspector adds `UNTRIAGED`; ECR basic scanning has `UNDEFINED`. */
export const SEVERITY_ORDER = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'INFORMATIONAL',
  'UNTRIAGED',
  'UNDEFINED',
] as const;

export type KnownSeverity = (typeof SEVERITY_ORDER)[number];

/** A severity name: one of {@link SEVERITY_ORDER} or anything else a scanner reports, upper case. */
export type Severity = string;

/** Count of findings per severity. */
export type SeverityCounts = Readonly<Record<Severity, number>>;

/** Keys of severity-count maps that are not severities. */
const NOT_SEVERITIES = new Set(['TOTAL']);

/** Upper-case, trimmed severity; a missing or blank one is `UNDEFINED`. */
export function normaliseSeverity(value: string | undefined | null): Severity {
  const trimmed = (value ?? '').trim().toUpperCase();
  return trimmed === '' ? 'UNDEFINED' : trimmed;
}

/** Position in {@link SEVERITY_ORDER}; unknown severities rank after every known one. */
export function severityRank(severity: Severity): number {
  const index = (SEVERITY_ORDER as readonly string[]).indexOf(severity);
  return index === -1 ? SEVERITY_ORDER.length : index;
}

/** Worst first; unknown severities after the known ones, alphabetically among themselves. */
export function compareSeverity(a: Severity, b: Severity): number {
  return severityRank(a) - severityRank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Counts with every known severity present (a missing severity means 0), unknown severities kept, `TOTAL`
 * dropped, and keys in severity order (worst first) so the object prints and serialises stably.
 */
export function completeCounts(raw: Readonly<Record<string, number | undefined>> = {}): SeverityCounts {
  const merged = new Map<Severity, number>(SEVERITY_ORDER.map((s) => [s, 0]));
  for (const [key, value] of Object.entries(raw)) {
    const severity = normaliseSeverity(key);
    if (NOT_SEVERITIES.has(severity) || value === undefined || !Number.isFinite(value)) continue;
    merged.set(severity, (merged.get(severity) ?? 0) + Math.max(0, Math.trunc(value)));
  }
  return Object.fromEntries([...merged.entries()].sort(([a], [b]) => compareSeverity(a, b)));
}

/** Count items per severity, with every known severity present. */
export function countBySeverity(items: Iterable<{ severity: Severity }>): SeverityCounts {
  const raw: Record<string, number> = {};
  for (const item of items) raw[item.severity] = (raw[item.severity] ?? 0) + 1;
  return completeCounts(raw);
}

/** The worst severity with a non-zero count, or undefined when there is none. */
export function worstSeverity(counts: SeverityCounts): Severity | undefined {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s]) => s)
    .sort(compareSeverity)[0];
}
