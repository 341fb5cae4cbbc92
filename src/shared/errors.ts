/**
 * Base of the errors our code raises on purpose. `retryable` says what a handler should do with it: throw so
 * Lambda retries (and the payload reaches the onFailure queue after the last attempt), or record it as final.
 */
export class SentinelError extends Error {
  // Explicit names (not new.target.name): minified bundles rename classes.
  override name = 'SentinelError';
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

/**
 * The image (or its whole repository) was deleted: nothing left to judge, copy or enforce. The one convention
 * for "image gone" across capabilities: adapters translate ECR's ImageNotFound / RepositoryNotFound into this.
 */
export class ImageGoneError extends SentinelError {
  override readonly name = 'ImageGoneError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, ...options });
  }
}
