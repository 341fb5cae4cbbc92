import { DescribeImagesCommand, type ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../iam.ts';
import { isImageGone } from './gone.ts';

/** What the registry tells us about one image, in our own terms. */
export interface ImageFacts {
  /** Every tag the image has now; empty when untagged. */
  tags: string[];
  pushedAt?: Date | undefined;
  sizeInBytes?: number | undefined;
  manifestMediaType?: string | undefined;
  artifactMediaType?: string | undefined;
}

/** Finds images by tag or digest (several capabilities resolve what a person named). */
export interface ImageLookup {
  /** The digest a tag points to, or undefined when no image has that tag. */
  resolveTag(repositoryName: string, imageTag: string): Promise<string | undefined>;
  /** Facts about an image by digest, or undefined when the image (or its repository) no longer exists. */
  describeImage(repositoryName: string, imageDigest: string): Promise<ImageFacts | undefined>;
}

/** What {@link ecrImageLookup} calls. */
export const ecrImageLookupPermissions: IamPermissions = [
  { actions: ['ecr:DescribeImages'], resource: 'ecr-repository' },
];

/**
 * {@link ImageLookup} on Amazon ECR.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
 */
export function ecrImageLookup(ecr: ECRClient): ImageLookup {
  return {
    async resolveTag(repositoryName, imageTag) {
      try {
        const out = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag }] }));
        return out.imageDetails?.[0]?.imageDigest;
      } catch (error) {
        if (error instanceof ImageNotFoundException) return undefined;
        throw error;
      }
    },

    async describeImage(repositoryName, imageDigest) {
      try {
        const out = await ecr.send(
          new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }),
        );
        const detail = out.imageDetails?.[0];
        if (!detail) return undefined;
        return {
          tags: detail.imageTags ?? [],
          pushedAt: detail.imagePushedAt,
          sizeInBytes: detail.imageSizeInBytes,
          manifestMediaType: detail.imageManifestMediaType,
          artifactMediaType: detail.artifactMediaType,
        };
      } catch (error) {
        // Image (or its whole repository) deleted between the event and now: a real race, not a failure.
        if (isImageGone(error)) return undefined;
        throw error;
      }
    },
  };
}
