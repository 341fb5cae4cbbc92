import {
  DescribeRepositoriesCommand,
  type ECRClient,
  GetRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { type ScanSettings, scanSettingsOf } from '../../shared/ecr/scan-settings.ts';
import type { IamPermissions } from '../../shared/iam.ts';

/** What {@link ecrScanCoverage} calls: GetRegistryScanningConfiguration has no resource type (only `"*"`). */
export const ecrScanCoveragePermissions: IamPermissions = [
  { actions: ['ecr:DescribeRepositories'], resource: 'ecr-repository' },
  { actions: ['ecr:GetRegistryScanningConfiguration'], resource: '*' },
];

/**
 * Reads what decides whether anything scans a repository's pushes: its own `scanOnPush` (DescribeRepositories)
 * and the registry's scanning configuration (GetRegistryScanningConfiguration: scan type, rules with their
 * frequency and repository filters). Two calls, made only when an image has no scan at all.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRegistryScanningConfiguration.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html
 */
export function ecrScanCoverage(ecr: ECRClient): { read(repositoryName: string): Promise<ScanSettings> } {
  return {
    async read(repositoryName) {
      const [repository, registry] = await Promise.all([
        ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })),
        ecr.send(new GetRegistryScanningConfigurationCommand({})),
      ]);
      return scanSettingsOf(repository.repositories?.[0], registry);
    },
  };
}
