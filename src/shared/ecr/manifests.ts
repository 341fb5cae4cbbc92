import {
  type ECRClient,
  ImageAlreadyExistsException,
  PutImageCommand,
  type PutImageCommandInput,
} from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../iam.ts';

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

/** What {@link putManifest} calls. */
export const putManifestPermissions: IamPermissions = [
  { actions: ['ecr:PutImage'], resource: 'ecr-repository' },
];

/**
 * PutImage of exact manifest bytes (never re-serialised: the digest is their sha256). The same manifest under
 * the same tag is already done, so ECR's ImageAlreadyExistsException counts as success (retries, promotions).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 */
export async function putManifest(ecr: ECRClient, input: PutImageCommandInput): Promise<void> {
  try {
    await ecr.send(new PutImageCommand(input));
  } catch (error) {
    if (!(error instanceof ImageAlreadyExistsException)) throw error;
  }
}
