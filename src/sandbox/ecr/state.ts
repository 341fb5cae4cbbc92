import type { ReplicationStatus } from '@aws-sdk/client-ecr';
import type { FindingsCatalogueEntry } from '../contracts.ts';
import { type BlobStore, type BlobWriter, MemoryBlobStore } from './blob-store.ts';
import { lowerBound } from './pagination.ts';
import { defaultRegistrySettings, type ExclusionFilter, type RegistrySettings } from './settings-state.ts';

export type { ExclusionFilter, RegistrySettings, ScanningRule } from './settings-state.ts';
export { defaultRegistrySettings };

/**
 * The emulator's model. Sized for repositories of 100,000+ images: every per-image operation is O(1) or
 * O(blobs of that image) through maps, listings walk a push-ordered array resumed by binary search on `seq`.
 * Times are epoch milliseconds from the sandbox clock.
 */

export type ScanStatusValue =
  | 'IN_PROGRESS'
  | 'COMPLETE'
  | 'ACTIVE'
  | 'FAILED'
  | 'UNSUPPORTED_IMAGE'
  | 'FINDINGS_UNAVAILABLE';
export type ScanTypeValue = 'BASIC' | 'ENHANCED';
/** ECR's storage classes (`TargetStorageClass` in the API model). */
export type StorageClass = 'STANDARD' | 'ARCHIVE';
/** ECR's `ImageStatus`: an archived image is restored through ACTIVATING. */
export type ImageStatusValue = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';
export type CatalogueFinding = FindingsCatalogueEntry['findings'][number];

export interface ScanRecord {
  type: ScanTypeValue;
  status: ScanStatusValue;
  description: string;
  startedAt: number;
  completedAt?: number;
  findings: CatalogueFinding[];
}

export interface ImageRecord {
  seq: number;
  digest: string;
  /** The manifest exactly as pushed; its sha256 is `digest`. */
  manifest: string;
  mediaType: string;
  artifactMediaType?: string;
  subject?: string;
  /** Digests of the manifests an index lists. */
  children: string[];
  /** Every blob (config + layers) the image needs in the repository. */
  blobs: string[];
  size: number;
  /** In the order they were put on the image. */
  tags: string[];
  pushedAt: number;
  lastPulledAt?: number;
  scan?: ScanRecord;
  /** When the last basic scan started; StartImageScan allows one per 24 h. */
  lastBasicScanAt?: number;
  /** STANDARD until archived (UpdateImageStorageClass or a lifecycle `transition`); see archive.ts. */
  storageClass: StorageClass;
  /** ACTIVE, ARCHIVED, or ACTIVATING while a restore is under way (read it through archive.ts `statusOf`). */
  imageStatus: ImageStatusValue;
  /** When the image last went to archive (the lifecycle's `sinceImageTransitioned` ages from it). */
  lastArchivedAt?: number;
  /** When the image last became (or, while ACTIVATING, becomes) active again after a restore. */
  lastActivatedAt?: number;
  /** Per replication destination, the outcome of the image's last push (replication.ts). */
  replication?: Array<{
    region: string;
    registryId: string;
    status: ReplicationStatus;
    failureCode?: string;
  }>;
  deleted?: boolean;
}

export type TagMutability = 'MUTABLE' | 'IMMUTABLE' | 'MUTABLE_WITH_EXCLUSION' | 'IMMUTABLE_WITH_EXCLUSION';

export interface RepositoryRecord {
  seq: number;
  name: string;
  createdAt: number;
  imageTagMutability: TagMutability;
  exclusionFilters: ExclusionFilter[];
  scanOnPush: boolean;
  encryption: { encryptionType: string; kmsKey?: string };
  resourceTags: Map<string, string>;
  lifecyclePolicy?: { text: string; lastEvaluatedAt?: number };
  policyText?: string;
  images: Map<string, ImageRecord>;
  tagIndex: Map<string, string>;
  /** Push order, ascending `seq`; deleted entries are tombstones until compaction. */
  order: ImageRecord[];
  deadInOrder: number;
  nextImageSeq: number;
  /** Blob digest → number of images using it (0 = uploaded but not yet part of an image). */
  blobs: Map<string, number>;
  /** Child manifest digest → number of indexes in this repository that list it. */
  referencedBy: Map<string, number>;
  /**
   * Subject digest → the images whose manifest names it as `subject` (OCI 1.1 referrers), ascending `seq`, for
   * ListImageReferrers. Derived from the images: kept by insertImage/deleteImage, rebuilt when state loads.
   */
  referrers: Map<string, ImageRecord[]>;
  /**
   * Blob digest → number of images using it that are not ACTIVE (archived or activating), so a layer download
   * can tell in O(1) whether any pullable image still uses a blob. Kept by archive.ts and deleteImage.
   */
  unpullableBlobs: Map<string, number>;
  /** Images being restored (ACTIVATING), settled to ACTIVE by archive.ts `settleRestores` once their time comes. */
  activating: Set<ImageRecord>;
  deleted?: boolean;
}

