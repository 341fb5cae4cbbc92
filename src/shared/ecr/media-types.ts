/*
 * Media types only, no SDK import: pure modules (cleanup's snapshot reader, domain rules) use them without
 * loading @aws-sdk/client-ecr. manifests.ts re-exports them for the modules that always imported them from there.
 */

/**
 * Manifest media types ECR stores: Docker image manifest V2 (schema 2) and manifest list, OCI image manifest
 * and index, and the legacy Docker V2 schema 1 (signed and not).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html
 */
export const MANIFEST_MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;
