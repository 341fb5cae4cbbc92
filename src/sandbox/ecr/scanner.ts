import { createHash } from 'node:crypto';
import type { EnhancedImageScanFinding, ImageScanFinding } from '@aws-sdk/client-ecr';
import type { FindingsCatalogueEntry } from '../contracts.ts';
import { isDigest } from './digest.ts';
import type { CatalogueFinding, ImageRecord, ScanRecord } from './state.ts';
import { isImageTag, REPOSITORY_NAME_PATTERN } from './validation.ts';
import type { Wire } from './wire.ts';

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
const STATUSES = ['COMPLETE', 'FAILED', 'UNSUPPORTED_IMAGE', 'FINDINGS_UNAVAILABLE'] as const;

function fail(message: string): never {
  throw new Error(`Invalid findings catalogue entry: ${message}`);
}

/** Validate an entry for POST /_sandbox/findings; throws an Error naming the bad field. */
export function parseCatalogueEntry(value: unknown): FindingsCatalogueEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('the entry must be a JSON object');
  const raw = value as Record<string, unknown>;
  if (typeof raw.repositoryName !== 'string' || !REPOSITORY_NAME_PATTERN.test(raw.repositoryName)) {
    fail('repositoryName must be a repository name');
  }
  const entry: FindingsCatalogueEntry = { repositoryName: raw.repositoryName, findings: [] };
  if (raw.imageTag !== undefined) {
    if (!isImageTag(raw.imageTag)) fail('imageTag must be an image tag');
    entry.imageTag = raw.imageTag;
  }
  if (raw.imageDigest !== undefined) {
    if (!isDigest(raw.imageDigest)) fail('imageDigest must be a digest (algorithm:hex)');
    entry.imageDigest = raw.imageDigest;
  }
  if (entry.imageTag === undefined && entry.imageDigest === undefined) fail('give imageTag or imageDigest');
  if (raw.status !== undefined) {
    if (!(STATUSES as readonly unknown[]).includes(raw.status))
      fail(`status must be one of ${STATUSES.join(', ')}`);
    entry.status = raw.status as (typeof STATUSES)[number];
  }
  const findings = raw.findings ?? [];
  if (!Array.isArray(findings)) fail('findings must be a list');
  entry.findings = findings.map((item: unknown, index): CatalogueFinding => {
    if (typeof item !== 'object' || item === null) fail(`findings[${index}] must be an object`);
    const f = item as Record<string, unknown>;
    if (typeof f.name !== 'string' || f.name === '')
      fail(`findings[${index}].name must be a non-empty string`);
    if (!(SEVERITIES as readonly unknown[]).includes(f.severity)) {
      fail(`findings[${index}].severity must be one of ${SEVERITIES.join(', ')}`);
    }
    const finding: CatalogueFinding = { name: f.name, severity: f.severity as CatalogueFinding['severity'] };
    for (const key of ['package', 'version', 'fixedIn', 'description', 'uri'] as const) {
      if (f[key] === undefined) continue;
      if (typeof f[key] !== 'string') fail(`findings[${index}].${key} must be a string`);
      finding[key] = f[key];
    }
    return finding;
  });
  return entry;
}

/** Count findings by severity, listing only severities that occur (as ECR does). */
export function severityCounts(findings: readonly CatalogueFinding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings) counts[finding.severity] = (counts[finding.severity] ?? 0) + 1;
  return counts;
}

/** Inspector's severity scale has UNTRIAGED where basic scanning has UNDEFINED. */
function inspectorSeverity(severity: CatalogueFinding['severity']): string {
  return severity === 'UNDEFINED' ? 'UNTRIAGED' : severity;
}

/** Counts in DescribeImageScanFindings for enhanced scans use Inspector's names. */
export function enhancedSeverityCounts(findings: readonly CatalogueFinding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of findings) {
    const severity = inspectorSeverity(finding.severity);
    counts[severity] = (counts[severity] ?? 0) + 1;
  }
  return counts;
}

/**
 * Counts for the `Inspector2 Scan` event: CRITICAL, HIGH, MEDIUM always present and TOTAL over every finding,
 * so TOTAL is not the sum of the others (LOW, INFORMATIONAL, UNTRIAGED are only in TOTAL), as in AWS's sample.
 */
