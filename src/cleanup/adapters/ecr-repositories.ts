import {
  type ECRClient,
  GetLifecyclePolicyCommand,
  LifecyclePolicyNotFoundException,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../../shared/iam.ts';
import type { RepositoryCatalog, RepositoryRef } from '../ports.ts';

/** DescribeRepositories' largest page (default 100). */
const REPOSITORIES_PAGE = 1000;

/** What {@link ecrRepositoryCatalog} calls. */
export const ecrRepositoryCatalogPermissions: IamPermissions = [
  { actions: ['ecr:DescribeRepositories', 'ecr:GetLifecyclePolicy'], resource: 'ecr-repository' },
];

/**
 * {@link RepositoryCatalog} on Amazon ECR: ⌈repositories/1000⌉ DescribeRepositories for the list, one
 * GetLifecyclePolicy per repository asked about.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetLifecyclePolicy.html
 */
export function ecrRepositoryCatalog(ecr: ECRClient): RepositoryCatalog {
  return {
    async list() {
      const repositories: RepositoryRef[] = [];
      const pages = paginateDescribeRepositories({ client: ecr, pageSize: REPOSITORIES_PAGE }, {});
      for await (const page of pages) {
        for (const { repositoryName, registryId } of page.repositories ?? []) {
          if (repositoryName !== undefined && registryId !== undefined) {
            repositories.push({ repositoryName, registryId });
          }
        }
      }
      return repositories;
    },

    async lifecyclePolicy(repositoryName) {
      try {
        const out = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }));
        return out.lifecyclePolicyText;
      } catch (error) {
        // The one expected answer for "no policy". RepositoryNotFoundException (deleted since the listing) is
        // not caught: "no policy" would let a plan run on a repository that is gone; the caller skips it.
        if (error instanceof LifecyclePolicyNotFoundException) return undefined;
        throw error;
      }
    },
  };
}
