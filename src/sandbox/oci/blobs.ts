import { randomUUID } from 'node:crypto';
import { sha256Digest } from '../../shared/ecr/digest.ts';
import type { WireResponse } from '../contracts.ts';
import { accountSetting } from '../ecr/account-settings.ts';
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
export function getBlob(ctx: OciContext, name: string, digest: string, head: boolean): WireResponse {
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
  const size = stored.data.length;
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
  const part = range === undefined ? stored.data : stored.data.subarray(range.start, range.end + 1);
  if (range !== undefined) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  const response = reply(range === undefined ? 200 : 206, headers, head ? '' : part);
  response.headers['content-length'] = String(part.length);
  return response;
}

function sessionStarted(ctx: OciContext, repo: RepositoryRecord): WireResponse {
  const id = randomUUID();
  ctx.ecr.state.uploads.set(id, { id, repositoryName: repo.name, parts: [], received: 0 });
  return reply(202, {
    location: uploadPath(repo.name, id),
    range: uploadedRange(0),
    'docker-upload-uuid': id,
  });
}

function blobCreated(repo: RepositoryRecord, digest: string): WireResponse {
  return reply(201, { location: blobPath(repo.name, digest), 'docker-content-digest': digest });
}

/** Put verified bytes into the repository (a blob already there is no error, unlike CompleteLayerUpload). */
function storeBlob(ctx: OciContext, repo: RepositoryRecord, expected: string, data: Buffer): WireResponse {
  const digest = sha256Digest(data);
  if (digest !== expected) {
    throw new OciError(
      'DIGEST_INVALID',
      `The digest calculated for the uploaded content (${digest}) does not match the expected digest '${expected}'`,
      { expected, calculated: digest },
    );
  }
  ctx.ecr.state.addBlobToRepository(repo, digest, data);
  ctx.ecr.changed();
  return blobCreated(repo, digest);
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
  const stored = ctx.ecr.state.blobs.get(digest);
  if (!source || !stored || (source.blobs.get(digest) ?? 0) === 0 || onlyUnpullable(source, digest)) {
    return undefined;
  }
  if (
    source.encryption.encryptionType !== repo.encryption.encryptionType ||
    source.encryption.kmsKey !== repo.encryption.kmsKey
  ) {
    return undefined;
  }
  ctx.ecr.state.addBlobToRepository(repo, digest, stored.data);
  ctx.ecr.changed();
  return blobCreated(repo, digest);
}

/** POST `/v2/<name>/blobs/uploads/`: a mount, a monolithic upload (`?digest=`), or a new session. */
export function startUpload(ctx: OciContext, name: string): WireResponse {
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
  if (given !== null) return storeBlob(ctx, repo, digestOf(given, 'digest'), ctx.request.body);
  return sessionStarted(ctx, repo);
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

/** Append a chunk; its `Content-Range`, when sent, must start where the upload stands (else 416). */
function append(repo: RepositoryRecord, upload: Upload, body: Buffer, rangeHeader: string | undefined): void {
  let range: ByteRange | undefined;
  if (rangeHeader !== undefined && body.length > 0) {
    range = parseContentRange(rangeHeader);
    if (!range) throw new OciError('BLOB_UPLOAD_INVALID', `Invalid Content-Range '${rangeHeader}'`);
  }
  if (range && (range.start !== upload.received || range.end - range.start + 1 !== body.length)) {
    throw new OciError(
      'RANGE_INVALID',
      `The chunk ${range.start}-${range.end} (${body.length} bytes) does not continue the upload at byte ${upload.received}`,
      undefined,
      uploadHeaders(repo, upload),
    );
  }
  if (body.length === 0) return;
  upload.parts.push(body);
  upload.received += body.length;
}

/** PATCH `/v2/<name>/blobs/uploads/<id>`: one chunk. */
export function patchUpload(ctx: OciContext, name: string, id: string): WireResponse {
  const repo = repositoryFor(ctx, name);
  const upload = uploadOf(ctx, repo, id);
  append(repo, upload, ctx.request.body, headerOf(ctx, 'content-range'));
  return reply(202, uploadHeaders(repo, upload));
}

/** PUT `/v2/<name>/blobs/uploads/<id>?digest=`: the last chunk (optional), then the blob is checked and stored. */
export function finishUpload(ctx: OciContext, name: string, id: string): WireResponse {
  const repo = repositoryFor(ctx, name);
  const upload = uploadOf(ctx, repo, id);
  const expected = digestOf(ctx.query.get('digest'), 'digest');
  append(repo, upload, ctx.request.body, headerOf(ctx, 'content-range'));
  // The session ends here whatever the outcome, as CompleteLayerUpload's does.
  ctx.ecr.state.uploads.delete(upload.id);
  const data =
    upload.parts.length === 1 ? (upload.parts[0] as Buffer) : Buffer.concat(upload.parts, upload.received);
  return storeBlob(ctx, repo, expected, data);
}

/** GET `/v2/<name>/blobs/uploads/<id>`: where the upload stands. */
export function uploadStatus(ctx: OciContext, name: string, id: string): WireResponse {
  const repo = repositoryFor(ctx, name);
  return reply(204, uploadHeaders(repo, uploadOf(ctx, repo, id)));
}

/** DELETE `/v2/<name>/blobs/uploads/<id>`: cancel the upload. */
export function cancelUpload(ctx: OciContext, name: string, id: string): WireResponse {
  const repo = repositoryFor(ctx, name);
  ctx.ecr.state.uploads.delete(uploadOf(ctx, repo, id).id);
  return reply(204, {});
}
