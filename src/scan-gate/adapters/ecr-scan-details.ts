import {
  type DescribeImageScanFindingsResponse,
  type ECRClient,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../../shared/iam.ts';
import type { Finding } from '../domain/findings.ts';
import { isScanComplete } from '../domain/scan-status.ts';
import { fromDescribeImageScanFindings } from './ecr-findings-mapping.ts';
import { ecrFindingsReaderPermissions, findingsPages } from './ecr-findings-reader.ts';

/** What {@link ecrScanDetails} calls: the reader's pages (enhanced findings are read from Inspector as the caller). */
export const ecrScanDetailsPermissions: IamPermissions = ecrFindingsReaderPermissions;

/** What a report of the scan lists beyond the verdict: every finding, their CVSS scores, the registry. */
export interface ScanDetails {
  /** The account of the registry, from the answer (for the image URI); undefined when there is no scan. */
  registryId: string | undefined;
  findings: Finding[];
  /** Highest CVSS base score per vulnerability id, where the scanner gave one. */
  cvss: Map<string, number>;
}

function score(value: string | number | undefined): number | undefined {
  const n = typeof value === 'number' ? value : value === undefined ? Number.NaN : Number.parseFloat(value);
  return Number.isFinite(n) && n >= 0 && n <= 10 ? n : undefined;
}

/**
 * CVSS base scores by vulnerability id, from every page: basic scanning's `CVSS3_SCORE` (else `CVSS2_SCORE`)
 * attribute; enhanced scanning's Inspector `score`, else the highest of `packageVulnerabilityDetails.cvss`. Pure.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanFinding.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_EnhancedImageScanFinding.html
 */
export function cvssScores(pages: readonly DescribeImageScanFindingsResponse[]): Map<string, number> {
  const scores = new Map<string, number>();
  const keep = (id: string | undefined, value: number | undefined) => {
    if (!id || value === undefined) return;
    scores.set(id, Math.max(value, scores.get(id) ?? 0));
  };
  for (const page of pages) {
    for (const f of page.imageScanFindings?.findings ?? []) {
      const attribute = (key: string) => f.attributes?.find((a) => a.key === key)?.value;
      keep(f.name, score(attribute('CVSS3_SCORE')) ?? score(attribute('CVSS2_SCORE')));
    }
    for (const f of page.imageScanFindings?.enhancedFindings ?? []) {
      const details = f.packageVulnerabilityDetails;
      const listed = (details?.cvss ?? []).map((c) => score(c.baseScore)).filter((s) => s !== undefined);
      keep(
        details?.vulnerabilityId ?? f.title,
        score(f.score) ?? (listed.length ? Math.max(...listed) : undefined),
      );
    }
  }
  return scores;
}

/**
 * Reads every page of an image's scan findings for a report (`scan-gate --format sarif`): the findings as the
 * gate maps them and their CVSS scores. No scan, or one without usable findings, gives no findings.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageScanFindings.html
 */
export function ecrScanDetails(ecr: ECRClient): {
  read(repositoryName: string, imageDigest: string): Promise<ScanDetails>;
} {
  return {
    async read(repositoryName, imageDigest) {
      let pages: DescribeImageScanFindingsResponse[];
      try {
        pages = await findingsPages(ecr, repositoryName, imageDigest);
      } catch (error) {
        if (error instanceof ScanNotFoundException) {
          return { registryId: undefined, findings: [], cvss: new Map() };
        }
        throw error;
      }
      const { scanStatus, findings } = fromDescribeImageScanFindings(pages);
      const usable = isScanComplete(scanStatus);
      return {
        registryId: pages[0]?.registryId,
        findings: usable ? findings : [],
        cvss: usable ? cvssScores(pages) : new Map(),
      };
    },
  };
}
