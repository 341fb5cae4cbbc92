import { SentinelError } from '../shared/errors.ts';

/**
 * The promotion can't happen as asked and retrying won't change that: the target's immutable tag is held by
 * another digest, a concurrent status change won, an approval came from the requester. Nothing was changed.
 */
export class PromotionConflictError extends SentinelError {
  override readonly name = 'PromotionConflictError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, ...options });
  }
}

/**
 * A copy failed for a reason other than a conflict or a vanished image: a download that is not the blob it
 * claims to be, an index whose child is not in the source, a target repository that does not exist. Nothing
 * was tagged in the target; `retryable` says whether trying again can help.
 */
export class ImageCopyError extends SentinelError {
  override readonly name = 'ImageCopyError';
}
