import {
  type ECRClient,
  ImageAlreadyExistsException,
  PutImageCommand,
  type PutImageCommandInput,
} from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../iam.ts';

export { MANIFEST_MEDIA_TYPES } from './media-types.ts';

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
