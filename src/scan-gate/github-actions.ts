import { severityTableText } from '../notifications/index.ts';
import { fixText, type GateReport, shortImageName } from './domain/gate-report.ts';

/**
 * What `scan-gate` tells GitHub Actions (when GITHUB_ACTIONS=true): `::error` workflow commands, which GitHub
 * shows as annotations on the run and the pull request, and a Markdown step summary.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 */

/**
 * GitHub keeps at most 10 error annotations of a step (and 50 of a job), dropping the rest without a word: the
 * verdict's own, up to 8 blocking CVEs and, when there are more, one that says how many more and which.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#setting-an-error-message
 */
export const MAX_ERROR_ANNOTATIONS = 10;

/**
 * A workflow command's message: `%`, CR and LF escaped as `%25`, `%0D`, `%0A` (the runner unescapes them), so a
 * message of several lines stays one command. The rules of the Actions toolkit's `toCommandValue` escaping:
 * @see https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
 */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: as {@link escapeData}, and `:` and `,`, which delimit properties. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error title=…::message`. */
export function errorCommand(title: string, message: string): string {
  return `::error title=${escapeProperty(title)}::${escapeData(message)}`;
}

/**
 * The `::error` commands for a gate that did not pass: one for the outcome, one per blocking CVE (worst first,
 * capped at {@link MAX_ERROR_ANNOTATIONS} in all). None for PASS. Pure.
 */
export function gateAnnotations(report: GateReport): string[] {
  if (report.outcome === 'PASS') return [];
  const image = shortImageName(report);
  const why = report.verdict?.reason ?? report.message ?? report.outcome;
  const lines = [errorCommand(`scan-gate ${report.outcome}: ${image}`, why)];
  const verdict = report.verdict;
  if (!verdict) return lines;
  const ids = verdict.blocking.ids;
  const room = MAX_ERROR_ANNOTATIONS - 1;
  const shown = ids.length > room ? ids.slice(0, room - 1) : ids;
  for (const id of shown) {
    const detail = verdict.blocking.details.find((d) => d.id === id);
    const title = detail ? `${id} (${detail.severity})` : id;
    const what = detail
      ? `${[detail.package, detail.installedVersion].filter(Boolean).join(' ') || 'a package'} ${fixText(detail)} in ${image}`
      : `blocks ${image}`;
    lines.push(errorCommand(title, `${what}${detail?.link ? ` ${detail.link}` : ''}`));
  }
  if (shown.length < ids.length) {
    const rest = ids.slice(shown.length);
    lines.push(errorCommand(`${rest.length} more blocking CVEs`, rest.join(', ')));
  }
  return lines;
}

/** Text in a Markdown table cell: no line breaks, `|` escaped. */
function cell(value: string): string {
  return value.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/**
 * The Markdown appended to GITHUB_STEP_SUMMARY: verdict, severity table, blocking CVEs with their fix versions,
 * exceptions applied and expired. Pure.
 * @see https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary
 */
export function stepSummary(report: GateReport): string {
  const image = `${report.repositoryName}${report.imageDigest ? `@${report.imageDigest}` : ''}`;
  const lines = [`### scan-gate: ${report.outcome}`, '', `Image \`${image}\``];
  if (report.source) lines.push(`(${report.source} verdict)`);
  lines.push('');
  if (report.message) lines.push(cell(report.message), '');
  const verdict = report.verdict;
  if (!verdict) return `${lines.join('\n')}\n`;
  lines.push(cell(verdict.reason), '');
  // The same table the terminal, the email and Slack show, as preformatted text.
  lines.push('```', ...severityTableText(verdict), '```', '');
  if (verdict.blocking.ids.length > 0) {
    lines.push(
      `#### Blocking CVEs (${verdict.blocking.ids.length})`,
      '',
      '| CVE | severity | package | installed | fixed in |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const f of verdict.blocking.details) {
      const id = f.link?.startsWith('https://') ? `[${cell(f.id)}](${f.link})` : cell(f.id);
      const fixed = f.fixedVersion ?? (f.fixAvailable === false ? 'no fix' : 'unknown');
      lines.push(
        `| ${id} | ${cell(f.severity)} | ${cell(f.package ?? '')} | ${cell(f.installedVersion ?? '')} | ${cell(fixed)} |`,
      );
    }
    const more = verdict.blocking.ids.slice(verdict.blocking.details.length);
    if (more.length > 0) lines.push('', `… and ${more.length} more: ${more.map(cell).join(', ')}`);
    lines.push('');
  }
  const exceptions = [
    ...verdict.exceptionsApplied.map((e) => ({ ...e, state: 'applied' })),
    ...verdict.exceptionsExpired.map((e) => ({ ...e, state: 'EXPIRED' })),
  ];
  if (exceptions.length > 0) {
    lines.push(
      '#### Exceptions',
      '',
      '| CVE | state | owner | expires | ticket |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const e of exceptions) {
      lines.push(
        `| ${cell(e.cve)} | ${e.state} | ${cell(e.owner)} | ${cell(e.expires)} | ${cell(e.ticket ?? '')} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
