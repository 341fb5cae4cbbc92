import { compareSeverity, type Severity } from '../../shared/severity.ts';

/**
 * One vulnerability finding of an image, the same shape for ECR basic scanning and Amazon Inspector
 * (enhanced scanning). Built by `src/scan-gate/adapters/ecr-findings-mapping.ts` from DescribeImageScanFindings.
 */
export interface Finding {
  /** Vulnerability id, usually a CVE (`CVE-2024-1234`); other ids (GHSA-…, ALAS-…) are kept as they are. */
  id: string;
  /** Upper case; unknown severities (`UNDEFINED`, `UNTRIAGED`, …) are kept. */
  severity: Severity;
  package?: string | undefined;
  installedVersion?: string | undefined;
  fixedVersion?: string | undefined;
  /** true/false when the scanner says; undefined when it does not know (basic scanning never says). */
  fixAvailable?: boolean | undefined;
  title?: string | undefined;
  /** Advisory URL. */
  link?: string | undefined;
}

/** Worst severity first, then id, then package: the order findings are listed in verdicts and alerts. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareSeverity(a.severity, b.severity) ||
    compareText(a.id, b.id) ||
    compareText(a.package ?? '', b.package ?? '') ||
    compareText(a.installedVersion ?? '', b.installedVersion ?? '')
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
