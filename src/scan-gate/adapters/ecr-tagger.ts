import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { isImageGone } from '../../shared/ecr/gone.ts';
import { MANIFEST_MEDIA_TYPES, putManifest } from '../../shared/ecr/manifests.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import type { ImageTagger } from '../ports.ts';

/** Every manifest media type ECR stores, so BatchGetImage hands back the stored bytes unconverted. */
const ACCEPTED_MEDIA_TYPES = Object.values(MANIFEST_MEDIA_TYPES);

/** BatchDeleteImage failure codes that mean "that tag is not on this image (any more)": skip it. */
const NOT_HERE = new Set(['ImageTagDoesNotMatchDigest', 'ImageNotFound']);

/** The tag that keeps a blocked image alive when its last tags are removed: `sentinel-blocked-<12 hex>`. */
export function quarantineTag(imageDigest: string): string {
  const hex = imageDigest.slice(imageDigest.indexOf(':') + 1).replace(/[^a-zA-Z0-9]/g, '');
  return `sentinel-blocked-${hex.slice(0, 12)}`;
}

/** A BatchDeleteImage failure we can't explain as a race: retrying the invocation is the right answer. */
export class UntagError extends Error {
  override readonly name = 'UntagError';

  /** @param code ECR's failure code (e.g. `ImageReferencedByManifestList`), for one-line reports. */
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** What {@link ecrTagger} calls itself; the quarantine tag's PutImage is {@link putManifest}'s. */
export const ecrTaggerPermissions: IamPermissions = [
  {
    actions: ['ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:BatchDeleteImage'],
    resource: 'ecr-repository',
  },
];

/**
 * {@link ImageTagger} on Amazon ECR. Never deletes an image:
 * - BatchDeleteImage with `{imageDigest, imageTag}` removes only that tag, and only while it still points to
 *   this digest (else the item fails with ImageTagDoesNotMatchDigest and the tag is skipped);
 * - but ECR deletes an image whose *last* tag goes. So the image's tags are read first (DescribeImages), and
 *   when the removal would leave it untagged, it is first given a quarantine tag ({@link quarantineTag}) by
 *   PutImage of its exact manifest bytes and media type (BatchGetImage): the digest is unchanged and the
 *   image stays pullable by digest for investigation.
 * Calls: DescribeImages; + BatchDeleteImage when a listed tag is on the image; + BatchGetImage and PutImage
 * when those were its last tags. Race left open: a tag removed by someone else between DescribeImages and
 * BatchDeleteImage could make ours the last one.
 */
export function ecrTagger(ecr: ECRClient): ImageTagger {
  return {
    async untag(repositoryName, imageDigest, tags) {
      const wanted = [...new Set(tags)];
      if (wanted.length === 0) return { removed: [], skipped: [] };

      let current: string[];
      try {
        const out = await ecr.send(
          new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }),
        );
        current = out.imageDetails?.[0]?.imageTags ?? [];
      } catch (error) {
        // The image is gone: nothing deploys it by tag any more.
        if (isImageGone(error)) return { removed: [], skipped: wanted };
        throw error;
      }
      const remove = wanted.filter((tag) => current.includes(tag));
      const skipped = wanted.filter((tag) => !current.includes(tag));
      if (remove.length === 0) return { removed: [], skipped };

      if (current.every((tag) => remove.includes(tag))) {
        await addQuarantineTag(ecr, repositoryName, imageDigest);
      }

      const out = await ecr.send(
        new BatchDeleteImageCommand({
          repositoryName,
          imageIds: remove.map((imageTag) => ({ imageDigest, imageTag })),
        }),
      );
      const removed = (out.imageIds ?? [])
        .map((id) => id.imageTag)
        .filter((tag): tag is string => tag !== undefined && remove.includes(tag));
      for (const failure of out.failures ?? []) {
        const tag = failure.imageId?.imageTag;
        if (tag !== undefined && failure.failureCode !== undefined && NOT_HERE.has(failure.failureCode)) {
          skipped.push(tag);
        } else {
          throw new UntagError(
            `could not remove tag ${tag ?? '?'} from ${repositoryName}@${imageDigest}: ${failure.failureCode} ${failure.failureReason ?? ''}`.trim(),
            failure.failureCode ?? 'UnknownFailure',
          );
        }
      }
      return { removed, skipped };
    },
  };
}

/** PutImage of the image's exact manifest under the quarantine tag (already there: fine). */
async function addQuarantineTag(ecr: ECRClient, repositoryName: string, imageDigest: string) {
  const got = await ecr.send(
    new BatchGetImageCommand({
      repositoryName,
      imageIds: [{ imageDigest }],
      acceptedMediaTypes: ACCEPTED_MEDIA_TYPES,
    }),
  );
  const image = got.images?.[0];
  if (!image?.imageManifest) {
    const failure = got.failures?.[0];
    throw new UntagError(
      `could not read the manifest of ${repositoryName}@${imageDigest} to quarantine it: ${failure?.failureCode ?? 'no image'}`,
      failure?.failureCode ?? 'ImageNotFound',
    );
  }
  // Already there (a retry after the quarantine tag was added) is success.
  await putManifest(ecr, {
    repositoryName,
    imageManifest: image.imageManifest,
    imageManifestMediaType: image.imageManifestMediaType,
    imageDigest,
    imageTag: quarantineTag(imageDigest),
  });
}
