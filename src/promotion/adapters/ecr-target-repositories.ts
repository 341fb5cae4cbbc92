import {
  CreateRepositoryCommand,
  type CreateRepositoryCommandInput,
  DescribeRepositoriesCommand,
  type ECRClient,
  PutLifecyclePolicyCommand,
  type Repository,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../../shared/iam.ts';
import { wildcardMatch } from '../../shared/wildcard.ts';
import type { RepositorySettings, TargetRepositories } from '../ports.ts';

/** What {@link ecrTargetRepositories} calls. */
export const ecrTargetRepositoriesPermissions: IamPermissions = [
  {
    actions: ['ecr:DescribeRepositories', 'ecr:CreateRepository', 'ecr:PutLifecyclePolicy'],
    resource: 'ecr-repository',
  },
];

/**
 * {@link TargetRepositories} on Amazon ECR. DescribeRepositories first; only RepositoryNotFoundException leads to
 * CreateRepository with the environment's settings (scan on push, tag mutability, encryption), then
 * PutLifecyclePolicy when the environment has a policy. A repository that exists, however it is set up, is left
 * alone (drift is the compliance audit's business). RepositoryAlreadyExistsException means a concurrent
 * promotion created it between our two calls: not created by us, and its creator puts the policy.
 * Left open: a PutLifecyclePolicy that fails after CreateRepository leaves the repository without its policy,
 * and the next ensure finds it existing; the error is thrown so the promotion fails and says so.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutLifecyclePolicy.html
 */
export function ecrTargetRepositories(ecr: ECRClient): TargetRepositories {
  return {
    async ensure(registryId, repositoryName, settings) {
      try {
        await ecr.send(new DescribeRepositoriesCommand({ registryId, repositoryNames: [repositoryName] }));
        return { created: false };
      } catch (error) {
        if (!(error instanceof RepositoryNotFoundException)) throw error;
      }
      try {
        await ecr.send(new CreateRepositoryCommand(createInput(registryId, repositoryName, settings)));
      } catch (error) {
        if (error instanceof RepositoryAlreadyExistsException) return { created: false };
        throw error;
      }
      if (settings.lifecyclePolicyText !== undefined) {
        await ecr.send(
          new PutLifecyclePolicyCommand({
            registryId,
            repositoryName,
            lifecyclePolicyText: settings.lifecyclePolicyText,
          }),
        );
      }
      return { created: true };
    },
  };
}

/**
 * CreateRepository's input for the settings. `imageScanningConfiguration` is deprecated in favour of registry
 * scanning rules but still honoured where the registry uses basic scanning, so it is set as asked.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
 */
function createInput(
  registryId: string,
  repositoryName: string,
  settings: RepositorySettings,
): CreateRepositoryCommandInput {
  const { encryption } = settings;
  return {
    registryId,
    repositoryName,
    imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
    imageTagMutability: settings.imageTagMutability,
    encryptionConfiguration:
      encryption.type === 'AES256'
        ? { encryptionType: 'AES256' }
        : // Without a key ECR uses its AWS managed key (aws/ecr).
          {
            encryptionType: 'KMS',
            ...(encryption.kmsKey === undefined ? {} : { kmsKey: encryption.kmsKey }),
          },
  };
}

/**
 * Whether `tag` can't move to another image in `repository` (exclusion filters included): a promotion checks it
 * before copying, so a conflict is refused before any byte moves.
 */
export function isTagImmutable(repository: Repository, tag: string): boolean {
  const excluded = () =>
    (repository.imageTagMutabilityExclusionFilters ?? []).some(
      (f) => f.filter !== undefined && wildcardMatch(f.filter, tag),
    );
  switch (repository.imageTagMutability) {
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded();
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded();
    default:
      return false;
  }
}
