import { randomUUID } from 'node:crypto';
import type {
  BatchCheckLayerAvailabilityResponse,
  CompleteLayerUploadResponse,
  GetAuthorizationTokenResponse,
  GetDownloadUrlForLayerResponse,
  InitiateLayerUploadResponse,
  UploadLayerPartResponse,
} from '@aws-sdk/client-ecr';
import { type BlobDownload, blobUrl, type EcrCaller } from '../contracts.ts';
import { issueToken, TOKEN_LIFETIME_MS } from '../oci/token.ts';
import type { EcrContext, Operations } from './context.ts';
import { isDigest } from './digest.ts';
import { EcrError, invalidParameter } from './errors.ts';
import type { RegistryState, RepositoryRecord, Upload } from './state.ts';
import { type Input, optionalArray, requiredString } from './validation.ts';
import { seconds, type Wire } from './wire.ts';

const MIN_PART_BYTES = 5 * 1024 * 1024;
const PART_SIZE = 10 * 1024 * 1024;

/**
 * Layers, the way `docker push`/`pull` move blobs: BatchCheckLayerAvailability, the layer upload
 * (Initiate, UploadLayerPart, Complete, with ECR's part and digest checks), GetDownloadUrlForLayer, and the
 * GetAuthorizationToken a client asks for first.
 */
export function layerOperations(ecr: EcrContext): Operations {
  return {
    BatchCheckLayerAvailability: (i) => batchCheckLayerAvailability(ecr, i),
    InitiateLayerUpload: (i) => initiateLayerUpload(ecr, i),
    UploadLayerPart: (i) => uploadLayerPart(ecr, i),
    CompleteLayerUpload: (i) => completeLayerUpload(ecr, i),
    GetDownloadUrlForLayer: (i) => getDownloadUrlForLayer(ecr, i),
    GetAuthorizationToken: (_i, caller) => getAuthorizationToken(ecr, caller),
  };
}

/** Bytes of a blob the repository holds, whole (read from its file when blobs are on disk). */
export function readBlob(state: RegistryState, repositoryName: string, digest: string): Buffer | undefined {
  const repo = state.repos.get(repositoryName);
  if (!repo?.blobs.has(digest)) return undefined;
  return state.store.read(digest);
}

/** A blob the repository holds, to stream (served by the edge at the download URL). */
export function openBlob(
  state: RegistryState,
  repositoryName: string,
  digest: string,
): BlobDownload | undefined {
  const repo = state.repos.get(repositoryName);
  const stored = repo?.blobs.has(digest) ? state.blobs.get(digest) : undefined;
  if (!stored) return undefined;
  return { size: stored.size, open: () => state.store.open(digest) ?? Buffer.alloc(0) };
}

function layerDigestsOf(input: Input): unknown[] {
  const digests = optionalArray(input, 'layerDigests');
  if (digests === undefined || digests.length < 1 || digests.length > 100) {
    throw invalidParameter(
      "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Member must have length between 1 and 100'",
    );
  }
  return digests;
}

function batchCheckLayerAvailability(
  ecr: EcrContext,
  input: Input,
): Wire<BatchCheckLayerAvailabilityResponse> {
  const repo = ecr.repoOf(input);
  const digests = layerDigestsOf(input);
  const layers: NonNullable<Wire<BatchCheckLayerAvailabilityResponse>['layers']> = [];
  const failures: NonNullable<Wire<BatchCheckLayerAvailabilityResponse>['failures']> = [];
  for (const digest of digests) {
    if (!isDigest(digest)) {
      failures.push({
        layerDigest: String(digest),
        failureCode: 'InvalidLayerDigest',
        failureReason: 'Invalid layer digest',
      });
      continue;
    }
    const stored = repo.blobs.has(digest) ? ecr.state.blobs.get(digest) : undefined;
    if (!stored) {
      failures.push({
        layerDigest: digest,
        failureCode: 'MissingLayerDigest',
        failureReason: 'Could not find layer',
      });
      continue;
    }
    layers.push({
      layerDigest: digest,
      layerAvailability: onlyUnpullable(repo, digest) ? 'ARCHIVED' : 'AVAILABLE',
      layerSize: stored.size,
    });
  }
  return { layers, failures };
}

