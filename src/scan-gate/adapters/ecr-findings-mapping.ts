import type {
  DescribeImageScanFindingsResponse,
  EnhancedImageScanFinding,
  ImageScanFinding,
  ImageScanFindings,
} from '@aws-sdk/client-ecr';
import { normaliseSeverity } from '../../shared/severity.ts';
import type { Finding } from '../domain/findings.ts';

/**
 * Pure mapping from DescribeImageScanFindings (ecr:DescribeImageScanFindings) to {@link Finding}s.
 * Basic scanning returns `findings` (ImageScanFinding: name = CVE, attributes package_name/package_version,
 * no fix information); enhanced scanning (Inspector) returns `enhancedFindings`. One response may in
 * principle carry both; both are read.
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageScanFindings.html
 */

function attribute(finding: ImageScanFinding, key: string): string | undefined {
  const value = finding.attributes?.find((a) => a.key === key)?.value;
  return value === undefined || value === '' ? undefined : value;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** A basic-scanning finding. Basic scanning does not say whether a fix exists: `fixAvailable` undefined. */
export function fromBasicFinding(finding: ImageScanFinding): Finding {
  return {
    id: nonEmpty(finding.name) ?? 'UNKNOWN',
    severity: normaliseSeverity(finding.severity),
    package: attribute(finding, 'package_name'),
    installedVersion: attribute(finding, 'package_version'),
    fixedVersion: undefined,
    fixAvailable: undefined,
    title: nonEmpty(finding.description),
    link: nonEmpty(finding.uri),
  };
}

/** Inspector's `fixAvailable`: YES and PARTIAL (some packages have a fix) → true, NO → false, else unknown. */
function fixAvailableOf(
  finding: EnhancedImageScanFinding,
  fixedVersion: string | undefined,
): boolean | undefined {
  switch (finding.fixAvailable?.toUpperCase()) {
    case 'YES':
    case 'PARTIAL':
      return true;
    case 'NO':
      return false;
    default:
      return fixedVersion === undefined ? undefined : true;
  }
}

function joined(values: Array<string | undefined>): string | undefined {
  const present = values.map(nonEmpty);
  if (present.every((v) => v === undefined)) return undefined;
  return present.map((v) => v ?? '?').join(', ');
}

/**
 * An enhanced (Inspector) finding. Id: `vulnerabilityId`, else the title, else the finding ARN. Link: the
 * advisory (`sourceUrl`), else the first reference URL, else the remediation URL. One Finding per Inspector
 * finding (so counts match Inspector's); when it lists several vulnerable packages, package, installed and
 * fixed versions are joined with `, ` in the same order. `fixedInVersion` `NotAvailable` means no fix.
 */
export function fromEnhancedFinding(finding: EnhancedImageScanFinding): Finding {
  const details = finding.packageVulnerabilityDetails;
  const packages = details?.vulnerablePackages ?? [];
  const fixed = packages.map((p) => (p.fixedInVersion === 'NotAvailable' ? undefined : p.fixedInVersion));
  const fixedVersion = joined(fixed);
  return {
    id:
      nonEmpty(details?.vulnerabilityId) ??
      nonEmpty(finding.title) ??
      nonEmpty(finding.findingArn) ??
      'UNKNOWN',
    severity: normaliseSeverity(finding.severity),
    package: joined(packages.map((p) => p.name)),
    installedVersion: joined(packages.map((p) => p.version)),
    fixedVersion,
    fixAvailable: fixAvailableOf(finding, fixedVersion),
    title: nonEmpty(finding.title) ?? nonEmpty(finding.description),
    link:
      nonEmpty(details?.sourceUrl) ??
      details?.referenceUrls?.map(nonEmpty).find((u) => u !== undefined) ??
      nonEmpty(finding.remediation?.recommendation?.url),
  };
}

/** All findings of one `imageScanFindings` object, basic and enhanced. */
export function fromImageScanFindings(findings: ImageScanFindings | undefined): Finding[] {
  return [
    ...(findings?.findings ?? []).map(fromBasicFinding),
    ...(findings?.enhancedFindings ?? []).map(fromEnhancedFinding),
  ];
}

/**
 * The scan status and findings across all pages of a DescribeImageScanFindings call. The status is the
 * last page's (`imageScanStatus.status`, upper case; `UNKNOWN` when absent, which the verdict treats as ERROR).
 */
export function fromDescribeImageScanFindings(pages: readonly DescribeImageScanFindingsResponse[]): {
  scanStatus: string;
  scanStatusDescription: string | undefined;
  findings: Finding[];
} {
  const last = pages.at(-1);
  return {
    scanStatus: nonEmpty(last?.imageScanStatus?.status)?.toUpperCase() ?? 'UNKNOWN',
    scanStatusDescription: nonEmpty(last?.imageScanStatus?.description),
    findings: pages.flatMap((page) => fromImageScanFindings(page.imageScanFindings)),
  };
}
