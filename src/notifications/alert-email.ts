import {
  type AlertDocument,
  type AlertExceptionNote,
  type AlertFinding,
  type AlertLimits,
  FULL_LIMITS,
} from './alert-document.ts';
import { alertLabel, enforcementSummary } from './alert-subject.ts';
import { fittedConsoleUrl, LINK_MAX } from './links.ts';
import { severityTableText } from './severity-table.ts';
import { oneLine, readableTime, truncateEnd } from './text.ts';
import { whereEmailLine } from './where.ts';

/**
 * The plain-text email body of a scan alert (SNS sends it to email subscribers and as the default message),
 * and the phrases the Slack message shares with it (what enforcement did, a finding's package and fix).
 */

type Cut = (text: string, max: number) => string;

function fixText(finding: AlertFinding): string {
  if (finding.fixedVersion) return finding.fixedVersion;
  if (finding.fixAvailable === false) return 'no fix yet';
  return 'fix unknown';
}

/** `openssl 3.0.1 → 3.0.2` (or `→ no fix yet`, `→ fix unknown`); undefined when the finding names no package. */
export function packageFixText(finding: AlertFinding, cut: Cut): string | undefined {
  if (!finding.package) return undefined;
  return `${cut(finding.package, 120)} ${cut(finding.installedVersion ?? '?', 80)} → ${cut(fixText(finding), 80)}`;
}

/**
 * What enforcement did, a line each: `removed tag latest` (or the failure, or `no tag removed`), then each
 * skipped tag with why. None without enforcement.
 */
export function enforcementLines(enforcement: AlertDocument['enforcement'], cut: Cut): string[] {
  const summary = enforcementSummary(enforcement);
  if (enforcement === undefined || summary === undefined) return [];
  return [
    cut(enforcement.error ?? summary, 500),
    ...enforcement.skipped.map((k) => `skipped ${cut(k.tag, 100)}: ${cut(k.reason, 200)}`),
  ];
}

function appendExceptions(
  lines: string[],
  title: string,
  notes: readonly AlertExceptionNote[],
  verb: string,
  limits: AlertLimits,
): void {
  if (notes.length === 0) return;
  const cut = (s: string) => truncateEnd(oneLine(s), limits.field);
  lines.push(
    '',
    title,
    ...notes
      .slice(0, limits.exceptions)
      .map(
        (n) =>
          `  ${cut(n.cve)}: owner ${cut(n.owner)}, ${verb} ${n.expires}${n.ticket ? `, ticket ${cut(n.ticket)}` : ''}`,
      ),
  );
  if (notes.length > limits.exceptions) lines.push(`  and ${notes.length - limits.exceptions} more`);
}

/**
 * A readable plain-text email body, cut with `limits` like the document it travels with. Given the complete
 * document (before `limitAlertDocument`) it can say how many tags, ids and exceptions it left out.
 */
export function alertEmailText(alert: AlertDocument, limits: AlertLimits = FULL_LIMITS): string {
  const cut = (s: string, max = limits.field) => truncateEnd(oneLine(s), max);
  const tags = alert.imageTags.slice(0, limits.tags).map((t) => cut(t));
  const moreTags = alert.imageTags.length - tags.length;
  const digest = cut(alert.imageDigest, 100);
  const placed = [
    ...(alert.environment ? [`environment ${cut(alert.environment, 100)}`] : []),
    ...(alert.group ? [`group ${cut(alert.group, 100)}`] : []),
  ];
  const lines = [
    `${alertLabel(alert)}: ${cut(alert.repositoryName, 256)}@${digest}`,
    '',
    `Verdict:     ${alert.status} — ${cut(alert.reason, 500)}`,
    ...enforcementLines(alert.enforcement, cut).map(
      (line, i) => `${i === 0 ? 'Enforcement: ' : '             '}${line}`,
    ),
    `Alert:       ${alert.kind}`,
    whereEmailLine(alert, 13),
    `Repository:  ${cut(alert.repositoryName, 256)}${placed.length > 0 ? ` (${placed.join(', ')})` : ''}`,
    `Digest:      ${digest}`,
    `Tags:        ${tags.length > 0 ? tags.join(', ') : '(untagged)'}${moreTags > 0 ? ` and ${moreTags} more` : ''}`,
    `Scan status: ${cut(alert.scanStatus)}`,
    `Evaluated:   ${readableTime(alert.evaluatedAt)}`,
    `Policy:      ${
      Object.entries(alert.thresholds)
        .map(([s, n]) => `${s} ≤ ${n}`)
        .join(', ') || 'no limits'
    }${alert.fixableOnly ? ' (fixable findings only)' : ''}; hash ${alert.policyHash.slice(0, 12)}`,
    '',
    'Findings by severity (found = all; counted = after exceptions and fixable-only):',
    ...severityTableText(alert),
  ];

  const { blocking } = alert;
  if (blocking.count > 0) {
    lines.push('', `Blocking vulnerabilities (${blocking.count}):`);
    const shown = blocking.details.slice(0, limits.details);
    for (const f of shown) {
      const pkg = packageFixText(f, cut);
      lines.push(`  ${cut(f.severity, 40).padEnd(8)} ${cut(f.id, 100)}${pkg ? `  ${pkg}` : ''}`);
      if (f.title) lines.push(`           ${cut(f.title)}`);
      if (f.link) lines.push(`           ${cut(f.link, 500)}`);
    }
    const shownIds = new Set(shown.map((f) => f.id));
    const rest = blocking.ids.filter((id) => !shownIds.has(id));
    // A document already cut to size lists fewer ids than it counts: those are counted, not named.
    const unnamed = Math.max(0, blocking.count - blocking.ids.length);
    if (rest.length > 0) {
      const listed = rest.slice(0, limits.ids).map((id) => cut(id, 100));
      const more = rest.length - listed.length + unnamed;
      lines.push(`  Also blocking: ${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
    }
  }
  const { fixed } = alert;
  if (fixed !== undefined && fixed.count > 0) {
    lines.push('', `Fixed — no longer blocking (${fixed.count}):`);
    const shown = fixed.details.slice(0, limits.details);
    for (const f of shown) {
      const pkg = packageFixText(f, cut);
      lines.push(`  ${cut(f.severity, 40).padEnd(8)} ${cut(f.id, 100)}${pkg ? `  ${pkg}` : ''}`);
    }
    const shownIds = new Set(shown.map((f) => f.id));
    const rest = fixed.ids.filter((id) => !shownIds.has(id)).slice(0, limits.ids);
    const more = fixed.count - shown.length - rest.length;
    if (rest.length > 0 || more > 0) {
      lines.push(
        `  ${rest.map((id) => cut(id, 100)).join(', ')}${more > 0 ? `${rest.length > 0 ? ' and ' : ''}${more} more` : ''}`,
      );
    }
  }
  appendExceptions(lines, 'Exceptions applied:', alert.exceptionsApplied, 'expires', limits);
  appendExceptions(
    lines,
    'Exceptions expired (no longer applied):',
    alert.exceptionsExpired,
    'expired after',
    limits,
  );
  lines.push('', `Console: ${fittedConsoleUrl(alert.consoleUrl, LINK_MAX)}`);
  return `${lines.join('\n')}\n`;
}
