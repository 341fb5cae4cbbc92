/**
 * One blob from a source repository into a target repository, streamed: GetDownloadUrlForLayer on the source,
 * the download cut into parts as bytes arrive (one reused part buffer, never the whole layer), its sha256 checked
 * before CompleteLayerUpload on the target.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_InitiateLayerUpload.html
 */
import { createHash } from 'node:crypto';
import {
  CompleteLayerUploadCommand,
  type ECRClient,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  LayerAlreadyExistsException,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { ImageCopyError } from '../errors.ts';
import type { Descriptor } from './manifest-references.ts';

/** The two repositories and how to move bytes between them. */
export interface BlobStreamIo {
  sourceEcr: ECRClient;
  targetEcr: ECRClient;
  source: { registryId: string; repositoryName: string };
  target: { registryId: string; repositoryName: string };
  /** UploadLayerPart size (5–10 MiB, checked by the copier). */
  partSize: number;
  fetch: typeof globalThis.fetch;
}

/**
 * Stream one blob; answers the bytes uploaded and whether this upload completed it (false: the target already
 * had it when completing, e.g. a concurrent copy).
 * @throws ImageCopyError when the download fails or is not the blob its digest names
 */
export async function streamBlob(
  io: BlobStreamIo,
  descriptor: Descriptor,
): Promise<{ bytes: number; completed: boolean }> {
  const { digest } = descriptor;
  const { partSize } = io;
  const { downloadUrl } = await io.sourceEcr.send(
    new GetDownloadUrlForLayerCommand({
      registryId: io.source.registryId,
      repositoryName: io.source.repositoryName,
      layerDigest: digest,
    }),
  );
  if (!downloadUrl)
    throw new ImageCopyError(`GetDownloadUrlForLayer gave no URL for ${digest}`, { retryable: true });
  const response = await io.fetch(downloadUrl);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new ImageCopyError(`downloading ${digest} answered HTTP ${response.status}`, { retryable: true });
  }
  const reader = response.body.getReader();
  const target = { registryId: io.target.registryId, repositoryName: io.target.repositoryName };
  let sent = 0;
  try {
    const { uploadId } = await io.targetEcr.send(new InitiateLayerUploadCommand(target));
    const hash = createHash('sha256');
    // One buffer per blob, reused for every part: the SDK has serialised a part once its send resolves.
    const part = Buffer.allocUnsafe(partSize);
    let filled = 0;
    const upload = async (bytes: Buffer) => {
      await io.targetEcr.send(
        new UploadLayerPartCommand({
          ...target,
          uploadId,
          partFirstByte: sent,
          partLastByte: sent + bytes.length - 1,
          layerPartBlob: bytes,
        }),
      );
      sent += bytes.length;
    };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      for (let at = 0; at < value.length; ) {
        const n = Math.min(partSize - filled, value.length - at);
        part.set(value.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === partSize) {
          await upload(part);
          filled = 0;
        }
      }
    }
    if (filled > 0) await upload(part.subarray(0, filled));
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest || (descriptor.size !== undefined && sent !== descriptor.size)) {
      throw new ImageCopyError(
        `the download of ${digest} is ${sent} bytes hashing to ${actual}${descriptor.size === undefined ? '' : ` (the manifest says ${descriptor.size} bytes)`}: not completing the upload`,
        { retryable: true },
      );
    }
    try {
      await io.targetEcr.send(
        new CompleteLayerUploadCommand({ ...target, uploadId, layerDigests: [digest] }),
      );
      return { bytes: sent, completed: true };
    } catch (error) {
      // A concurrent copy completed the same blob first: the target has it, which is all we wanted. The
      // bytes went over the wire either way.
      if (!(error instanceof LayerAlreadyExistsException)) throw error;
      return { bytes: sent, completed: false };
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
}
