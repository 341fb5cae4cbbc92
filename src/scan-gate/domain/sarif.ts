import { createHash } from 'node:crypto';
import type { Finding } from './findings.ts';
import { findingStanding, type GateReport, reportFindings } from './gate-report.ts';

/**
 * The gate's answer as a SARIF 2.1.0 log (`scan-gate --format sarif`), for GitHub code scanning and any other
 * SARIF reader: one run of the tool `ecr-sentinel`, one rule per vulnerability id, one result per finding
 * located at the image, and the verdict in the run's property bag.
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 * @see https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
 */

/** The schema GitHub's documentation names for SARIF 2.1.0 logs. */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifInput {
  report: GateReport;
  /** Every finding of the image's scan (empty when unknown); the verdict's blocking ones are added if missing. */
  findings: readonly Finding[];
  /** CVSS base score per vulnerability id, where the scanner gave one. */
  cvss: ReadonlyMap<string, number>;
  toolVersion: string;
  /** Where the results are: the image URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@DIGEST`) or `REPO@DIGEST`. */
  artifactUri: string;
}

type SarifLevel = 'error' | 'warning' | 'note';

/** Severities GitHub (and people) treat as worth a warning when they do not block. */
const WARNING_SEVERITIES = new Set(['CRITICAL', 'HIGH']);

/** A URL SARIF's `helpUri` (format uri) accepts and a reader can open: absolute http(s) only. */
function httpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function describe(finding: Finding): string {
  const where = [finding.package, finding.installedVersion].filter(Boolean).join(' ');
  return where ? `${finding.id} in ${where}` : finding.id;
}

/**
 * The SARIF log of one gate run. Levels: `error` for a blocking finding, `warning` for another CRITICAL or HIGH
 * one, `note` for the rest; a finding an applied exception covers carries an accepted external suppression.
 * `security-severity` (what GitHub ranks security alerts by) is the CVSS score, only where the scanner gave one.
 * Pure.
 */
export function sarifLog(input: SarifInput): Record<string, unknown> {
  const { report, cvss } = input;
  const verdict = report.verdict;
  const findings = reportFindings(verdict, input.findings);
  const ruleIndex = new Map<string, number>();
  const rules: Record<string, unknown>[] = [];
  for (const finding of findings) {
    if (ruleIndex.has(finding.id)) continue;
    ruleIndex.set(finding.id, rules.length);
    const score = cvss.get(finding.id);
    const helpUri = httpUrl(finding.link);
    rules.push({
      id: finding.id,
      shortDescription: { text: finding.title ?? describe(finding) },
      ...(finding.title ? { fullDescription: { text: finding.title } } : {}),
      ...(helpUri ? { helpUri } : {}),
      properties: {
        tags: ['security', 'vulnerability', finding.severity],
        ...(score !== undefined ? { 'security-severity': score.toFixed(1) } : {}),
      },
    });
  }
  const location = { physicalLocation: { artifactLocation: { uri: input.artifactUri } } };
  const results = findings.map((finding) => {
    const standing = findingStanding(verdict, finding);
    const level: SarifLevel =
      standing === 'blocking' ? 'error' : WARNING_SEVERITIES.has(finding.severity) ? 'warning' : 'note';
    const exception = verdict?.exceptionsApplied.find((e) => e.cve === finding.id);
    const fix = finding.fixedVersion ? `; fixed in ${finding.fixedVersion}` : '';
    return {
      ruleId: finding.id,
      ruleIndex: ruleIndex.get(finding.id),
      level,
      message: {
        text: `${finding.severity} ${describe(finding)}${fix}${standing === 'blocking' ? ' (blocks the image)' : ''}`,
      },
      locations: [location],
      // No source file to derive GitHub's fingerprint from: the image, the id and the package identify a result.
      partialFingerprints: {
        'ecrSentinelFinding/v1': createHash('sha256')
          .update(`${report.repositoryName}\u0000${finding.id}\u0000${finding.package ?? ''}`)
          .digest('hex'),
      },
      ...(exception
        ? {
            // No review `status`: published copies of the 2.1.0 schema name that property differently (`state` in
            // some, `status` in others) and a log must validate against each; the justification says it all.
            suppressions: [
              {
                kind: 'external',
                justification: `exception owned by ${exception.owner} until ${exception.expires}${
                  exception.ticket ? ` (${exception.ticket})` : ''
                }`,
              },
            ],
          }
        : {}),
      properties: {
        severity: finding.severity,
        standing,
        ...(finding.package ? { package: finding.package } : {}),
        ...(finding.installedVersion ? { installedVersion: finding.installedVersion } : {}),
        ...(finding.fixedVersion ? { fixedVersion: finding.fixedVersion } : {}),
      },
    };
  });
  const judged = report.outcome === 'PASS' || report.outcome === 'FAIL';
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'ecr-sentinel',
            version: input.toolVersion,
            rules,
          },
        },
        artifacts: [{ location: { uri: input.artifactUri }, roles: ['analysisTarget'] }],
        invocations: [
          {
            // The gate ran; whether the image could be judged is what executionSuccessful says.
            executionSuccessful: judged,
            ...(report.message
              ? { toolExecutionNotifications: [{ level: 'error', message: { text: report.message } }] }
              : {}),
          },
        ],
        results,
        properties: {
          verdict: report.outcome,
          repositoryName: report.repositoryName,
          ...(report.imageDigest ? { imageDigest: report.imageDigest } : {}),
          ...(report.source ? { source: report.source } : {}),
          ...(verdict
            ? {
                reason: verdict.reason,
                scanStatus: verdict.scanStatus,
                thresholds: verdict.thresholds,
                countsBefore: verdict.countsBefore,
                countsAfter: verdict.countsAfter,
                blocking: verdict.blocking.ids,
                exceptionsApplied: verdict.exceptionsApplied,
                exceptionsExpired: verdict.exceptionsExpired,
              }
            : {}),
          ...(report.message ? { message: report.message } : {}),
        },
      },
    ],
  };
}
