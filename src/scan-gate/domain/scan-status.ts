/**
 * Scan statuses and what each means to the gate: the one list every reader of a status uses.
 * ECR basic scanning reports them in `imageScanStatus.status` and the `ECR Image Scan` event's `scan-status`;
 * Amazon Inspector (enhanced scanning) in the `Inspector2 Scan` event and DescribeImageScanFindings.
 * A status that is neither complete nor pending — FAILED, UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE,
 * SCAN_ELIGIBILITY_EXPIRED, or one never seen before — has no trustworthy findings: the gate fails closed.
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanStatus.html
 */

/**
 * Not a status ECR sends: what the findings reader reports when ECR has no scan of the image at all
 * (DescribeImageScanFindings answers ScanNotFoundException). Judged ERROR like any failed scan.
 */
export const SCAN_NOT_FOUND = 'SCAN_NOT_FOUND';

/**
 * Statuses with usable findings: basic `COMPLETE`, Inspector's event `INITIAL_SCAN_COMPLETE`, and `ACTIVE`
 * (what DescribeImageScanFindings reports for an image Inspector monitors continuously).
 */
export const COMPLETE_SCAN_STATUSES: ReadonlySet<string> = new Set([
  'COMPLETE',
  'INITIAL_SCAN_COMPLETE',
  'ACTIVE',
]);

/** Statuses of a scan (or rescan) that is still running: its result is yet to come. */
export const RUNNING_SCAN_STATUSES: ReadonlySet<string> = new Set(['IN_PROGRESS', 'PENDING']);

function normalise(status: string): string {
  return status.trim().toUpperCase();
}

/** Whether the scan finished with findings to judge. */
export function isScanComplete(status: string): boolean {
  return COMPLETE_SCAN_STATUSES.has(normalise(status));
}

/** Whether a scan of the image is running now. */
export function isScanRunning(status: string): boolean {
  return RUNNING_SCAN_STATUSES.has(normalise(status));
}

/**
 * Whether a result is still to come, so a caller that can wait (the CI gate) should: a scan is running, or
 * none exists yet (scan on push, or on-image-pushed's StartImageScan, is about to begin one).
 */
export function isScanPending(status: string): boolean {
  return isScanRunning(status) || normalise(status) === SCAN_NOT_FOUND;
}
