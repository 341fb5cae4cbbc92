/** How `ecr-sentinel scan-gate` prints for people: the result on stdout, its waiting on stderr. */
import { severityTableText } from '../notifications/index.ts';
import { fixText, type GateReport } from './domain/gate-report.ts';
import { SCAN_NOT_FOUND } from './domain/scan-status.ts';
import type { Verdict } from './domain/verdict.ts';
import type { GateProgress } from './gate-image.ts';

/** The result as text: outcome line, why, severity table, blocking CVEs, exceptions. */
export function formatResult(result: GateReport, imageTag: string | undefined): string {
  const image = `${result.repositoryName}${imageTag ? `:${imageTag}` : ''}${
    result.imageDigest ? `@${result.imageDigest.slice(0, 19)}…` : ''
  }`;
  const lines = [
    `scan-gate ${image}: ${result.outcome}${result.source ? ` (${result.source} verdict)` : ''}`,
  ];
  if (result.message) lines.push(`  ${result.message}`);
  if (result.verdict) lines.push(...verdictLines(result.verdict));
  return `${lines.join('\n')}\n`;
}

function verdictLines(verdict: Verdict): string[] {
  const lines = [`  ${verdict.reason}`, '', ...severityTableText(verdict)];
  if (verdict.blocking.ids.length > 0) {
    lines.push('', `  blocking (${verdict.blocking.ids.length}):`);
    for (const f of verdict.blocking.details) {
      lines.push(
        `    ${f.severity.padEnd(9)} ${f.id}  ${f.package ?? ''} ${f.installedVersion ?? ''} ${fixText(f)}  ${f.link ?? ''}`,
      );
    }
    const more = verdict.blocking.ids.length - verdict.blocking.details.length;
    if (more > 0)
      lines.push(
        `    … and ${more} more: ${verdict.blocking.ids.slice(verdict.blocking.details.length).join(', ')}`,
      );
  }
  for (const e of verdict.exceptionsApplied)
    lines.push(`  exception applied: ${e.cve} (owner ${e.owner}, until ${e.expires})`);
  for (const e of verdict.exceptionsExpired)
    lines.push(`  exception EXPIRED: ${e.cve} (owner ${e.owner}, expired ${e.expires})`);
  return lines;
}

/** One stderr line for a change the gate saw while waiting: `scan-gate: scan IN_PROGRESS, 12 s`. */
export function progressLine(progress: GateProgress): string {
  const state =
    progress.scanStatus === SCAN_NOT_FOUND
      ? `no scan yet${progress.expected ? ` (${progress.expected})` : ''}`
      : `scan ${progress.scanStatus}`;
  return `scan-gate: ${state}, ${progress.elapsedSeconds} s\n`;
}
