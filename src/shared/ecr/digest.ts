import { createHash } from 'node:crypto';

/**
 * `sha256:<hex>` of some bytes: how ECR and OCI name blobs and manifests. Its own module (no SDK import) so the
 * ECR emulator can share it without loading the ECR client.
 */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
