/**
 * What a stored manifest references, read from its exact bytes: blobs (config and layers) for an image, child
 * manifests for an index. Pure; the copier (ecr-image-copier.ts) walks these.
 */
import { MANIFEST_MEDIA_TYPES } from '../../shared/ecr/manifests.ts';
import { ImageCopyError } from '../errors.ts';

export const INDEX_TYPES = new Set<string>([
  MANIFEST_MEDIA_TYPES.dockerManifestList,
  MANIFEST_MEDIA_TYPES.ociIndex,
]);
export const SCHEMA1_TYPES = new Set<string>([
  MANIFEST_MEDIA_TYPES.dockerSchema1,
  MANIFEST_MEDIA_TYPES.dockerSchema1Signed,
]);
/** Foreign (non-distributable) layers are fetched from their own URLs: a registry never holds them. */
export const FOREIGN_LAYER = /\.foreign\.|nondistributable/;

/** A manifest as ECR stores it: the exact text (its sha256 is the digest) and its media type. */
export interface StoredManifest {
  digest: string;
  text: string;
  mediaType: string;
}

/** A blob or manifest a manifest points to. */
export interface Descriptor {
  digest: string;
  size?: number;
  mediaType?: string;
}

/** What a manifest references: blobs (config and layers) for an image, manifests for an index. */
export interface References {
  blobs: Descriptor[];
  children: Descriptor[];
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function descriptorOf(value: unknown): Descriptor | undefined {
  const raw = asRecord(value);
  if (!raw || typeof raw.digest !== 'string') return undefined;
  const descriptor: Descriptor = { digest: raw.digest };
  if (typeof raw.size === 'number') descriptor.size = raw.size;
  if (typeof raw.mediaType === 'string') descriptor.mediaType = raw.mediaType;
  return descriptor;
}

export function parseJson(manifest: StoredManifest): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(manifest.text);
  } catch (error) {
    throw new ImageCopyError(`manifest ${manifest.digest} is not JSON`, { cause: error });
  }
  const raw = asRecord(doc);
  if (!raw) throw new ImageCopyError(`manifest ${manifest.digest} is not a JSON object`);
  return raw;
}

/**
 * What a manifest references, read (never rewritten) from its text: an index's child manifests; an image's
 * config and layers (foreign layers excluded, schema 1's `fsLayers`).
 * @see https://github.com/opencontainers/image-spec/blob/main/manifest.md
 */
export function referencesOf(manifest: StoredManifest): References {
  const raw = parseJson(manifest);
  const list = (value: unknown): Descriptor[] =>
    (Array.isArray(value) ? value : []).flatMap((item) => descriptorOf(item) ?? []);
  if (INDEX_TYPES.has(manifest.mediaType)) return { blobs: [], children: list(raw.manifests) };
  if (SCHEMA1_TYPES.has(manifest.mediaType)) {
    const fsLayers = Array.isArray(raw.fsLayers) ? raw.fsLayers : [];
    const blobs = fsLayers.flatMap((layer) => {
      const blobSum = asRecord(layer)?.blobSum;
      return typeof blobSum === 'string' ? [{ digest: blobSum }] : [];
    });
    return { blobs: dedupe(blobs), children: [] };
  }
  const config = descriptorOf(raw.config);
  const layers = list(raw.layers).filter((layer) => !FOREIGN_LAYER.test(layer.mediaType ?? ''));
  return { blobs: dedupe(config ? [config, ...layers] : layers), children: [] };
}

export function dedupe(descriptors: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descriptors.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
}

/** The media type a manifest names itself, for the rare BatchGetImage answer without one. */
export function mediaTypeOf(text: string): string {
  try {
    const mediaType = asRecord(JSON.parse(text))?.mediaType;
    if (typeof mediaType === 'string') return mediaType;
  } catch {
    // Not JSON: PutImage will say so with ECR's own message.
  }
  return MANIFEST_MEDIA_TYPES.ociManifest;
}
