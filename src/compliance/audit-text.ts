import { textTable } from '../shared/cli.ts';
import type { AuditReport } from './domain/audit.ts';
import { CONTROL_IDS, type Finding, type FindingStatus } from './domain/control.ts';

/** How a status reads in the table: drift stands out, the rest stays quiet. */
const CELL: Record<FindingStatus, string> = {
  pass: 'pass',
  drift: 'DRIFT',
  unknown: 'unknown',
  fixed: 'fixed',
};

function subjectName(finding: Finding): string {
  return finding.subject.kind === 'repository' ? finding.subject.repositoryName : finding.subject.item;
}

/** What a finding's block shows, whatever was audited (repositories, the registry, ecr-sentinel's own stack). */
interface Judged {
  readonly status: string;
  readonly expected: string;
  readonly actual: string;
  readonly fix?: string | undefined;
  readonly error?: string | undefined;
  readonly details?: readonly string[] | undefined;
}

function block(head: string, finding: Judged, lines: readonly [string, string | undefined][]): string {
  const body = lines
    .filter((line): line is [string, string] => line[1] !== undefined)
    .map(([label, text]) => `    ${`${label}:`.padEnd(10)}${text}\n`)
    .join('');
  // A check may list as details exactly what `actual` already says.
  const details = (finding.details ?? [])
    .filter((d) => d !== finding.actual)
    .map((d) => `      - ${d}\n`)
    .join('');
  return `  ${head}\n${body}${details}`;
}

/**
 * Every drift (expected, actual, the fix) and then every unknown (expected, the read that failed) of `findings`,
 * each under `headOf(finding)`: the part of an audit's text after its tables.
 */
export function findingSections<F extends Judged>(
  findings: readonly F[],
  headOf: (finding: F) => string,
): string {
  let out = '';
  const drifted = findings.filter((f) => f.status === 'drift');
  if (drifted.length > 0) {
    out += `\ndrift (${drifted.length}):\n`;
    out += drifted
      .map((f) =>
        block(headOf(f), f, [
          ['expected', f.expected],
          ['actual', f.actual],
          ['fix', f.fix],
        ]),
      )
      .join('');
  }
  const unknown = findings.filter((f) => f.status === 'unknown');
  if (unknown.length > 0) {
    out += `\nunknown (${unknown.length}): not judged, what the check needs could not be read\n`;
    out += unknown
      .map((f) =>
        block(headOf(f), f, [
          ['expected', f.expected],
          ['error', f.error],
        ]),
      )
      .join('');
  }
  return out;
}

/**
 * The audit as a person reads it: a summary line, repositories × checks (only the checks that apply to some
 * repository, `-` where one is off), the registry's items, then every drift with the expected and actual state
 * and the fix, and every unknown with the read that failed.
 */
export function auditText(report: AuditReport): string {
  const s = report.summary;
  let out =
    `registry ${report.registryId}: ${s.repositories} repositor${s.repositories === 1 ? 'y' : 'ies'}, ` +
    `${s.checks} checks: ${s.pass} pass, ${s.fixed > 0 ? `${s.fixed} fixed, ` : ''}${s.drift} drift, ` +
    `${s.unknown} unknown\n`;
  const columns = CONTROL_IDS.filter((id) =>
    report.repositories.some((r) => r.findings.some((f) => f.controlId === id)),
  );
  if (report.repositories.length > 0) {
    const rows = report.repositories.map((r) => [
      r.repositoryName,
      r.group ?? '-',
      ...columns.map((id) => {
        const finding = r.findings.find((f) => f.controlId === id);
        return finding ? CELL[finding.status] : '-';
      }),
    ]);
    out += `\n${textTable(['repository', 'group', ...columns], rows)}`;
  } else {
    out += '\nno repositories\n';
  }
  if (report.registry.length > 0) {
    const rows = report.registry.map((f) => [subjectName(f), f.controlId, CELL[f.status]]);
    out += `\n${textTable(['registry item', 'check', 'status'], rows)}`;
  }
  const all = [...report.repositories.flatMap((r) => r.findings), ...report.registry];
  out += findingSections(all, (f) => `${subjectName(f)}  ${f.controlId}`);
  return out;
}
