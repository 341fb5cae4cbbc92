import {
  DescribeRepositoriesCommand,
  type ECRClient,
  GetRegistryScanningConfigurationCommand,
  type GetRegistryScanningConfigurationCommandOutput,
  LimitExceededException,
  StartImageScanCommand,
  UnsupportedImageTypeException,
} from '@aws-sdk/client-ecr';
import { ecrImageLookup } from '../shared/ecr/image-lookup.ts';
import { type ScanSettings, scanSettingsOf } from '../shared/ecr/scan-settings.ts';
import type { IamPermissions } from '../shared/iam.ts';
import type { ImageRegistry } from './ports.ts';

/** How long the registry-wide scanning configuration is reused: it changes rarely and costs a call per event. */
const REGISTRY_SETTINGS_TTL_MS = 60_000;

/** What {@link ecrRegistry} calls itself; its image lookup declares `ecr:DescribeImages`. */
export const ecrRegistryPermissions: IamPermissions = [
  { actions: ['ecr:DescribeRepositories', 'ecr:StartImageScan'], resource: 'ecr-repository' },
  { actions: ['ecr:GetRegistryScanningConfiguration'], resource: '*' },
];

/**
 * What the client for StartImageScan is built with (see {@link ecrRegistry}): one attempt, no SDK retries.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export const scanClientConfig = { maxAttempts: 1 } as const;

/**
 * {@link ImageRegistry} on Amazon ECR.
 * @param ecr for every call but StartImageScan, with the SDK's retries.
 * @param options.scanClient for StartImageScan: a client built with {@link scanClientConfig}. ECR refuses a
 *   second basic scan of an image within 24 hours with LimitExceededException, which the SDK classes as
 *   throttling and would send twice more before {@link ImageRegistry.startScan} sees it; a real throttle then
 *   fails the invocation and Lambda retries it.
 * @param options.now the clock the registry-wide scanning configuration is cached by.
 */
export function ecrRegistry(
  ecr: ECRClient,
  options: { scanClient: ECRClient; now?: () => number },
): ImageRegistry {
  const { scanClient, now = Date.now } = options;

  let registryCache: { at: number; value: GetRegistryScanningConfigurationCommandOutput } | undefined;

  async function registrySettings() {
    if (!registryCache || now() - registryCache.at > REGISTRY_SETTINGS_TTL_MS) {
      registryCache = { at: now(), value: await ecr.send(new GetRegistryScanningConfigurationCommand({})) };
    }
    return registryCache.value;
  }

  return {
    ...ecrImageLookup(ecr),

    async scanSettings(repositoryName): Promise<ScanSettings> {
      const [repository, registry] = await Promise.all([
        ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })),
        registrySettings(),
      ]);
      return scanSettingsOf(repository.repositories?.[0], registry);
    },

    /** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_StartImageScan.html */
    async startScan(repositoryName, imageDigest) {
      try {
        await scanClient.send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest } }));
        return 'started';
      } catch (error) {
        // Basic scanning allows one scan per image per 24 hours: a duplicate event lands here.
        if (error instanceof LimitExceededException) return 'already-scanned';
        if (error instanceof UnsupportedImageTypeException) return 'unsupported';
        throw error;
      }
    },
  };
}
