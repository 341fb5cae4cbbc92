import {
  type AlertDocument,
  type AlertExceptionNote,
  type AlertFinding,
  type AlertLimits,
  FULL_LIMITS,
} from './alert-document.ts';
import { alertLabel } from './alert-subject.ts';
import { fittedConsoleUrl, LINK_MAX } from './links.ts';
import { severityTableText } from './severity-table.ts';
import { oneLine, truncateEnd } from './text.ts';

/** The plain-text email body of an alert (SNS sends it to email subscribers and as the default message). */

function fixText(finding: AlertFinding): string {
  if (finding.fixedVersion) return finding.fixedVersion;
  if (finding.fixAvailable === false) return 'no fix yet';
  return 'fix unknown';
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
  const lines = [
    `${alertLabel(alert)}: ${cut(alert.repositoryName, 256)}@${digest}`,
    '',
    `Verdict:     ${alert.status} — ${cut(alert.reason, 500)}`,
    `Alert:       ${alert.kind}`,
    `Repository:  ${cut(alert.repositoryName, 256)}`,
    `Digest:      ${digest}`,
    `Tags:        ${tags.length > 0 ? tags.join(', ') : '(untagged)'}${moreTags > 0 ? ` and ${moreTags} more` : ''}`,
    `Scan status: ${cut(alert.scanStatus)}`,
    `Evaluated:   ${alert.evaluatedAt}`,
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
      const pkg = f.package
        ? `${cut(f.package, 120)} ${cut(f.installedVersion ?? '?', 80)} → ${cut(fixText(f), 80)}`
        : '';
      lines.push(`  ${f.severity.padEnd(8)} ${cut(f.id, 100)}${pkg ? `  ${pkg}` : ''}`);
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