function initiateLayerUpload(ecr: EcrContext, input: Input): Wire<InitiateLayerUploadResponse> {
  const repo = ecr.repoOf(input);
  const id = randomUUID();
  ecr.state.uploads.set(id, {
    id,
    repositoryName: repo.name,
    partSizes: [],
    received: 0,
    writer: ecr.state.store.writer(),
  });
  return { uploadId: id, partSize: PART_SIZE };
}

function uploadOf(ecr: EcrContext, repo: RepositoryRecord, input: Input): Upload {
  const uploadId = requiredString(input, 'uploadId');
  const upload = ecr.state.uploads.get(uploadId);
  if (!upload || upload.repositoryName !== repo.name) {
    throw new EcrError(
      'UploadNotFoundException',
      `The upload with id '${uploadId}' does not exist in the repository with name '${repo.name}' in the registry with id '${ecr.accountId}'`,
    );
  }
  return upload;
}

async function uploadLayerPart(ecr: EcrContext, input: Input): Promise<Wire<UploadLayerPartResponse>> {
  const repo = ecr.repoOf(input);
  const upload = uploadOf(ecr, repo, input);
  const first = input.partFirstByte;
  const last = input.partLastByte;
  const blob = requiredString(input, 'layerPartBlob');
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) {
    throw invalidParameter(
      "Invalid parameter at 'partFirstByte/partLastByte' failed to satisfy constraint: 'must be non-negative integers'",
    );
  }
  const data = Buffer.from(blob, 'base64');
  // Parts must continue exactly where the last one ended, and the range must describe the bytes sent.
  if (first !== upload.received || last !== (first as number) + data.length - 1) {
    throw new EcrError(
      'InvalidLayerPartException',
      `The layer part with range ${String(first)}-${String(last)} is not valid for upload '${upload.id}': the next part must start at byte ${upload.received} and cover the ${data.length} bytes sent`,
      {
        extra: {
          registryId: ecr.accountId,
          repositoryName: repo.name,
          uploadId: upload.id,
          lastValidByteReceived: upload.received - 1,
        },
      },
    );
  }
  if (upload.busy) {
    throw new EcrError(
      'InvalidLayerPartException',
      `The upload '${upload.id}' is receiving a chunk through the registry API; send the part after it`,
    );
  }
  // Counted before the write is awaited, so a part sent right behind this one is checked against it; the
  // writer keeps writes in order.
  upload.partSizes.push(data.length);
  upload.received += data.length;
  try {
    await upload.writer.write(data);
  } catch (error) {
    await ecr.state.dropUpload(upload.id);
    throw error;
  }
  return {
    registryId: ecr.accountId,
    repositoryName: repo.name,
    uploadId: upload.id,
    lastByteReceived: last as number,
  };
}

async function completeLayerUpload(
  ecr: EcrContext,
  input: Input,
): Promise<Wire<CompleteLayerUploadResponse>> {
  const repo = ecr.repoOf(input);
  const upload = uploadOf(ecr, repo, input);
  const digests = layerDigestsOf(input);
  for (const [index, digest] of digests.entries()) {
    if (!isDigest(digest))
      throw invalidParameter(
        `Invalid parameter at 'layerDigests[${index}]' failed to satisfy constraint: 'must be a valid digest'`,
      );
  }
  ecr.state.uploads.delete(upload.id);
  let digest: string;
  try {
    digest = await verifiedDigest(ecr, repo, upload, digests);
    await upload.writer.commit();
  } catch (error) {
    // The session is over whatever the outcome (as ECR's): its bytes go.
    await upload.writer.abort();
    throw error;
  }
  if (!ecr.state.attachUploadedBlob(repo, digest)) throw ecr.repositoryNotFound(repo.name);
  return {
    registryId: ecr.accountId,
    repositoryName: repo.name,
    uploadId: upload.id,
    layerDigest: digest,
  };
}

