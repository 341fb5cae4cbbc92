import { DescribeImageScanFindingsCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { eventually } from './eventually.ts';

/**
 * Wait until the sandbox's scan of an image is COMPLETE (scan on push, or a started scan), and return the
 * status last read: a test's assertion on it then says what went wrong.
 */
export async function scanCompleted(
  ecr: ECRClient,
  repositoryName: string,
  imageDigest: string,
): Promise<string | undefined> {
  return eventually(
    () =>
      ecr
        .send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest } }))
        .then((out) => out.imageScanStatus?.status)
        .catch(() => undefined),
    (status) => status === 'COMPLETE',
  );
}
