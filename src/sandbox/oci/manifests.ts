import { sha256Digest } from '../../shared/ecr/digest.ts';
import type { WireResponse } from '../contracts.ts';
import { isPullable } from '../ecr/archive.ts';
import { isDigest } from '../ecr/digest.ts';
import { EcrError } from '../ecr/errors.ts';
import { deleteImages } from '../ecr/images.ts';
import { MEDIA_TYPES } from '../ecr/manifest.ts';
import { recordsPullTime } from '../ecr/pull-time-exclusions.ts';
import { referrerOf } from '../ecr/referrers.ts';
import type { ImageRecord, RepositoryRecord } from '../ecr/state.ts';
import { storeManifest } from '../ecr/store-manifest.ts';
import { isImageTag } from '../ecr/validation.ts';
import { headerOf, type OciContext, repositoryFor } from './context.ts';
import { OciError, ociErrorOf } from './errors.ts';
import { reply, replyJson } from './http.ts';
import { acceptedMediaTypes, negotiateManifest } from './negotiate.ts';

/**
 * Manifests, tags and referrers through the registry API. A manifest PUT is stored by the same code as
 * PutImage (store-manifest.ts: digest of the exact bytes, blobs and children required, immutability,
 * PUSH event, scan on push); a GET is a pull (lastRecordedPullTime, refused for archived images with 404) like
 * BatchGetImage; a DELETE is BatchDeleteImage's.
 */

/** ECR's manifest limit (PutImage's imageManifest: up to 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const KNOWN_TYPES = new Set<string>(Object.values(MEDIA_TYPES));
/** ECR answers up to 1000 tags a page. */
const MAX_TAGS_PAGE = 1000;

function manifestPath(name: string, reference: string): string {
  return `/v2/${name}/manifests/${reference}`;
}

function manifestUnknown(reference: string, name: string, why = 'Requested image not found'): OciError {
  return new OciError('MANIFEST_UNKNOWN', `${why}: '${reference}' in '${name}'`, { reference });
}

/** The image a reference (tag or digest) names, for a pull. */
function imageOf(repo: RepositoryRecord, reference: string): ImageRecord {
  if (!isDigest(reference) && !isImageTag(reference)) {
    throw new OciError('TAG_INVALID', `'${reference}' is neither a valid tag nor a digest`);
  }
  const digest = isDigest(reference) ? reference : repo.tagIndex.get(reference);
  const image = digest === undefined ? undefined : repo.images.get(digest);
  if (!image) throw manifestUnknown(reference, repo.name);
  return image;
}

/** HEAD/GET `/v2/<name>/manifests/<reference>`: the manifest in the format negotiated (negotiate.ts). */
export function getManifest(ctx: OciContext, name: string, reference: string, head: boolean): WireResponse {
  const repo = repositoryFor(ctx, name);
  const image = imageOf(repo, reference);
  if (!isPullable(image)) {
    // "Requests to pull the archived image will fail with a 404 error" (archive guide).
    throw manifestUnknown(
      reference,
      name,
      `Requested image is ${image.imageStatus.toLowerCase()} and cannot be pulled until it is restored`,
    );
  }
  const served = negotiateManifest(
    { mediaType: image.mediaType, manifest: image.manifest, digest: image.digest },
    acceptedMediaTypes(ctx.request.headers),
    !isDigest(reference),
  );
  // As BatchGetImage: a pull records its time unless the puller is excluded (RegisterPullTimeUpdateExclusion).
  if (!head && recordsPullTime(ctx.ecr, ctx.claims)) {
    image.lastPulledAt = ctx.ecr.nowMs();
    ctx.ecr.changed();
  }
  const response = reply(
    200,
    { 'content-type': served.mediaType, 'docker-content-digest': served.digest },
    head ? '' : served.manifest,
  );
  response.headers['content-length'] = String(Buffer.byteLength(served.manifest));
  return response;
}