/** The digest of the upload's bytes, once ECR's checks of the parts, the digest and the repository pass. */
async function verifiedDigest(
  ecr: EcrContext,
  repo: RepositoryRecord,
  upload: Upload,
  digests: unknown[],
): Promise<string> {
  if (upload.partSizes.length === 0 || upload.received === 0) {
    throw new EcrError('EmptyUploadException', `The upload with id '${upload.id}' contains no layer parts`);
  }
  const tooSmall = upload.partSizes.slice(0, -1).findIndex((size) => size < MIN_PART_BYTES);
  if (tooSmall >= 0) {
    throw new EcrError(
      'LayerPartTooSmallException',
      `Layer part ${tooSmall + 1} of upload '${upload.id}' is smaller than the 5 MiB minimum for all parts but the last`,
    );
  }
  const digest = await upload.writer.finish();
  if (!digests.includes(digest)) {
    throw new EcrError(
      'InvalidLayerException',
      `The layer digest calculated for the upload with id '${upload.id}' (${digest}) does not match the expected digest '${digests.join(', ')}'`,
    );
  }
  if (repo.blobs.has(digest)) {
    throw new EcrError(
      'LayerAlreadyExistsException',
      `The layer with digest '${digest}' already exists in the repository with name '${repo.name}' in the registry with id '${ecr.accountId}'`,
    );
  }
  return digest;
}

function getDownloadUrlForLayer(ecr: EcrContext, input: Input): Wire<GetDownloadUrlForLayerResponse> {
  const repo = ecr.repoOf(input);
  const digest = requiredString(input, 'layerDigest');
  if (!isDigest(digest))
    throw invalidParameter(
      "Invalid parameter at 'layerDigest' failed to satisfy constraint: 'must be a valid digest'",
    );
  const uses = repo.blobs.get(digest);
  if (uses === undefined) {
    throw new EcrError(
      'LayersNotFoundException',
      `The layer with digest '${digest}' does not exist in the repository with name '${repo.name}' in the registry with id '${ecr.accountId}'`,
    );
  }
  if (uses === 0) {
    throw new EcrError(
      'LayerInaccessibleException',
      `The layer with digest '${digest}' is not accessible because it is not associated with an image`,
    );
  }
  if (onlyUnpullable(repo, digest)) {
    // Archived images can't be pulled (archive guide: the pull fails with 404); the layer exists but is not
    // available, so the inferred answer is LayerInaccessibleException rather than LayersNotFoundException.
    throw new EcrError(
      'LayerInaccessibleException',
      `The layer with digest '${digest}' is not accessible because every image that uses it is archived`,
    );
  }
  return {
    downloadUrl: blobUrl(ecr.options.publicUrl(), repo.name, digest, ecr.downloadRegistry),
    layerDigest: digest,
  };
}

/** True when images use the blob and every one of them is archived or still being restored. */
function onlyUnpullable(repo: RepositoryRecord, digest: string): boolean {
  const uses = repo.blobs.get(digest) ?? 0;
  return uses > 0 && (repo.unpullableBlobs.get(digest) ?? 0) >= uses;
}

/**
 * base64 `AWS:<token>`, valid 12 hours on the sandbox clock: the password the registry API (`/v2/`, oci/)
 * accepts, naming the principal that asked (IAM on `/v2/` is checked for it) and this registry's account and
 * Region. The token is verifiable without being stored (oci/token.ts).
 */
function getAuthorizationToken(ecr: EcrContext, caller?: EcrCaller): Wire<GetAuthorizationTokenResponse> {
  const expiresAt = ecr.nowMs() + TOKEN_LIFETIME_MS;
  const token = issueToken({
    accountId: ecr.accountId,
    region: ecr.options.region,
    principalArn: caller?.principalArn ?? `arn:aws:iam::${ecr.accountId}:root`,
    expiresAt,
  });
  return {
    authorizationData: [
      {
        authorizationToken: Buffer.from(`AWS:${token}`, 'utf8').toString('base64'),
        expiresAt: seconds(expiresAt),
        proxyEndpoint: ecr.options.publicUrl(),
      },
    ],
  };
}
