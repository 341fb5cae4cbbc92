import { wildcardMatch } from '../shared/wildcard.ts';

/** The scan settings that decide whether a pushed image gets scanned without our help. */
export interface ScanSettings {
  /** The repository's own `imageScanningConfiguration.scanOnPush`. */
  repositoryScanOnPush: boolean;
  registryScanType: 'BASIC' | 'ENHANCED';
  registryRules: ReadonlyArray<{ scanFrequency: string; repositoryFilters: readonly string[] }>;
}

/**
 * What to do about scanning a freshly pushed image:
 * - `scans-on-push`: ECR (basic) or Inspector (enhanced) scans it already;
 * - `start-scan`: nothing scans on push, so we call StartImageScan (basic scanning only);
 * - `not-scannable`: enhanced scanning with no rule covering the repository; StartImageScan cannot help there.
 *
 * Basic scanning: the repository's scanOnPush or a registry rule with SCAN_ON_PUSH whose filter matches.
 * Enhanced scanning: a registry rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) whose filter matches.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
 */
export function scanDecision(
  settings: ScanSettings,
  repositoryName: string,
): 'scans-on-push' | 'start-scan' | 'not-scannable' {
  const ruleCovers = (frequencies: readonly string[]) =>
    settings.registryRules.some(
      (rule) =>
        frequencies.includes(rule.scanFrequency) &&
        rule.repositoryFilters.some((filter) => wildcardMatch(filter, repositoryName)),
    );
  if (settings.registryScanType === 'ENHANCED') {
    return ruleCovers(['SCAN_ON_PUSH', 'CONTINUOUS_SCAN']) ? 'scans-on-push' : 'not-scannable';
  }
  return settings.repositoryScanOnPush || ruleCovers(['SCAN_ON_PUSH']) ? 'scans-on-push' : 'start-scan';
}
