import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES } from '../shared/ecr/manifests.ts';
import type { ImageToPush } from './push.ts';

const DOCKER_MANIFEST = MANIFEST_MEDIA_TYPES.dockerManifest;
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/**
 * A small but well-formed single-layer Docker image whose content (and so digest) depends on `seed`.
 * The layer is a gzip of a tiny tar-like payload: ECR never looks inside, only at digests and sizes.
 */
export function sampleImage(seed: string): ImageToPush {
  const layer = gzipSync(Buffer.from(`ecr-sentinel sample layer\n${seed}\n`));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'org.opencontainers.image.title': seed } },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] },
    }),
  );
  const manifest = JSON.stringify(
    {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, size: config.length, digest: sha256Digest(config) },
      layers: [{ mediaType: DOCKER_LAYER, size: layer.length, digest: sha256Digest(layer) }],
    },
    null,
    3,
  );
  return { blobs: [config, layer], manifest, mediaType: DOCKER_MANIFEST };
}
