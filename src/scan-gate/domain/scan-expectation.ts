import { coveringRule, type ScanSettings, scanDecision } from '../../shared/ecr/scan-settings.ts';

/**
 * Whether a scan of an image that has none yet is on its way, so that the CI gate waits for it, or whether
 * nothing will ever scan it, so that the gate says why at once instead of waiting out `--wait` in silence. Who
 * scans a pushed image is src/shared/ecr/scan-settings.ts's rule, the one on-image-pushed follows too.
 */

/** A scan is on its way (and why), or none will come (and what to do about it). */
export type ScanExpectation = { coming: true; why: string } | { coming: false; message: string };

/**
 * Whether a scan of `imageDigest`, which has none yet (DescribeImageScanFindings answered ScanNotFoundException),
 * is coming. Pure.
 * @param request.pipelineStartsScans the deployed pipeline is there (its verdict table exists), so
 *   on-image-pushed calls StartImageScan for a push nothing scans on push (basic scanning only).
 */
export function expectScan(
  coverage: ScanSettings,
  request: { repositoryName: string; imageDigest: string; pipelineStartsScans: boolean },
): ScanExpectation {
  const { repositoryName, imageDigest } = request;
  switch (scanDecision(coverage, repositoryName)) {
    case 'scans-on-push': {
      if (coverage.registryScanType === 'ENHANCED') {
        const rule = coveringRule(coverage, repositoryName);
        return { coming: true, why: `Amazon Inspector scans it (${rule?.scanFrequency} rule)` };
      }
      return coverage.repositoryScanOnPush
        ? { coming: true, why: 'scan on push is on' }
        : { coming: true, why: 'a registry scanning rule scans it on push' };
    }
    case 'not-scannable':
      return {
        coming: false,
        message:
          `no scan started: enhanced scanning (Amazon Inspector) scans only repositories a registry scanning ` +
          `rule covers, and none covers ${repositoryName}; add one with aws ecr put-registry-scanning-configuration`,
      };
    case 'start-scan':
      if (request.pipelineStartsScans) return { coming: true, why: 'on-image-pushed starts one' };
      return {
        coming: false,
        message:
          'no scan started: enable scan on push or run aws ecr start-image-scan ' +
          `--repository-name ${repositoryName} --image-id imageDigest=${imageDigest}`,
      };
  }
}