export function inspectorEventCounts(findings: readonly CatalogueFinding[]): Record<string, number> {
  const counts: Record<string, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, TOTAL: findings.length };
  for (const finding of findings) {
    const severity = finding.severity;
    if (severity === 'CRITICAL' || severity === 'HIGH' || severity === 'MEDIUM')
      counts[severity] = (counts[severity] ?? 0) + 1;
  }
  return counts;
}

const CVSS_BY_SEVERITY: Record<string, number> = { CRITICAL: 9.8, HIGH: 7.5, MEDIUM: 5.5, LOW: 3.1 };

/** A basic-scan finding shaped like ECR's ImageScanFinding (Clair-style attributes). */
export function basicFinding(finding: CatalogueFinding): ImageScanFinding {
  const attributes = [];
  if (finding.package !== undefined) attributes.push({ key: 'package_name', value: finding.package });
  if (finding.version !== undefined) attributes.push({ key: 'package_version', value: finding.version });
  const score = CVSS_BY_SEVERITY[finding.severity];
  if (score !== undefined) attributes.push({ key: 'CVSS3_SCORE', value: String(score) });
  return {
    name: finding.name,
    ...(finding.description !== undefined ? { description: finding.description } : {}),
    uri: finding.uri ?? `https://nvd.nist.gov/vuln/detail/${finding.name}`,
    severity: finding.severity,
    attributes,
  };
}

/** An enhanced-scan finding shaped like ECR's EnhancedImageScanFinding (what Inspector reports through ECR). */
export function enhancedFinding(
  finding: CatalogueFinding,
  context: {
    accountId: string;
    region: string;
    repositoryName: string;
    image: ImageRecord;
    scan: ScanRecord;
  },
): Wire<EnhancedImageScanFinding> {
  const { accountId, region, repositoryName, image, scan } = context;
  const seconds = (scan.completedAt ?? scan.startedAt) / 1000;
  const id = createHash('sha256')
    .update(`${repositoryName}\u0000${image.digest}\u0000${finding.name}`)
    .digest('hex')
    .slice(0, 32);
  const imageArn = `arn:aws:ecr:${region}:${accountId}:repository/${repositoryName}/${image.digest}`;
  const score = CVSS_BY_SEVERITY[finding.severity];
  const packageName = finding.package ?? 'unknown';
  return {
    awsAccountId: accountId,
    description: finding.description ?? `${finding.name} affects ${packageName}.`,
    findingArn: `arn:aws:inspector2:${region}:${accountId}:finding/${id}`,
    firstObservedAt: seconds,
    lastObservedAt: seconds,
    updatedAt: seconds,
    packageVulnerabilityDetails: {
      vulnerabilityId: finding.name,
      source: 'NVD',
      sourceUrl: finding.uri ?? `https://nvd.nist.gov/vuln/detail/${finding.name}`,
      referenceUrls: [finding.uri ?? `https://nvd.nist.gov/vuln/detail/${finding.name}`],
      vendorSeverity: finding.severity,
      cvss:
        score === undefined
          ? []
          : [
              {
                baseScore: score,
                source: 'NVD',
                version: '3.1',
                scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
              },
            ],
      vulnerablePackages: [
        {
          name: packageName,
          version: finding.version ?? '',
          ...(finding.fixedIn !== undefined ? { fixedInVersion: finding.fixedIn } : {}),
          packageManager: 'OS',
        },
      ],
    },
    remediation: {
      recommendation: {
        text:
          finding.fixedIn !== undefined ? `Upgrade ${packageName} to ${finding.fixedIn}.` : 'None Provided',
      },
    },
    resources: [
      {
        id: imageArn,
        type: 'AWS_ECR_CONTAINER_IMAGE',
        details: {
          awsEcrContainerImage: {
            imageHash: image.digest,
            imageTags: [...image.tags],
            registry: accountId,
            repositoryName,
            pushedAt: image.pushedAt / 1000,
            architecture: 'amd64',
          },
        },
      },
    ],
    ...(score !== undefined
      ? { score, scoreDetails: { cvss: { score, scoreSource: 'NVD', version: '3.1', adjustments: [] } } }
      : {}),
    severity: inspectorSeverity(finding.severity),
    status: 'ACTIVE',
    title: finding.package !== undefined ? `${finding.name} - ${finding.package}` : finding.name,
    type: 'PACKAGE_VULNERABILITY',
    fixAvailable: finding.fixedIn !== undefined ? 'YES' : 'NO',
    exploitAvailable: 'NO',
  };
}