/** A layer upload in progress (InitiateLayerUpload, or a registry API session): its bytes go to `writer`. */
export interface Upload {
  id: string;
  repositoryName: string;
  /** Sizes of the parts received, in order (ECR's 5 MiB minimum applies to all but the last). */
  partSizes: number[];
  received: number;
  writer: BlobWriter;
  /** A request is streaming bytes into the upload: another one must not write at the same time. */
  busy?: boolean;
}

/**
 * A blob a registry holds; `holders` counts its repositories that have it. The bytes are in the sandbox's
 * {@link BlobStore}, which the registry retains once however many of its repositories hold the blob.
 */
export interface StoredBlob {
  size: number;
  holders: number;
}

export class RegistryState {
  /** Where blob bytes live (shared by every registry of the sandbox). */
  constructor(readonly store: BlobStore = new MemoryBlobStore()) {}

  repos = new Map<string, RepositoryRecord>();
  repoOrder: RepositoryRecord[] = [];
  deadRepos = 0;
  nextRepoSeq = 1;
  blobs = new Map<string, StoredBlob>();
  settings: RegistrySettings = defaultRegistrySettings();
  uploads = new Map<string, Upload>();
  catalogue = new Map<string, FindingsCatalogueEntry>();

  newRepository(
    fields: Omit<
      RepositoryRecord,
      | 'seq'
      | 'images'
      | 'tagIndex'
      | 'order'
      | 'deadInOrder'
      | 'nextImageSeq'
      | 'blobs'
      | 'referencedBy'
      | 'referrers'
      | 'unpullableBlobs'
      | 'activating'
    >,
  ): RepositoryRecord {
    const repo: RepositoryRecord = {
      ...fields,
      seq: this.nextRepoSeq++,
      images: new Map(),
      tagIndex: new Map(),
      order: [],
      deadInOrder: 0,
      nextImageSeq: 1,
      blobs: new Map(),
      referencedBy: new Map(),
      referrers: new Map(),
      unpullableBlobs: new Map(),
      activating: new Set(),
    };
    this.repos.set(repo.name, repo);
    this.repoOrder.push(repo);
    return repo;
  }

  removeRepository(repo: RepositoryRecord): void {
    repo.deleted = true;
    this.repos.delete(repo.name);
    for (const digest of repo.blobs.keys()) this.releaseBlob(digest);
    this.deadRepos++;
    if (this.deadRepos > 64 && this.deadRepos * 2 > this.repoOrder.length) {
      this.repoOrder = this.repoOrder.filter((r) => !r.deleted);
      this.deadRepos = 0;
    }
  }

  /**
   * Put a blob the store already holds into a repository (an upload committed, a mount, a replica, state being
   * loaded). A blob the store lacks is not added.
   */
  addBlobToRepository(repo: RepositoryRecord, digest: string): void {
    if (repo.blobs.has(digest)) return;
    const stored = this.blobs.get(digest);
    if (stored) stored.holders++;
    else {
      const size = this.store.size(digest);
      if (size === undefined) return;
      this.store.retain(digest);
      this.blobs.set(digest, { size, holders: 1 });
    }
    repo.blobs.set(digest, 0);
  }

  /**
   * Put a blob an upload just committed into its repository. The repository may have gone while the bytes were
   * being written: the blob is then let go at once (false), so no unheld bytes stay in the store.
   */
  attachUploadedBlob(repo: RepositoryRecord, digest: string): boolean {
    if (!repo.deleted && this.repos.get(repo.name) === repo) {
      this.addBlobToRepository(repo, digest);
      return true;
    }
    if (!this.blobs.has(digest)) {
      this.store.retain(digest);
      this.store.release(digest);
    }
    return false;
  }

  private releaseBlob(digest: string): void {
    const stored = this.blobs.get(digest);
    if (!stored) return;
    stored.holders--;
    if (stored.holders <= 0) {
      this.blobs.delete(digest);
      this.store.release(digest);
    }
  }

  /** End an upload in progress: its bytes are dropped (a temp file goes). */
  dropUpload(id: string): Promise<void> {
    const upload = this.uploads.get(id);
    if (!upload) return Promise.resolve();
    this.uploads.delete(id);
    return upload.writer.abort();
  }