/** PUT `/v2/<name>/manifests/<reference>`: store through PutImage's code; the same manifest again is no error. */
export function putManifest(ctx: OciContext, name: string, reference: string): WireResponse {
  const repo = repositoryFor(ctx, name, true);
  const body = ctx.request.body;
  // The handler reads a manifest's body whole before it routes here (context.ts withWholeBody).
  if (!Buffer.isBuffer(body)) throw new Error('putManifest needs the request body read whole');
  if (body.length > MAX_MANIFEST_BYTES) {
    throw new OciError('MANIFEST_INVALID', 'The manifest is larger than 4 MiB', undefined, {}, 413);
  }
  const manifest = body.toString('utf8');
  if (body.length === 0 || !Buffer.from(manifest, 'utf8').equals(body)) {
    throw new OciError('MANIFEST_INVALID', 'The manifest must be UTF-8 JSON');
  }
  const byDigest = isDigest(reference);
  if (!byDigest && !isImageTag(reference)) {
    throw new OciError('TAG_INVALID', `Invalid tag '${reference}'`);
  }
  const contentType = (headerOf(ctx, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
  let image: ImageRecord | undefined;
  let subject: string | undefined;
  try {
    const stored = storeManifest(ctx.ecr, ctx.scans, repo, {
      manifest,
      ...(byDigest ? { digest: reference } : { tag: reference }),
      ...(KNOWN_TYPES.has(contentType) ? { mediaType: contentType } : {}),
    });
    image = stored.image;
    subject = stored.parsed.subject;
  } catch (error) {
    if (!(error instanceof EcrError)) throw error;
    // A registry answers a re-push of what it holds with success (Docker pushes every tag again).
    if (error.code !== 'ImageAlreadyExistsException') throw ociErrorOf(error);
    image = repo.images.get(sha256Digest(manifest));
    subject = image?.subject;
  }
  ctx.ecr.changed();
  const digest = image?.digest ?? sha256Digest(manifest);
  const headers: Record<string, string> = {
    location: manifestPath(name, digest),
    'docker-content-digest': digest,
  };
  if (subject !== undefined) headers['oci-subject'] = subject;
  return reply(201, headers);
}

/** DELETE `/v2/<name>/manifests/<reference>`: BatchDeleteImage of one id (by digest the image, by tag the tag). */
export function deleteManifest(ctx: OciContext, name: string, reference: string): WireResponse {
  const repo = repositoryFor(ctx, name);
  const id = isDigest(reference) ? { imageDigest: reference } : { imageTag: reference };
  const { failures = [] } = deleteImages(ctx.ecr, repo, [id]);
  ctx.ecr.changed();
  const failure = failures[0];
  if (failure !== undefined) {
    const message = failure.failureReason ?? 'Requested image could not be deleted';
    switch (failure.failureCode) {
      case 'ImageNotFound':
        throw manifestUnknown(reference, name);
      case 'InvalidImageDigest':
        throw new OciError('DIGEST_INVALID', message);
      case 'InvalidImageTag':
        throw new OciError('TAG_INVALID', message);
      default:
        throw new OciError('DENIED', message);
    }
  }
  return reply(202, {});
}

/** GET `/v2/<name>/tags/list`: tags in ASCII order, `n` per page (≤ 1000), after `last`, `Link` to the next. */
export function listTags(ctx: OciContext, name: string): WireResponse {
  const repo = repositoryFor(ctx, name);
  const nText = ctx.query.get('n');
  const last = ctx.query.get('last');
  let n = MAX_TAGS_PAGE;
  if (nText !== null && nText !== '') {
    if (!/^\d+$/.test(nText))
      throw new OciError('UNSUPPORTED', `'n' must be a non-negative integer`, undefined, {}, 400);
    n = Math.min(Number(nText), MAX_TAGS_PAGE);
  }
  const all = [...repo.tagIndex.keys()].sort();
  const after = last === null || last === '' ? all : all.filter((tag) => tag > last);
  const tags = after.slice(0, n);
  const headers: Record<string, string> = {};
  if (n > 0 && after.length > tags.length) {
    const next = new URLSearchParams({ n: String(n), last: tags[tags.length - 1] as string });
    headers.link = `</v2/${name}/tags/list?${next.toString()}>; rel="next"`;
  }
  return replyJson(200, { name, tags }, headers);
}

/**
 * GET `/v2/<name>/referrers/<digest>`: an OCI index of the manifests whose `subject` is the digest (the
 * repository's referrers index, as ListImageReferrers reads it), active ones only, filtered by `artifactType`
 * when asked (and then saying so in `OCI-Filters-Applied`). Never 404 for a digest nothing refers to.
 */
export function listReferrers(ctx: OciContext, name: string, digest: string): WireResponse {
  if (!isDigest(digest)) throw new OciError('DIGEST_INVALID', `'${digest}' is not a valid digest`);
  const repo = repositoryFor(ctx, name);
  const types = ctx.query.getAll('artifactType').filter((type) => type !== '');
  const manifests = (repo.referrers.get(digest) ?? [])
    .filter((image) => isPullable(image))
    .filter((image) => types.length === 0 || types.includes(image.artifactMediaType ?? ''))
    .map((image) => {
      const { artifactStatus: _status, ...descriptor } = referrerOf(image);
      return descriptor;
    });
  const headers: Record<string, string> = { 'content-type': MEDIA_TYPES.ociIndex };
  if (types.length > 0) headers['oci-filters-applied'] = 'artifactType';
  return reply(
    200,
    headers,
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }),
  );
}
