import { sha256Digest } from '../../shared/ecr/digest.ts';
import { restoreImage } from './archive.ts';
import type { EcrContext } from './context.ts';
import { EcrError } from './errors.ts';
import { imageActionEvent } from './events.ts';
import { parseManifest } from './manifest.ts';
import { isTagImmutable } from './mutability.ts';
import { replicatePush } from './replication.ts';
import type { Scans } from './scanning.ts';
import type { ImageRecord, RepositoryRecord } from './state.ts';

/** A manifest to store: PutImage's request, or the registry API's manifest PUT (src/sandbox/oci/). */
export interface ManifestPush {
  /** The manifest text exactly as received. */
  manifest: string;
  tag?: string;
  /** The digest the client named (PutImage's `imageDigest`, a `/v2/` PUT by digest): must match the bytes. */
  digest?: string;
  /** PutImage's `imageManifestMediaType`, the `/v2/` PUT's Content-Type. */
  mediaType?: string;
}

/**
 * Store a manifest in `repo`, as PutImage does whichever API it came through: digest of the exact bytes, the
 * blobs (LayersNotFoundException) and index children (ReferencedImagesNotFoundException) it needs, size, push
 * time, tag immutability, a moved tag leaving its old image untagged, re-pushing an archived image restoring it,
 * the PUSH event and the scan on push. Same manifest and tag again: ImageAlreadyExistsException.
 */
export function storeManifest(
  ecr: EcrContext,
  scans: Scans,
  repo: RepositoryRecord,
  push: ManifestPush,
): { image: ImageRecord; parsed: ReturnType<typeof parseManifest> } {
  const { manifest, tag, digest: givenDigest, mediaType: declaredMediaType } = push;
  // The digest is over the exact bytes received: the manifest is never re-serialised.
  const digest = sha256Digest(manifest);
  if (givenDigest !== undefined && givenDigest !== digest) {
    throw new EcrError(
      'ImageDigestDoesNotMatchException',
      `The specified image digest '${givenDigest}' does not match the digest '${digest}' calculated for the manifest`,
    );
  }
  const parsed = parseManifest(manifest, declaredMediaType);

  const existing = repo.images.get(digest);
  // Pushing an archived image again restores it (archive guide), so it is no ImageAlreadyExistsException.
  const restoring = existing?.imageStatus === 'ARCHIVED';
  if (existing && !restoring && (tag === undefined || existing.tags.includes(tag))) {
    throw new EcrError(
      'ImageAlreadyExistsException',
      `Image with digest '${digest}' and tag '${tag ?? 'null'}' already exists in the repository with name '${repo.name}' in registry with id '${ecr.accountId}'`,
    );
  }
  const holderDigest = tag === undefined ? undefined : repo.tagIndex.get(tag);
  if (
    tag !== undefined &&
    holderDigest !== undefined &&
    holderDigest !== digest &&
    isTagImmutable(repo, tag)
  ) {
    throw new EcrError(
      'ImageTagAlreadyExistsException',
      `The image tag '${tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the tag is immutable.`,
    );
  }

  if (existing && restoring) restoreImage(ecr, repo, existing);
  let image = existing;
  if (!image) {
    const missing = parsed.blobs.filter((blob) => !repo.blobs.has(blob.digest)).map((blob) => blob.digest);
    if (missing.length > 0) {
      throw new EcrError(
        'LayersNotFoundException',
        `Layers with digests '[${missing.join(', ')}]' required for pushing image into repository with name '${repo.name}' in the registry with id '${ecr.accountId}' do not exist`,
      );
    }
    let size = parsed.layerBytes;
    if (parsed.kind === 'index') {
      const missingChildren = parsed.children.filter((child) => !repo.images.has(child));
      if (missingChildren.length > 0) {
        throw new EcrError(
          'ReferencedImagesNotFoundException',
          `Manifest list references images that do not exist in the repository with name '${repo.name}': [${missingChildren.join(', ')}]`,
        );
      }
      // The SDK model: "If the image is a manifest list, this will be the max size of all manifests in the list."
      size = parsed.children.reduce((max, child) => Math.max(max, repo.images.get(child)?.size ?? 0), 0);
    }
    image = ecr.state.insertImage(repo, {
      digest,
      manifest,
      mediaType: parsed.mediaType,
      ...(parsed.artifactMediaType !== undefined ? { artifactMediaType: parsed.artifactMediaType } : {}),
      ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
      children: parsed.children,
      blobs: parsed.blobs.map((blob) => blob.digest),
      size,
      tags: [],
      pushedAt: ecr.nowMs(),
      storageClass: 'STANDARD',
      imageStatus: 'ACTIVE',
    });
  }
  if (tag !== undefined && !image.tags.includes(tag)) {
    // A moved tag leaves its previous image untagged, not deleted: that is where untagged images come from.
    const holder = holderDigest === undefined ? undefined : repo.images.get(holderDigest);
    if (holder && holder !== image) holder.tags = holder.tags.filter((t) => t !== tag);
    image.tags.push(tag);
    repo.tagIndex.set(tag, digest);
  }
  ecr.emit([imageActionEvent('PUSH', repo.name, digest, tag, ecr.options.clock.now())]);
  if (!existing && parsed.kind === 'manifest') {
    const scanType = scans.scanOnPushType(repo);
    if (scanType) scans.startScan(repo, image, scanType);
  }
  replicatePush(ecr, repo, image, tag);
  return { image, parsed };
}
