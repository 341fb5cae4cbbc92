import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsResponse,
  type ECRClient,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import { isImageGone } from '../../shared/ecr/gone.ts';
import { ImageGoneError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import { isScanComplete, SCAN_NOT_FOUND } from '../domain/scan-status.ts';
import type { ImageChecker, ScanFindingsReader, ScanResult } from '../ports.ts';
import { fromDescribeImageScanFindings } from './ecr-findings-mapping.ts';

/** DescribeImageScanFindings allows up to 1000 findings per page (default 100): fewer calls per image. */
const PAGE_SIZE = 1000;

/**
 * Every page of DescribeImageScanFindings for an image (the SDK's errors thrown as they come): what the reader
 * and the gate's report (ecr-scan-details.ts) read, under {@link ecrFindingsReaderPermissions}.
 */
export async function findingsPages(
  ecr: ECRClient,
  repositoryName: string,
  imageDigest: string,
): Promise<DescribeImageScanFindingsResponse[]> {
  const pages: DescribeImageScanFindingsResponse[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecr.send(
      new DescribeImageScanFindingsCommand({
        repositoryName,
        imageId: { imageDigest },
        maxResults: PAGE_SIZE,
        nextToken,
      }),
    );
    pages.push(page);
    nextToken = page.nextToken;
  } while (nextToken);
  return pages;
}

/**
 * What {@link ecrFindingsReader} calls. With enhanced scanning, ECR answers DescribeImageScanFindings from Amazon
 * Inspector as the caller, so the caller needs `inspector2:ListFindings` too (an action without resource types:
 * only on `"*"`).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced-iam.html
 */
export const ecrFindingsReaderPermissions: IamPermissions = [
  { actions: ['ecr:DescribeImageScanFindings'], resource: 'ecr-repository' },
  { actions: ['inspector2:ListFindings'], resource: '*' },
];

/**
 * {@link ScanFindingsReader} on Amazon ECR: every page of DescribeImageScanFindings (basic `findings` and
 * enhanced `enhancedFindings`), normalised. Findings are `undefined` unless the scan completed with findings
 * (the verdict is then ERROR: fail closed). No scan at all (ScanNotFoundException) is reported as the status
 * {@link SCAN_NOT_FOUND}; an image or repository that no longer exists throws {@link ImageGoneError}.
 * `exists` asks for one finding (one call, the same action): ECR answers ImageNotFound or RepositoryNotFound
 * for an image it doesn't hold, ScanNotFound for one it holds but never scanned.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageScanFindings.html
 */
export function ecrFindingsReader(ecr: ECRClient): ScanFindingsReader & ImageChecker {
  return {
    async exists(repositoryName, imageDigest): Promise<boolean> {
      try {
        await ecr.send(
          new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest }, maxResults: 1 }),
        );
        return true;
      } catch (error) {
        if (error instanceof ScanNotFoundException) return true;
        if (isImageGone(error)) return false;
        throw error;
      }
    },
    async read(repositoryName, imageDigest): Promise<ScanResult> {
      let pages: DescribeImageScanFindingsResponse[];
      try {
        pages = await findingsPages(ecr, repositoryName, imageDigest);
      } catch (error) {
        if (error instanceof ScanNotFoundException) {
          return {
            scanStatus: SCAN_NOT_FOUND,
            scanStatusDescription: 'the image has never been scanned',
            findings: undefined,
          };
        }
        // Deleted between the scan and now: a real race, not a failure.
        if (isImageGone(error)) {
          throw new ImageGoneError(`${repositoryName}@${imageDigest} no longer exists`, { cause: error });
        }
        throw error;
      }
      const { scanStatus, scanStatusDescription, findings } = fromDescribeImageScanFindings(pages);
      const last = pages.at(-1);
      const usable = isScanComplete(scanStatus) && last?.imageScanFindings !== undefined;
      return {
        scanStatus,
        scanStatusDescription,
        findings: usable ? findings : undefined,
        scanCompletedAt: last?.imageScanFindings?.imageScanCompletedAt,
      };
    },
  };
}