  /** Append a new image at the end of the push order and index it. */
  insertImage(repo: RepositoryRecord, image: Omit<ImageRecord, 'seq'>): ImageRecord {
    const record = image as ImageRecord;
    record.seq = repo.nextImageSeq++;
    repo.images.set(record.digest, record);
    repo.order.push(record);
    for (const tag of record.tags) repo.tagIndex.set(tag, record.digest);
    for (const blob of record.blobs) repo.blobs.set(blob, (repo.blobs.get(blob) ?? 0) + 1);
    for (const child of record.children)
      repo.referencedBy.set(child, (repo.referencedBy.get(child) ?? 0) + 1);
    if (record.subject !== undefined) addReferrer(repo, record.subject, record);
    if (record.imageStatus !== 'ACTIVE') countUnpullable(repo, record, 1);
    if (record.imageStatus === 'ACTIVATING') repo.activating.add(record);
    return record;
  }

  /** Remove an image (all its tags); blobs stay in the repository, as in a registry before garbage collection. */
  deleteImage(repo: RepositoryRecord, image: ImageRecord): void {
    image.deleted = true;
    repo.images.delete(image.digest);
    for (const tag of image.tags) {
      if (repo.tagIndex.get(tag) === image.digest) repo.tagIndex.delete(tag);
    }
    for (const blob of image.blobs) repo.blobs.set(blob, Math.max(0, (repo.blobs.get(blob) ?? 1) - 1));
    for (const child of image.children) {
      const count = (repo.referencedBy.get(child) ?? 1) - 1;
      if (count <= 0) repo.referencedBy.delete(child);
      else repo.referencedBy.set(child, count);
    }
    if (image.subject !== undefined) removeReferrer(repo, image.subject, image);
    if (image.imageStatus !== 'ACTIVE') countUnpullable(repo, image, -1);
    repo.activating.delete(image);
    repo.deadInOrder++;
    // Compact lazily so a 100-image BatchDeleteImage on a 100,000-image repository doesn't splice 100 times.
    if (repo.deadInOrder > 1024 && repo.deadInOrder * 4 > repo.order.length) {
      repo.order = repo.order.filter((r) => !r.deleted);
      repo.deadInOrder = 0;
    }
  }

  /** Images from push position `seq` on (binary search), skipping tombstones lazily. */
  *imagesFrom(repo: RepositoryRecord, seq: number): Generator<ImageRecord> {
    const order = repo.order;
    for (let i = lowerBound(order, seq); i < order.length; i++) {
      const image = order[i] as ImageRecord;
      if (!image.deleted) yield image;
    }
  }

  clear(): void {
    this.repos.clear();
    this.repoOrder = [];
    this.deadRepos = 0;
    this.nextRepoSeq = 1;
    for (const digest of this.blobs.keys()) this.store.release(digest);
    this.blobs.clear();
    this.settings = defaultRegistrySettings();
    for (const id of [...this.uploads.keys()]) void this.dropUpload(id);
    this.catalogue.clear();
  }
}

/** Add (`delta` 1) or remove (-1) an image that is not ACTIVE from its blobs' unpullable counts. */
export function countUnpullable(repo: RepositoryRecord, image: ImageRecord, delta: 1 | -1): void {
  for (const blob of image.blobs) {
    const count = (repo.unpullableBlobs.get(blob) ?? 0) + delta;
    if (count <= 0) repo.unpullableBlobs.delete(blob);
    else repo.unpullableBlobs.set(blob, count);
  }
}

/**
 * Index a referrer under its subject. Appending keeps the list in ascending `seq`: a push gets the highest
 * `seq`, and loading state inserts images in their saved (ascending `seq`) order.
 */
function addReferrer(repo: RepositoryRecord, subject: string, image: ImageRecord): void {
  const list = repo.referrers.get(subject);
  if (list === undefined) repo.referrers.set(subject, [image]);
  else list.push(image);
}

/** Drop a referrer from its subject's list (binary search on `seq`; the list goes when empty). */
function removeReferrer(repo: RepositoryRecord, subject: string, image: ImageRecord): void {
  const list = repo.referrers.get(subject);
  if (list === undefined) return;
  let at = lowerBound(list, image.seq);
  if (list[at] !== image) at = list.indexOf(image);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) repo.referrers.delete(subject);
}

/** Catalogue entries are keyed by repository plus digest (preferred) or tag. */
export function catalogueKey(
  repositoryName: string,
  ref: { imageDigest?: string; imageTag?: string },
): string {
  return ref.imageDigest !== undefined
    ? `${repositoryName}\u0000digest\u0000${ref.imageDigest}`
    : `${repositoryName}\u0000tag\u0000${ref.imageTag ?? ''}`;
}

export function catalogueKeyOf(entry: FindingsCatalogueEntry): string {
  return catalogueKey(entry.repositoryName, entry);
}
