import { type ECRClient, paginateDescribeRepositories } from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../../shared/iam.ts';
import type { RepositoryLister } from '../check-ports.ts';

/** What {@link ecrRepositoryNames} calls. */
export const ecrRepositoryNamesPermissions: IamPermissions = [
  { actions: ['ecr:DescribeRepositories'], resource: 'ecr-repository' },
];

/**
 * {@link RepositoryLister} on Amazon ECR: DescribeRepositories, 1000 a page (its largest), names only, sorted.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html
 */
export function ecrRepositoryNames(ecr: ECRClient): RepositoryLister {
  return {
    async names() {
      const names: string[] = [];
      for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: 1000 }, {}))
        for (const r of page.repositories ?? []) if (r.repositoryName) names.push(r.repositoryName);
      return names.sort();
    },
  };
}
