import { isDigest } from './digest.ts';
import { type EcrError, invalidParameter, parseJsonParameter } from './errors.ts';

/** Media types ECR accepts for PutImage. https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-manifest-formats.html */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  orasArtifact: 'application/vnd.cncf.oras.artifact.manifest.v1+json',
} as const;

const SINGLE = new Set<string>([
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.orasArtifact,
]);
const INDEX = new Set<string>([MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociIndex]);
const SCHEMA1 = new Set<string>([MEDIA_TYPES.dockerSchema1, MEDIA_TYPES.dockerSchema1Signed]);

/** Foreign (non-distributable) layers live elsewhere; a registry never holds them. */
const FOREIGN_LAYER = /\.foreign\.|nondistributable/;

/** A blob a manifest references. */
export interface BlobRef {
  digest: string;
  size: number;
  mediaType?: string;
}

/** What the emulator needs to know about a manifest, read once at PutImage. */
export interface ParsedManifest {
  mediaType: string;
  kind: 'manifest' | 'index';
  /** Config first (when there is one), then layers: every blob that must be in the repository. */
  blobs: BlobRef[];
  /** Sum of layer sizes (config excluded); 0 for an index (the caller derives it from the children). */
  layerBytes: number;
  /** Digests of the manifests an index lists. */
  children: string[];
  /** `subject.digest`: set on referrers (signatures, SBOMs, attestations). */
  subject?: string;
  /** `artifactType`, else the config's media type (what ECR reports as artifactMediaType). */
  artifactMediaType?: string;
}

function bad(message: string): EcrError {
  return invalidParameter(`Invalid parameter at 'imageManifest' failed to satisfy constraint: '${message}'`);
}

function descriptor(value: unknown, where: string): BlobRef {
  if (typeof value !== 'object' || value === null) throw bad(`${where} must be a descriptor object`);
  const raw = value as Record<string, unknown>;
  if (!isDigest(raw.digest)) throw bad(`${where}.digest must be a digest`);
  if (typeof raw.size !== 'number' || !Number.isSafeInteger(raw.size) || raw.size < 0) {
    throw bad(`${where}.size must be a non-negative integer`);
  }
  const ref: BlobRef = { digest: raw.digest, size: raw.size };
  if (typeof raw.mediaType === 'string') ref.mediaType = raw.mediaType;
  return ref;
}

/**
 * Parse manifest text as PutImage receives it. `declaredMediaType` is the request's `imageManifestMediaType`;
 * without it the manifest's own `mediaType` decides, and an OCI manifest that has neither is rejected, like ECR.
 */
export function parseManifest(text: string, declaredMediaType?: string): ParsedManifest {
  const doc = parseJsonParameter(
    text,
    "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
  );
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw bad('manifest must be a JSON object');
  const raw = doc as Record<string, unknown>;
  const own = typeof raw.mediaType === 'string' ? raw.mediaType : undefined;
  if (declaredMediaType !== undefined && own !== undefined && declaredMediaType !== own) {
    throw invalidParameter(
      `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'media type ${declaredMediaType} does not match the manifest's mediaType ${own}'`,
    );
  }
  let mediaType = declaredMediaType ?? own;
  if (mediaType === undefined && raw.schemaVersion === 1) mediaType = MEDIA_TYPES.dockerSchema1Signed;
  if (mediaType === undefined) {
    throw invalidParameter(
      "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'the manifest has no mediaType; specify imageManifestMediaType'",
    );
  }

  if (SCHEMA1.has(mediaType)) {
    const fsLayers = Array.isArray(raw.fsLayers) ? raw.fsLayers : [];
    const blobs = fsLayers.map((layer, index) => {
      const digest = (layer as Record<string, unknown> | null)?.blobSum;
      if (!isDigest(digest)) throw bad(`fsLayers[${index}].blobSum must be a digest`);
      return { digest, size: 0 };
    });
    return { mediaType, kind: 'manifest', blobs: dedupe(blobs), layerBytes: 0, children: [] };
  }

  if (raw.schemaVersion !== 2) throw bad('schemaVersion must be 2');
  const parsed: ParsedManifest = { mediaType, kind: 'manifest', blobs: [], layerBytes: 0, children: [] };
  if (raw.subject !== undefined) parsed.subject = descriptor(raw.subject, 'subject').digest;
  if (typeof raw.artifactType === 'string') parsed.artifactMediaType = raw.artifactType;

  if (INDEX.has(mediaType)) {
    if (!Array.isArray(raw.manifests)) throw bad('manifests must be a list');
    parsed.kind = 'index';
    parsed.children = [
      ...new Set(raw.manifests.map((item, index) => descriptor(item, `manifests[${index}]`).digest)),
    ];
    return parsed;
  }
  if (!SINGLE.has(mediaType)) {
    throw invalidParameter(
      `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'unsupported manifest media type ${mediaType}'`,
    );
  }

  const blobs: BlobRef[] = [];
  if (mediaType === MEDIA_TYPES.orasArtifact) {
    const list = Array.isArray(raw.blobs) ? raw.blobs : [];
    list.forEach((item, index) => {
      blobs.push(descriptor(item, `blobs[${index}]`));
    });
  } else {
    const config = descriptor(raw.config, 'config');
    blobs.push(config);
    parsed.artifactMediaType ??= config.mediaType;
    if (!Array.isArray(raw.layers)) throw bad('layers must be a list');
    raw.layers.forEach((item, index) => {
      blobs.push(descriptor(item, `layers[${index}]`));
    });
  }
  const [first, ...rest] = blobs;
  const layers = mediaType === MEDIA_TYPES.orasArtifact ? blobs : rest;
  parsed.layerBytes = layers.reduce((sum, blob) => sum + blob.size, 0);
  // Foreign layers are fetched from their own URLs, so a registry never has (or needs) them.
  parsed.blobs = dedupe(blobs.filter((blob) => blob === first || !FOREIGN_LAYER.test(blob.mediaType ?? '')));
  return parsed;
}

function dedupe(blobs: BlobRef[]): BlobRef[] {
  const seen = new Set<string>();
  return blobs.filter((blob) => {
    if (seen.has(blob.digest)) return false;
    seen.add(blob.digest);
    return true;
  });
}
