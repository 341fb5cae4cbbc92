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
