import { randomUUID } from 'node:crypto';
import type { RegistryApiResponse, WireResponse } from '../contracts.ts';
import { accountSetting } from '../ecr/account-settings.ts';
import type { BlobWriter } from '../ecr/blob-store.ts';
import { isDigest, isSha256Digest } from '../ecr/digest.ts';
import type { RepositoryRecord, Upload } from '../ecr/state.ts';
import { headerOf, type OciContext, repositoryFor } from './context.ts';
import { OciError } from './errors.ts';
import { reply } from './http.ts';
import { type ByteRange, parseContentRange, parseRange, uploadedRange } from './ranges.ts';

/**
 * Blobs through the registry API: download (HEAD/GET, with `Range`), uploads (monolithic `POST ?digest=`,
 * sessions with `PATCH` chunks closed by `PUT ?digest=`, status, cancel) and cross-repository mounts. Uploads
 * are the same sessions InitiateLayerUpload opens and land in the same blob store CompleteLayerUpload fills
 * (RegistryState.uploads / addBlobToRepository), so a layer is one blob whichever API moved it.
 *
 * Bytes stream: an upload's body goes from the socket into the upload's BlobWriter (a temp file with a state dir)
 * while its sha256 is computed, and a download streams from the blob store; no layer is ever read whole. A body
 * cut off mid-way drops what it wrote (and its session), so nothing half-written stays behind.
 */

function blobPath(name: string, digest: string): string {
  return `/v2/${name}/blobs/${digest}`;
}

function uploadPath(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

/** True when images use the blob and every one of them is archived or being restored (pulls refused). */
function onlyUnpullable(repo: RepositoryRecord, digest: string): boolean {
  const uses = repo.blobs.get(digest) ?? 0;
  return uses > 0 && (repo.unpullableBlobs.get(digest) ?? 0) >= uses;
}

function digestOf(value: string | null, what: string): string {
  if (value === null || !isDigest(value))
    throw new OciError('DIGEST_INVALID', `${what} is not a valid digest`);
  if (!isSha256Digest(value)) {
    throw new OciError('DIGEST_INVALID', `Only sha256 digests are supported, got '${value}'`);
  }
  return value;
}

/** HEAD/GET `/v2/<name>/blobs/<digest>`. */
export function getBlob(ctx: OciContext, name: string, digest: string, head: boolean): RegistryApiResponse {
  if (!isDigest(digest)) throw new OciError('DIGEST_INVALID', `'${digest}' is not a valid digest`);
  const repo = repositoryFor(ctx, name);
  const stored = repo.blobs.has(digest) ? ctx.ecr.state.blobs.get(digest) : undefined;
  if (!stored) {
    throw new OciError('BLOB_UNKNOWN', `The blob with digest '${digest}' does not exist in '${name}'`, {
      digest,
    });
  }
  if (onlyUnpullable(repo, digest)) {
    // Archived images can't be pulled (archive guide: 404), nor the layers only they use.
    throw new OciError('BLOB_UNKNOWN', `The blob with digest '${digest}' belongs only to archived images`, {
      digest,
    });
  }
  const size = stored.size;
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'docker-content-digest': digest,
    'accept-ranges': 'bytes',
  };
  const range = parseRange(headerOf(ctx, 'range'), size);
  if (range === 'unsatisfiable') {
    throw new OciError('RANGE_INVALID', `Range not satisfiable for a blob of ${size} bytes`, undefined, {
      'content-range': `bytes */${size}`,
    });
  }
  if (range !== undefined) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  const length = range === undefined ? size : range.end - range.start + 1;
  const response = reply(range === undefined ? 200 : 206, headers);
  response.headers['content-length'] = String(length);
  if (head) return response;
  return { ...response, body: ctx.ecr.state.store.open(digest, range) ?? Buffer.alloc(0) };
}

function sessionStarted(ctx: OciContext, repo: RepositoryRecord): WireResponse {
  const id = randomUUID();
  ctx.ecr.state.uploads.set(id, {
    id,
    repositoryName: repo.name,
    partSizes: [],
    received: 0,
    writer: ctx.ecr.state.store.writer(),
  });
  return reply(202, {
    location: uploadPath(repo.name, id),
    range: uploadedRange(0),
    'docker-upload-uuid': id,
  });
}

