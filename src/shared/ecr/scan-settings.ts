import type { GetRegistryScanningConfigurationResponse, Repository } from '@aws-sdk/client-ecr';
import { wildcardMatch } from '../wildcard.ts';

/**
 * Who scans a pushed image, the one home of the rule that on-image-pushed (whether to start a scan) and the CI
 * gate (whether to wait for one) both follow
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html):
 * - basic scanning: ECR on push when the repository's `scanOnPush` is on or a registry rule with frequency
 *   SCAN_ON_PUSH has a filter matching the repository; otherwise only StartImageScan;
 * - enhanced scanning: Amazon Inspector, for the repositories a rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) covers;
 *   the repository's own `scanOnPush` is not used, and StartImageScan does not start an enhanced scan
 *   (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html).
 */

/** The scan settings that decide whether a pushed image gets scanned without our help. */
export interface ScanSettings {
  /** The repository's own `imageScanningConfiguration.scanOnPush`. */
  repositoryScanOnPush: boolean;
  registryScanType: 'BASIC' | 'ENHANCED';
  registryRules: ReadonlyArray<{ scanFrequency: string; repositoryFilters: readonly string[] }>;
}

/** The rule frequencies that scan a pushed image, per scan type (basic scanning has no continuous scanning). */
const SCANNING_FREQUENCIES: Record<ScanSettings['registryScanType'], readonly string[]> = {
  BASIC: ['SCAN_ON_PUSH'],
  ENHANCED: ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN'],
};

/** The registry scanning rule that scans the repository's pushes, if one does. */
export function coveringRule(
  settings: ScanSettings,
  repositoryName: string,
): ScanSettings['registryRules'][number] | undefined {
  const frequencies = SCANNING_FREQUENCIES[settings.registryScanType];
  return settings.registryRules.find(
    (rule) =>
      frequencies.includes(rule.scanFrequency) &&
      rule.repositoryFilters.some((filter) => wildcardMatch(filter, repositoryName)),
  );
}

/**
 * What to do about scanning a freshly pushed image:
 * - `scans-on-push`: ECR (basic) or Inspector (enhanced) scans it already;
 * - `start-scan`: nothing scans on push, so StartImageScan must (basic scanning only);
 * - `not-scannable`: enhanced scanning with no rule covering the repository; StartImageScan cannot help there.
 */
export function scanDecision(
  settings: ScanSettings,
  repositoryName: string,
): 'scans-on-push' | 'start-scan' | 'not-scannable' {
  const covered = coveringRule(settings, repositoryName) !== undefined;
  if (settings.registryScanType === 'ENHANCED') return covered ? 'scans-on-push' : 'not-scannable';
  return settings.repositoryScanOnPush || covered ? 'scans-on-push' : 'start-scan';
}

/**
 * The settings as DescribeRepositories (the repository) and GetRegistryScanningConfiguration report them.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRegistryScanningConfiguration.html
 */
export function scanSettingsOf(
  repository: Repository | undefined,
  registry: GetRegistryScanningConfigurationResponse,
): ScanSettings {
  const config = registry.scanningConfiguration;
  return {
    repositoryScanOnPush: repository?.imageScanningConfiguration?.scanOnPush ?? false,
    registryScanType: config?.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC',
    registryRules: (config?.rules ?? []).map((rule) => ({
      scanFrequency: rule.scanFrequency ?? '',
      repositoryFilters: (rule.repositoryFilters ?? []).map((f) => f.filter ?? ''),
    })),
  };
}
