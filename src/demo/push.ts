import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  type ECRClient,
  InitiateLayerUploadCommand,
  LayerAlreadyExistsException,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { sha256Digest } from '../shared/ecr/digest.ts';
import { putManifest } from '../shared/ecr/manifests.ts';
import type { IamPermissions } from '../shared/iam.ts';

/**
 * Pushing images the way `docker push` does, for the demo, the benchmarks and the tests. No deployed function
 * imports this: production code shares only putManifest (src/shared/ecr/manifests.ts) and sha256Digest (digest.ts).
 */

/** ECR accepts parts of 5–10 MiB (the last may be smaller); 8 MiB keeps well inside. */
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** What {@link uploadBlob} calls. */
export const uploadBlobPermissions: IamPermissions = [
  {
    actions: [
      'ecr:BatchCheckLayerAvailability',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
    ],
    resource: 'ecr-repository',
  },
];

/**
 * Upload a blob into a repository the way `docker push` does, unless it is already there:
 * BatchCheckLayerAvailability → InitiateLayerUpload → UploadLayerPart… → CompleteLayerUpload.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_InitiateLayerUpload.html
 * @returns whether bytes were uploaded (false when the repository already had the blob)
 */
export async function uploadBlob(
  ecr: ECRClient,
  repositoryName: string,
  bytes: Uint8Array,
  partSize = DEFAULT_PART_SIZE,
): Promise<{ digest: string; uploaded: boolean }> {
  const digest = sha256Digest(bytes);
  const check = await ecr.send(
    new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [digest] }),
  );
  if (check.layers?.[0]?.layerAvailability === 'AVAILABLE') return { digest, uploaded: false };

  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
  for (let first = 0; first < bytes.length; first += partSize) {
    const last = Math.min(first + partSize, bytes.length) - 1;
    await ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: first,
        partLastByte: last,
        layerPartBlob: bytes.subarray(first, last + 1),
      }),
    );
  }
  try {
    await ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));
  } catch (error) {
    // A concurrent pusher finished the same blob first: the repository has it, which is all we wanted.
    if (!(error instanceof LayerAlreadyExistsException)) throw error;
  }
  return { digest, uploaded: true };
}

/** An image as pushed: its blobs (config first, then layers) and the exact manifest text that names them. */
export interface ImageToPush {
  blobs: Uint8Array[];
  manifest: string;
  mediaType: string;
}

/**
 * Push an image the way `docker push` does: every blob through the layer APIs, then the manifest with PutImage.
 * Pushing the same manifest and tag again is not an error (ECR answers ImageAlreadyExistsException).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 */
export async function pushImage(
  ecr: ECRClient,
  repositoryName: string,
  image: ImageToPush,
  imageTag?: string,
): Promise<{ imageDigest: string; blobsUploaded: number }> {
  let blobsUploaded = 0;
  for (const blob of image.blobs) {
    if ((await uploadBlob(ecr, repositoryName, blob)).uploaded) blobsUploaded++;
  }
  await putManifest(ecr, {
    repositoryName,
    imageManifest: image.manifest,
    imageManifestMediaType: image.mediaType,
    imageTag,
  });
  return { imageDigest: sha256Digest(image.manifest), blobsUploaded };
}
