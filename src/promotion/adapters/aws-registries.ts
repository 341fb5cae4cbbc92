import { ECRClient, type ECRClientConfig, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ecrRegistry, ecrRegistryPermissions, scanClientConfig } from '../../inventory/index.ts';
import { ecrFindingsReader, ecrFindingsReaderPermissions } from '../../scan-gate/index.ts';
import { ecrImageLookupPermissions } from '../../shared/ecr/image-lookup.ts';
import { scanDecision } from '../../shared/ecr/scan-settings.ts';
import { ImageGoneError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import type { Registries, Registry, RegistryLocation } from '../ports.ts';
import { ecrImageCopier, ecrImageCopierPermissions } from './ecr-image-copier.ts';
import { ecrTargetRepositories, ecrTargetRepositoriesPermissions } from './ecr-target-repositories.ts';
import { type BlobMounter, registryBlobMounter, registryBlobMounterPermissions } from './registry-mount.ts';

/**
 * What {@link awsRegistries} calls in the registries it reaches (with the environment's role there, when it has
 * one): reading tags and scans, creating target repositories, copying, starting scans.
 */
export const awsRegistriesPermissions: IamPermissions = [
  ...ecrImageLookupPermissions,
  ...ecrRegistryPermissions,
  ...ecrFindingsReaderPermissions,
  ...ecrTargetRepositoriesPermissions,
  ...ecrImageCopierPermissions,
  ...registryBlobMounterPermissions,
  { actions: ['sts:AssumeRole'], resource: 'promotion-roles' },
];

import type { ClientBase } from '../../shared/caller-identity.ts';

export type { ClientBase };

/** Temporary credentials as an SDK credential provider returns them. */
interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiration?: Date | undefined;
}

/** Refresh assumed-role credentials this long before they expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Credentials of `roleArn`, assumed with the caller's own and refreshed before they expire.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
function assumedRole(sts: STSClient, roleArn: string, sessionName: string) {
  let cached: TemporaryCredentials | undefined;
  return async (): Promise<TemporaryCredentials> => {
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > REFRESH_BEFORE_MS) return cached;
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
    const credentials = out.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
      throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    }
    cached = {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
    return cached;
  };
}

/**
 * {@link Registries} on Amazon ECR: one ECR client per account, Region and role, made on first use. An
 * environment with a `roleArn` is reached with that role's credentials (AssumeRole with the caller's own);
 * one without is reached with the caller's own credentials in its Region. A copier between two environments of
 * one registry (same account and Region) mounts blobs when the registry allows it (registry-mount.ts), with the
 * target side's client; across registries it copies through the ECR API.
 * @param base what every client is built with (endpoint, credentials of the caller, retries)
 * @param options.warn told once per reason why blob mounting is unavailable (the copy streams instead)
 */
export function awsRegistries(
  base: ClientBase,
  options: { sessionName?: string; warn?: (message: string) => void } = {},
): Registries & { destroy(): void } {
  const sts = new STSClient({
    region: base.region,
    ...(base.endpoint === undefined ? {} : { endpoint: base.endpoint }),
    ...(base.credentials === undefined ? {} : { credentials: base.credentials }),
    ...(base.maxAttempts === undefined ? {} : { maxAttempts: base.maxAttempts }),
  });
  const clients = new Map<string, { ecr: ECRClient; scans: ECRClient }>();
  const registries = new Map<string, Registry>();
  // One per target client: its registry token is cached across the promotions this process runs.
  const mounters = new Map<string, BlobMounter>();
  const sessionName = options.sessionName ?? 'ecr-sentinel-promotion';

  const clientsAt = (location: RegistryLocation) => {
    const key = `${location.accountId}/${location.region}/${location.roleArn ?? ''}`;
    let found = clients.get(key);
    if (!found) {
      const config: ECRClientConfig = {
        ...base,
        region: location.region,
        ...(location.roleArn ? { credentials: assumedRole(sts, location.roleArn, sessionName) } : {}),
      };
      found = { ecr: new ECRClient(config), scans: new ECRClient({ ...config, ...scanClientConfig }) };
      clients.set(key, found);
    }
    return found;
  };

  return {
    at(location) {
      const key = `${location.accountId}/${location.region}/${location.roleArn ?? ''}`;
      const known = registries.get(key);
      if (known) return known;
      const { ecr, scans } = clientsAt(location);
      const images = ecrRegistry(ecr, { scanClient: scans });
      const findings = ecrFindingsReader(ecr);
      const registry: Registry = {
        async resolveTag(repositoryName, imageTag) {
          const imageDigest = await images.resolveTag(repositoryName, imageTag).catch((error: unknown) => {
            // No repository, no image: the same answer to "which image is tagged so".
            if (error instanceof RepositoryNotFoundException) return undefined;
            throw error;
          });
          if (!imageDigest) return undefined;
          const facts = await images.describeImage(repositoryName, imageDigest);
          return { imageDigest, imageTags: facts?.tags ?? [imageTag] };
        },
        async readScan(repositoryName, imageDigest) {
          try {
            return await findings.read(repositoryName, imageDigest);
          } catch (error) {
            if (error instanceof ImageGoneError) return undefined;
            throw error;
          }
        },
        repositories: ecrTargetRepositories(ecr),
        async scansOnPush(repositoryName) {
          return scanDecision(await images.scanSettings(repositoryName), repositoryName) === 'scans-on-push';
        },
        async startScan(repositoryName, imageDigest) {
          await images.startScan(repositoryName, imageDigest);
        },
      };
      registries.set(key, registry);
      return registry;
    },
    copier(from, to) {
      const source = clientsAt(from).ecr;
      const target = clientsAt(to).ecr;
      if (from.accountId !== to.accountId || from.region !== to.region)
        return ecrImageCopier({ source, target });
      const key = `${to.accountId}/${to.region}/${to.roleArn ?? ''}`;
      let mount = mounters.get(key);
      if (!mount) {
        mount = registryBlobMounter(target, options.warn ? { warn: options.warn } : {});
        mounters.set(key, mount);
      }
      return ecrImageCopier({ source, target, mount });
    },
    destroy() {
      for (const { ecr, scans } of clients.values()) {
        ecr.destroy();
        scans.destroy();
      }
      sts.destroy();
    },
  };
}
