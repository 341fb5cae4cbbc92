import { describe, expect, it } from 'vitest';
import {
  type DescribedImage,
  INDEX_MEDIA_TYPES,
  isIndexMediaType,
  repositoryImageOf,
  storageClassOf,
} from '../../src/cleanup/domain/image-detail.ts';
import { MANIFEST_MEDIA_TYPES } from '../../src/shared/ecr/manifests.ts';

/** DescribeImages' ImageDetail → cleanup's RepositoryImage, the mapping the adapter and the snapshot share. */

const DIGEST = `sha256:${'a'.repeat(64)}`;
const SUBJECT = `sha256:${'b'.repeat(64)}`;
const PUSHED = new Date('2026-11-20T10:00:00.000Z');

function detail(extra: Partial<DescribedImage> = {}): DescribedImage {
  return { imageDigest: DIGEST, imagePushedAt: PUSHED, imageSizeInBytes: 1234, ...extra };
}

describe('repositoryImageOf', () => {
  it('gives an untagged image (no imageTags key) empty tags', () => {
    expect(repositoryImageOf(detail()).tags).toEqual([]);
  });

  it('maps every field DescribeImages reports to its RepositoryImage name', () => {
    // Prepare
    const pulled = new Date('2026-11-21T00:00:00.000Z');
    const archived = new Date('2026-11-22T00:00:00.000Z');
    const activated = new Date('2026-11-23T00:00:00.000Z');
    // Act
    const image = repositoryImageOf(
      detail({
        imageTags: ['v1', 'latest'],
        lastRecordedPullTime: pulled,
        imageStatus: 'ACTIVE',
        lastArchivedAt: archived,
        lastActivatedAt: activated,
        imageManifestMediaType: MANIFEST_MEDIA_TYPES.ociManifest,
        artifactMediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
        subjectManifestDigest: SUBJECT,
      }),
    );
    // Assess
    expect(image).toEqual({
      digest: DIGEST,
      tags: ['v1', 'latest'],
      // Times as epoch milliseconds, whether the detail had Dates (the SDK) or numbers (a snapshot).
      pushedAt: PUSHED.getTime(),
      lastPulledAt: pulled.getTime(),
      lastActivatedAt: activated.getTime(),
      storageClass: 'standard',
      transitionedAt: archived.getTime(),
      sizeBytes: 1234,
      manifestMediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      artifactMediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      subjectDigest: SUBJECT,
    });
  });

  it('reads epoch milliseconds as the same times as Dates', () => {
    const at = Date.parse('2026-11-21T00:00:00.000Z');
    const fromNumbers = repositoryImageOf(detail({ imagePushedAt: at, lastRecordedPullTime: at + 1 }));
    const fromDates = repositoryImageOf(
      detail({ imagePushedAt: new Date(at), lastRecordedPullTime: new Date(at + 1) }),
    );
    expect(fromNumbers).toEqual(fromDates);
    expect(fromNumbers.lastPulledAt).toBe(at + 1);
  });

  it('gives every image the same keys, in the same order, absent ones undefined (one shape for the engine)', () => {
    const keys = (image: object) => Object.keys(image);
    const bare = repositoryImageOf(detail());
    const full = repositoryImageOf(
      detail({ lastRecordedPullTime: PUSHED, lastArchivedAt: PUSHED, subjectManifestDigest: SUBJECT }),
      [SUBJECT],
    );
    expect(keys(bare)).toEqual(keys(full));
    expect(bare.lastPulledAt).toBeUndefined();
    expect(bare.subjectDigest).toBeUndefined();
  });

  it('sets references only when given (an index whose manifest was read)', () => {
    const children = [SUBJECT];
    expect(repositoryImageOf(detail(), children).references).toEqual(children);
    expect(repositoryImageOf(detail()).references).toBeUndefined();
  });
});

describe('storageClassOf', () => {
  it.each([
    ['ACTIVE', 'standard'],
    ['ARCHIVED', 'archive'],
    ['ACTIVATING', 'archive'],
    [undefined, 'standard'],
  ] as const)('reads imageStatus %s as the %s storage class', (status, storageClass) => {
    expect(storageClassOf(status)).toBe(storageClass);
  });
});

describe('isIndexMediaType', () => {
  it.each([
    [MANIFEST_MEDIA_TYPES.ociIndex, true],
    [MANIFEST_MEDIA_TYPES.dockerManifestList, true],
    [MANIFEST_MEDIA_TYPES.ociManifest, false],
    [MANIFEST_MEDIA_TYPES.dockerManifest, false],
    [undefined, false],
  ])('says %s is an index: %s', (mediaType, expected) => {
    expect(isIndexMediaType(mediaType)).toBe(expected);
  });

  it('knows exactly the two index media types', () => {
    expect([...INDEX_MEDIA_TYPES].sort()).toEqual(
      [MANIFEST_MEDIA_TYPES.dockerManifestList, MANIFEST_MEDIA_TYPES.ociIndex].sort(),
    );
  });
});
