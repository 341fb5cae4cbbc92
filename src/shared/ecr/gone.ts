import { ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';

/**
 * ECR's answer when an image, or its whole repository, was deleted before we got to it: a race every
 * event-driven caller meets, never a failure. The one convention for "image gone": readers (lookups) answer
 * `undefined`, use cases that must act on the image throw {@link ImageGoneError} (src/shared/errors.ts), and
 * both decide with this.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html#API_DescribeImages_Errors
 */
export function isImageGone(error: unknown): boolean {
  return error instanceof ImageNotFoundException || error instanceof RepositoryNotFoundException;
}