function blobCreated(repo: RepositoryRecord, digest: string): WireResponse {
  return reply(201, { location: blobPath(repo.name, digest), 'docker-content-digest': digest });
}

/** The request's body as chunks: the Buffer an in-process caller passed, or the socket's stream. */
function bodyOf(ctx: OciContext): AsyncIterable<Buffer> | Iterable<Buffer> {
  const body = ctx.request.body;
  return Buffer.isBuffer(body) ? [body] : body;
}

/** How many bytes the body has, when known before reading it (a Buffer's length, or `Content-Length`). */
function declaredLength(ctx: OciContext): number | undefined {
  const body = ctx.request.body;
  if (Buffer.isBuffer(body)) return body.length;
  const header = headerOf(ctx, 'content-length');
  const length = header === undefined ? Number.NaN : Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function cutOff(error: unknown, received: number): OciError {
  const reason = error instanceof Error ? error.message : String(error);
  return new OciError(
    'BLOB_UPLOAD_INVALID',
    `The upload's body was cut off after ${received} bytes (${reason}); its bytes were dropped`,
  );
}

/**
 * Finish `writer` and keep its bytes as the blob `expected` when their digest is that one; else DIGEST_INVALID,
 * and the bytes (a temp file) are dropped. A blob already there is no error, unlike CompleteLayerUpload.
 */
async function storeBlob(
  ctx: OciContext,
  repo: RepositoryRecord,
  expected: string,
  writer: BlobWriter,
): Promise<WireResponse> {
  try {
    const digest = await writer.finish();
    if (digest !== expected) {
      throw new OciError(
        'DIGEST_INVALID',
        `The digest calculated for the uploaded content (${digest}) does not match the expected digest '${expected}'`,
        { expected, calculated: digest },
      );
    }
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if (!ctx.ecr.state.attachUploadedBlob(repo, expected)) {
    throw new OciError('NAME_UNKNOWN', `The repository '${repo.name}' was deleted during the upload`);
  }
  ctx.ecr.changed();
  return blobCreated(repo, expected);
}

/**
 * Mount `digest` from repository `from` of the same registry, as ECR does: only with the account setting
 * BLOB_MOUNTING = ENABLED, only when an image in the source references the blob (aws/containers-roadmap #2860),
 * and only between repositories of the same encryption type and key (blob-mounting guide). Copies nothing: the
 * registry stores each blob once. Undefined when it can't mount (the caller then starts an upload, 202).
 */
function mount(
  ctx: OciContext,
  repo: RepositoryRecord,
  digest: string,
  from: string,
): WireResponse | undefined {
  if (accountSetting(ctx.ecr, 'BLOB_MOUNTING') !== 'ENABLED') return undefined;
  const source = ctx.ecr.state.repos.get(from);
  const stored = ctx.ecr.state.blobs.has(digest);
  if (!source || !stored || (source.blobs.get(digest) ?? 0) === 0 || onlyUnpullable(source, digest)) {
    return undefined;
  }
  if (
    source.encryption.encryptionType !== repo.encryption.encryptionType ||
    source.encryption.kmsKey !== repo.encryption.kmsKey
  ) {
    return undefined;
  }
  ctx.ecr.state.addBlobToRepository(repo, digest);
  ctx.ecr.changed();
  return blobCreated(repo, digest);
}

/** POST `/v2/<name>/blobs/uploads/`: a mount, a monolithic upload (`?digest=`), or a new session. */
export async function startUpload(ctx: OciContext, name: string): Promise<WireResponse> {
  const repo = repositoryFor(ctx, name, true);
  const mountDigest = ctx.query.get('mount');
  const from = ctx.query.get('from');
  if (mountDigest !== null) {
    const digest = digestOf(mountDigest, 'mount');
    if (from !== null && from !== '') {
      const mounted = mount(ctx, repo, digest, from);
      if (mounted) return mounted;
    }
    return sessionStarted(ctx, repo);
  }
  const given = ctx.query.get('digest');
  if (given === null) return sessionStarted(ctx, repo);
  const expected = digestOf(given, 'digest');
  const writer = ctx.ecr.state.store.writer();
  try {
    await writer.pipeFrom(bodyOf(ctx));
  } catch (error) {
    await writer.abort();
    throw cutOff(error, writer.size);
  }
  return storeBlob(ctx, repo, expected, writer);
}

function uploadOf(ctx: OciContext, repo: RepositoryRecord, id: string): Upload {
  const upload = ctx.ecr.state.uploads.get(id);
  if (!upload || upload.repositoryName !== repo.name) {
    throw new OciError('BLOB_UPLOAD_UNKNOWN', `The upload with id '${id}' does not exist in '${repo.name}'`);
  }
  return upload;
}

function uploadHeaders(repo: RepositoryRecord, upload: Upload): Record<string, string> {
  return {
    location: uploadPath(repo.name, upload.id),
    range: uploadedRange(upload.received),
    'docker-upload-uuid': upload.id,
  };
}

/**
 * Stream the request's body into the upload as its next chunk. A `Content-Range`, when sent, must start where the
 * upload stands (else 416, before a byte is read) and cover the bytes sent. A body cut off ends the session.
 */
async function append(ctx: OciContext, repo: RepositoryRecord, upload: Upload): Promise<void> {
  const length = declaredLength(ctx);
  if (length === 0) return;
  const rangeHeader = headerOf(ctx, 'content-range');
  let range: ByteRange | undefined;
  if (rangeHeader !== undefined) {
    range = parseContentRange(rangeHeader);
    if (!range) throw new OciError('BLOB_UPLOAD_INVALID', `Invalid Content-Range '${rangeHeader}'`);
  }
  const rangeLength = range === undefined ? undefined : range.end - range.start + 1;
  if (range && (range.start !== upload.received || (length !== undefined && rangeLength !== length))) {
    throw new OciError(
      'RANGE_INVALID',
      `The chunk ${range.start}-${range.end} (${length ?? 'unknown'} bytes) does not continue the upload at byte ${upload.received}`,
      undefined,
      uploadHeaders(repo, upload),
    );
  }
  if (upload.busy) {
    throw new OciError('BLOB_UPLOAD_INVALID', `The upload '${upload.id}' is already receiving a chunk`);
  }
  upload.busy = true;
  try {
    await upload.writer.pipeFrom(bodyOf(ctx));
  } catch (error) {
    await ctx.ecr.state.dropUpload(upload.id);
    throw cutOff(error, upload.writer.size - upload.received);
  } finally {
    upload.busy = false;
  }
  const received = upload.writer.size - upload.received;
  if (rangeLength !== undefined && received !== rangeLength) {
    // The bytes are written already: the session can't be rewound to before them.
    await ctx.ecr.state.dropUpload(upload.id);
    throw new OciError(
      'BLOB_UPLOAD_INVALID',
      `The chunk had ${received} bytes, not the ${rangeLength} its Content-Range names; the upload was cancelled`,
    );
  }
  if (received > 0) upload.partSizes.push(received);
  upload.received = upload.writer.size;
}

/** PATCH `/v2/<name>/blobs/uploads/<id>`: one chunk. */
export async function patchUpload(ctx: OciContext, name: string, id: string): Promise<WireResponse> {
  const repo = repositoryFor(ctx, name);
  const upload = uploadOf(ctx, repo, id);
  await append(ctx, repo, upload);
  return reply(202, uploadHeaders(repo, upload));
}

/** PUT `/v2/<name>/blobs/uploads/<id>?digest=`: the last chunk (optional), then the blob is checked and stored. */
export async function finishUpload(ctx: OciContext, name: string, id: string): Promise<WireResponse> {
  const repo = repositoryFor(ctx, name);
  const upload = uploadOf(ctx, repo, id);
  const expected = digestOf(ctx.query.get('digest'), 'digest');
  await append(ctx, repo, upload);
  // The session ends here whatever the outcome, as CompleteLayerUpload's does.
  ctx.ecr.state.uploads.delete(upload.id);
  return storeBlob(ctx, repo, expected, upload.writer);
}

/** GET `/v2/<name>/blobs/uploads/<id>`: where the upload stands. */
export function uploadStatus(ctx: OciContext, name: string, id: string): WireResponse {
  const repo = repositoryFor(ctx, name);
  return reply(204, uploadHeaders(repo, uploadOf(ctx, repo, id)));
}

/** DELETE `/v2/<name>/blobs/uploads/<id>`: cancel the upload (its bytes go). */
export async function cancelUpload(ctx: OciContext, name: string, id: string): Promise<WireResponse> {
  const repo = repositoryFor(ctx, name);
  await ctx.ecr.state.dropUpload(uploadOf(ctx, repo, id).id);
  return reply(204, {});
}
