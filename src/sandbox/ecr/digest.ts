// The emulator computes digests with production's `sha256Digest` (src/shared/ecr/manifests.ts), so both name
// bytes the same way; this file only checks the shape of digests clients send.

// AWS's own samples carry digests that are not 64 hex characters, so shape checks stay lenient:
// `algorithm:encoded` per the OCI grammar, without insisting on the encoded length.
const LENIENT_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** True when `value` looks like `algorithm:hex-ish` (lenient, per the OCI descriptor grammar). */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 200 && LENIENT_DIGEST.test(value);
}

/** True when `value` is a canonical sha256 digest (64 lowercase hex characters). */
export function isSha256Digest(value: unknown): value is string {
  return typeof value === 'string' && /^sha256:[a-f0-9]{64}$/.test(value);
}
