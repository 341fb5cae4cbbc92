import type { GateOutcome } from './ci-gate.ts';
import type { Finding } from './findings.ts';
import type { Verdict } from './verdict.ts';

/** What the CI gate answered, as its reports (text, JSON, SARIF, GitHub annotations and summary) read it. */
export interface GateReport {
  outcome: GateOutcome;
  repositoryName: string;
  imageDigest?: string | undefined;
  source?: 'stored' | 'evaluated' | undefined;
  verdict?: Verdict | undefined;
  message?: string | undefined;
}

/** How a finding stands in the gate's verdict. */
export type FindingStanding = 'blocking' | 'excepted' | 'allowed' | 'unjudged';

/**
 * Whether a finding blocks the image, is covered by an applied exception, or is allowed (within its limit,
 * unlimited, or left out by `fixableOnly`). Without a verdict nothing was judged.
 */
export function findingStanding(verdict: Verdict | undefined, finding: Pick<Finding, 'id'>): FindingStanding {
  if (!verdict) return 'unjudged';
  if (verdict.blocking.ids.includes(finding.id)) return 'blocking';
  if (verdict.exceptionsApplied.some((e) => e.cve === finding.id)) return 'excepted';
  return 'allowed';
}

/**
 * Every finding a report lists: the scan's findings when they were read, plus the verdict's blocking ones they
 * lack (a stored verdict judged a scan that may have changed since, or whose findings could not be read), so a
 * blocking CVE is never left out. A blocking id beyond the verdict's kept details gets a finding of its id only.
 */
export function reportFindings(verdict: Verdict | undefined, findings: readonly Finding[]): Finding[] {
  const all = [...findings];
  const seen = new Set(all.map((f) => f.id));
  for (const detail of verdict?.blocking.details ?? []) {
    if (!seen.has(detail.id)) {
      all.push(detail);
      seen.add(detail.id);
    }
  }
  for (const id of verdict?.blocking.ids ?? []) {
    if (!seen.has(id)) {
      all.push({ id, severity: 'UNDEFINED' });
      seen.add(id);
    }
  }
  return all;
}

/** `repository@sha256:0123456789ab…` (or the repository alone): how one line names the image. */
export function shortImageName(report: Pick<GateReport, 'repositoryName' | 'imageDigest'>): string {
  return `${report.repositoryName}${report.imageDigest ? `@${report.imageDigest.slice(0, 19)}…` : ''}`;
}

/** How a finding's fix reads: `→ 3.0.2`, `(no fix)` or `(fix unknown)`. */
export function fixText(finding: Pick<Finding, 'fixedVersion' | 'fixAvailable'>): string {
  if (finding.fixedVersion) return `→ ${finding.fixedVersion}`;
  return finding.fixAvailable === false ? '(no fix)' : '(fix unknown)';
}
