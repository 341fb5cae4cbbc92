import {
  BatchGetImageCommand,
  type ECRClient,
  type ImageDetail,
  paginateDescribeImages,
} from '@aws-sdk/client-ecr';
import { SentinelError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import {
  type DescribedImage,
  INDEX_MEDIA_TYPES,
  isIndexMediaType,
  repositoryImageOf,
  storageClassOf,
} from '../domain/image-detail.ts';
import type { RepositoryImages } from '../ports.ts';

/** DescribeImages' largest page (default 100): a repository costs ⌈images / 1000⌉ calls. */
const DESCRIBE_PAGE = 1000;
/** BatchGetImage takes at most 100 image ids per call. */
const GET_BATCH = 100;

/** What {@link ecrRepositoryImages} calls. */
export const ecrRepositoryImagesPermissions: IamPermissions = [
  { actions: ['ecr:DescribeImages', 'ecr:BatchGetImage'], resource: 'ecr-repository' },
];

/** ECR answered something cleanup can't plan on (an image without digest, an index it can't read). */
export class RepositoryListingError extends SentinelError {
  override readonly name = 'RepositoryListingError';
}

/**
 * {@link RepositoryImages} on Amazon ECR. Calls per repository of N images of which I are indexes:
 * ⌈N/1000⌉ DescribeImages + ⌈I/100⌉ BatchGetImage. Nothing else:
 * - a referrer's subject is DescribeImages' own `subjectManifestDigest` (no ListImageReferrers, no manifest read);
 * - index children come only from the index manifests (no API lists them), read in batches of 100.
 *
 * `filter.imageStatus: ANY` lists archived and activating images too (the default is ACTIVE only), so archive
 * rules see their images and a plan never mistakes an archived image for a missing one.
 *
 * An index whose children are unknown has no `references`: an archived (or activating) index, whose manifest
 * can't be pulled until it is restored, or one BatchGetImage did not return. A plan must then treat every
 * untagged image of the repository as possibly its child (as for a snapshot's `indexChildrenUnknown`).
 *
 * Beware: BatchGetImage is a pull for ECR, so each listing refreshes the indexes' `lastRecordedPullTime` (read
 * here before the manifests are fetched, so this run is unaffected; the next run sees the refresh). A
 * `sinceImagePulled` transition rule would then never archive an index: register cleanup's role with
 * RegisterPullTimeUpdateExclusion.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RegisterPullTimeUpdateExclusion.html
 */
export function ecrRepositoryImages(ecr: ECRClient): RepositoryImages {
  return {
    async list(repositoryName) {
      const details: DescribedImage[] = [];
      const pages = paginateDescribeImages(
        { client: ecr, pageSize: DESCRIBE_PAGE },
        { repositoryName, filter: { tagStatus: 'ANY', imageStatus: 'ANY' } },
      );
      for await (const page of pages) {
        for (const detail of page.imageDetails ?? []) details.push(described(repositoryName, detail));
      }
      // Only active indexes can be pulled: an archived one's manifest is out of reach until it is restored.
      const readable = details.filter(
        (d) => isIndexMediaType(d.imageManifestMediaType) && storageClassOf(d.imageStatus) === 'standard',
      );
      const children = await indexChildren(
        ecr,
        repositoryName,
        readable.map((d) => d.imageDigest),
      );
      return details.map((detail) => repositoryImageOf(detail, children.get(detail.imageDigest)));
    },
  };
}

/** An SDK `ImageDetail` with the fields ECR always sends checked, so the pure mapping can rely on them. */
function described(repositoryName: string, detail: ImageDetail): DescribedImage {
  const { imageDigest, imagePushedAt } = detail;
  if (imageDigest === undefined || imagePushedAt === undefined) {
    throw new RepositoryListingError(
      `DescribeImages of ${repositoryName} returned an image without imageDigest or imagePushedAt`,
      { retryable: false },
    );
  }
  return { ...detail, imageDigest, imagePushedAt };
}

/**
 * The child digests of each index (`manifests[].digest`), by index digest, from BatchGetImage in batches of 100.
 * An index that did not come back (archived or activating: not pullable, ECR answers ImageNotFound; deleted
 * since the listing; any other per-item failure) is left out: its children are unknown, never guessed.
 */
async function indexChildren(
  ecr: ECRClient,
  repositoryName: string,
  digests: readonly string[],
): Promise<Map<string, string[]>> {
  const children = new Map<string, string[]>();
  for (let start = 0; start < digests.length; start += GET_BATCH) {
    const batch = digests.slice(start, start + GET_BATCH);
    const out = await ecr.send(
      new BatchGetImageCommand({
        repositoryName,
        imageIds: batch.map((imageDigest) => ({ imageDigest })),
        acceptedMediaTypes: [...INDEX_MEDIA_TYPES],
      }),
    );
    for (const image of out.images ?? []) {
      const digest = image.imageId?.imageDigest;
      if (digest === undefined || image.imageManifest === undefined) continue;
      const references = childDigests(image.imageManifest);
      if (references !== undefined) children.set(digest, references);
    }
  }
  return children;
}

/**
 * `manifests[].digest` of an index manifest (OCI image index, Docker manifest list: the same field); undefined
 * (children unknown) for text that isn't an index, which ECR's own validation on PutImage should make impossible.
 */
function childDigests(manifest: string): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest);
  } catch {
    return undefined;
  }
  const manifests = (parsed as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return undefined;
  return manifests.flatMap((m) => {
    const child = (m as { digest?: unknown } | null)?.digest;
    return typeof child === 'string' ? [child] : [];
  });
}
