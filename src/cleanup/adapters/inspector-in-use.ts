import {
  type CoverageStringFilter,
  type CoveredResource,
  type Inspector2Client,
  paginateListCoverage,
} from '@aws-sdk/client-inspector2';
import { IMAGE_DIGEST_PATTERN } from '../../shared/ecr/names.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import { type CleanedRegistry, usesOf } from '../domain/image-uri.ts';
import type { ImageUse, ProtectionSignal, SignalDoubt } from '../ports.ts';
import { doubtOf } from './signal-doubt.ts';

const SIGNAL = 'inspector';

/** ListCoverage returns at most 200 resources a page. */
const PAGE = 200;
/** Repository names per `ecrRepositoryName` filter (the values of one filter are OR-ed); kept small and safe. */
const REPOSITORIES_PER_QUERY = 10;
const DAY_MS = 86_400_000;

/**
 * What {@link inspectorInUse} calls: ListCoverage has no resource type.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoninspector2.html
 */
export const inspectorInUsePermissions: IamPermissions = [
  { actions: ['inspector2:ListCoverage'], resource: '*' },
];

/** What {@link inspectorInUse} needs besides the client. */
export interface InspectorInUseOptions {
  /** An image last in use at most this many days before `now` still counts as in use. */
  readonly withinDays: number;
  /** The account and Region being cleaned: an image of another account keeps its `registryId`. */
  readonly registry: CleanedRegistry;
}

/**
 * The image an Inspector coverage resource id names: `arn:aws:ecr:<region>:<account>:repository/<name>/<digest>`
 * (the repository name may hold `/`, the digest is the last segment).
 */
function imageOf(
  resource: CoveredResource,
): { registryId: string; region: string; repositoryName: string; digest: string } | undefined {
  const match = /^arn:[^:]+:ecr:([^:]+):(\d{12}):repository\/(.+)\/([^/]+)$/.exec(resource.resourceId ?? '');
  if (!match) return undefined;
  const [, region, registryId, repositoryName, digest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  return IMAGE_DIGEST_PATTERN.test(digest) ? { registryId, region, repositoryName, digest } : undefined;
}

/**
 * Why Inspector says an image is in use, or undefined when it does not: running now in ECS tasks or EKS pods
 * (`inUseCount`), or last seen running (`lastInUseAt`) within `withinDays` of `now`.
 */
function inUseReason(resource: CoveredResource, now: Date, withinDays: number): string | undefined {
  const image = resource.resourceMetadata?.ecrImage;
  if (image === undefined) return undefined;
  if ((image.inUseCount ?? 0) > 0) {
    return `Amazon Inspector: in use by ${image.inUseCount} ECS task(s) or EKS pod(s)`;
  }
  const last = image.lastInUseAt;
  if (last !== undefined && now.getTime() - last.getTime() <= withinDays * DAY_MS) {
    return `Amazon Inspector: last in use ${last.toISOString()} (within ${withinDays} days)`;
  }
  return undefined;
}

/**
 * The `inspector` protection signal: Amazon Inspector's in-use data of ECR images (enhanced scanning records, per
 * image, in how many ECS tasks and EKS pods it runs and when it last ran), read with ListCoverage filtered to ECR
 * container images (and to the repositories asked, when named), every page. In-use is judged here rather than with
 * the `ecrImageInUseCount` / `ecrImageLastInUseAt` filters so that one query answers both conditions.
 *
 * A registry without enhanced scanning has no coverage: the signal then finds nothing, which is not a doubt
 * (the ECS signal still covers what runs).
 * @see https://docs.aws.amazon.com/inspector/v2/APIReference/API_ListCoverage.html
 * @see https://docs.aws.amazon.com/inspector/v2/APIReference/API_EcrContainerImageMetadata.html
 */
export function inspectorInUse(
  inspector: Inspector2Client,
  options: InspectorInUseOptions,
): ProtectionSignal {
  const { registry, withinDays } = options;
  return {
    name: SIGNAL,
    async read({ repositories, now }) {
      const uses: ImageUse[] = [];
      const doubts: SignalDoubt[] = [];
      const batches: (readonly string[])[] = [];
      for (let at = 0; at < repositories.length; at += REPOSITORIES_PER_QUERY) {
        batches.push(repositories.slice(at, at + REPOSITORIES_PER_QUERY));
      }
      if (batches.length === 0) batches.push([]);

      for (const batch of batches) {
        const byName: CoverageStringFilter[] = batch.map((value) => ({ comparison: 'EQUALS', value }));
        try {
          const pages = paginateListCoverage(
            { client: inspector, pageSize: PAGE },
            {
              filterCriteria: {
                resourceType: [{ comparison: 'EQUALS', value: 'AWS_ECR_CONTAINER_IMAGE' }],
                ...(byName.length ? { ecrRepositoryName: byName } : {}),
              },
            },
          );
          for await (const page of pages) {
            for (const resource of page.coveredResources ?? []) {
              const image = imageOf(resource);
              if (image === undefined || image.region !== registry.region) continue;
              const reason = inUseReason(resource, now, withinDays);
              if (reason === undefined) continue;
              uses.push({
                repositoryName: image.repositoryName,
                ...(image.registryId === registry.accountId ? {} : { registryId: image.registryId }),
                digest: image.digest,
                reason,
              });
            }
          }
        } catch (error) {
          // A doubt per repository of the batch: the other batches' repositories may still be cleaned.
          if (batch.length === 0)
            doubts.push(doubtOf(SIGNAL, 'the Amazon Inspector coverage (ListCoverage)', error));
          for (const repositoryName of batch) {
            doubts.push(
              doubtOf(SIGNAL, 'the Amazon Inspector coverage (ListCoverage)', error, repositoryName),
            );
          }
        }
      }
      return { uses: usesOf(uses, repositories), doubts };
    },
  };
}
