import type { EcrError } from '../ecr/errors.ts';

/**
 * The registry API's errors: the OCI distribution spec's codes, each with the HTTP status registries answer it
 * with, in the body `{"errors":[{"code","message","detail"}]}`.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
export const OCI_ERROR_STATUS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  TAG_INVALID: 400,
  RANGE_INVALID: 416,
} as const;

export type OciErrorCode = keyof typeof OCI_ERROR_STATUS;

/** A refusal of the registry API: code, message, optional detail, and extra headers (WWW-Authenticate, Range). */
export class OciError extends Error {
  readonly status: number;

  constructor(
    readonly code: OciErrorCode,
    message: string,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
    status?: number,
  ) {
    super(message);
    this.name = 'OciError';
    this.status = status ?? OCI_ERROR_STATUS[code];
  }

  /** The JSON body registries answer an error with. */
  body(): string {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.detail !== undefined) error.detail = this.detail;
    return JSON.stringify({ errors: [error] });
  }
}

/**
 * The registry API's answer to an ECR error raised by code both APIs share (images.ts, the repository lookup):
 * the OCI code that means the same thing, with ECR's message.
 */
export function ociErrorOf(error: EcrError): OciError {
  const code = ((): OciErrorCode => {
    switch (error.code) {
      case 'RepositoryNotFoundException':
        return 'NAME_UNKNOWN';
      case 'LayersNotFoundException':
      case 'ReferencedImagesNotFoundException':
        return 'MANIFEST_BLOB_UNKNOWN';
      case 'ImageTagAlreadyExistsException':
        return 'TAG_INVALID';
      case 'ImageDigestDoesNotMatchException':
        return 'DIGEST_INVALID';
      case 'ImageNotFoundException':
        return 'MANIFEST_UNKNOWN';
      case 'LimitExceededException':
        return 'TOOMANYREQUESTS';
      case 'AccessDeniedException':
        return 'DENIED';
      default:
        return 'MANIFEST_INVALID';
    }
  })();
  return new OciError(code, error.message);
}
