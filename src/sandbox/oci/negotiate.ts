import type { IncomingHttpHeaders } from 'node:http';
import { sha256Digest } from '../../shared/ecr/digest.ts';
import { MEDIA_TYPES } from '../ecr/manifest.ts';

/**
 * Manifest format negotiation, as ECR does it
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html): a pull returns the
 * stored format when the client's `Accept` names it (or names nothing); otherwise a pull *by tag* is converted
 * between Docker Image Manifest V2 Schema 2 and OCI (manifest ↔ manifest, manifest list ↔ index) when the client
 * accepts the other one. A pull by digest is never converted, and neither is anything else (ECR's table: no
 * conversion to or from schema 1 for OCI, and schema 1 clients get schema 1): those get the stored format, as
 * clients then fall back or fail on their own. A conversion is new bytes, so it has its own digest.
 */

/** The media types a request's `Accept` header(s) name (parameters dropped), or undefined for "anything". */
export function acceptedMediaTypes(headers: IncomingHttpHeaders): string[] | undefined {
  const raw = headers.accept;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  if (text === undefined || text.trim() === '') return undefined;
  const types = text
    .split(',')
    .map((part) => (part.split(';')[0] ?? '').trim().toLowerCase())
    .filter((type) => type !== '');
  return types.length === 0 || types.includes('*/*') ? undefined : types;
}

/** Docker ↔ OCI names of the same thing, for conversion either way. */
const DOCKER_TO_OCI: Readonly<Record<string, string>> = {
  [MEDIA_TYPES.dockerManifest]: MEDIA_TYPES.ociManifest,
  [MEDIA_TYPES.dockerManifestList]: MEDIA_TYPES.ociIndex,
  'application/vnd.docker.container.image.v1+json': 'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar': 'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip':
    'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};
const OCI_TO_DOCKER: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DOCKER_TO_OCI).map(([docker, oci]) => [oci, docker]),
);

/** A manifest as served: its media type, bytes and digest. */
export interface ServedManifest {
  mediaType: string;
  manifest: string;
  digest: string;
}

/** Rename every descriptor's media type through `names`; undefined when one has no counterpart. */
function convert(text: string, names: Readonly<Record<string, string>>): string | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  // Artifacts (artifactType, subject) have no Docker form.
  if (doc.artifactType !== undefined || doc.subject !== undefined) return undefined;
  const rename = (descriptor: unknown): boolean => {
    const d = descriptor as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null || typeof d.mediaType !== 'string') return false;
    const renamed = names[d.mediaType];
    if (renamed === undefined) return false;
    d.mediaType = renamed;
    return true;
  };
  if (!rename(doc)) return undefined;
  const descriptors = [
    ...(doc.config === undefined ? [] : [doc.config]),
    ...(Array.isArray(doc.layers) ? doc.layers : []),
    ...(Array.isArray(doc.manifests) ? doc.manifests : []),
  ];
  if (!descriptors.every(rename)) return undefined;
  // Docker's own tools write manifests with three-space indentation.
  return JSON.stringify(doc, null, 3);
}

/** What a pull of `stored` answers for a client accepting `accepted` (undefined: anything). */
export function negotiateManifest(
  stored: ServedManifest,
  accepted: readonly string[] | undefined,
  byTag: boolean,
): ServedManifest {
  if (accepted === undefined || accepted.includes(stored.mediaType) || !byTag) return stored;
  for (const names of [DOCKER_TO_OCI, OCI_TO_DOCKER]) {
    const target = names[stored.mediaType];
    if (target === undefined || !accepted.includes(target)) continue;
    const converted = convert(stored.manifest, names);
    if (converted !== undefined) {
      return { mediaType: target, manifest: converted, digest: sha256Digest(converted) };
    }
  }
  return stored;
}
