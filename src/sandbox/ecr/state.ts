import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReplicationStatus } from '@aws-sdk/client-ecr';
import type { FindingsCatalogueEntry } from '../contracts.ts';
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

export interface Upload {
  id: string;
  repositoryName: string;
  parts: Buffer[];
  received: number;
}

/** A blob stored once for the whole registry; `holders` counts repositories that have it. */
export interface StoredBlob {
  data: Buffer;
  holders: number;
}

export class RegistryState {
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

  /** Put a blob into a repository (uploading it, or counting it when loading state). */
  addBlobToRepository(repo: RepositoryRecord, digest: string, data: Buffer): void {
    if (repo.blobs.has(digest)) return;
    repo.blobs.set(digest, 0);
    const stored = this.blobs.get(digest);
    if (stored) stored.holders++;
    else this.blobs.set(digest, { data, holders: 1 });
  }

  private releaseBlob(digest: string): void {
    const stored = this.blobs.get(digest);
    if (!stored) return;
    stored.holders--;
    if (stored.holders <= 0) this.blobs.delete(digest);
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
    this.blobs.clear();
    this.settings = defaultRegistrySettings();
    this.uploads.clear();
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

// ---- persistence ---------------------------------------------------------------------------------------

const STATE_FILE = 'ecr-state.json';
const BLOB_DIR = 'blobs';

/** Storage class and status are optional: state saved before the emulator modelled archive has neither. */
interface PersistedImage extends Omit<ImageRecord, 'deleted' | 'storageClass' | 'imageStatus'> {
  storageClass?: ImageRecord['storageClass'];
  imageStatus?: ImageRecord['imageStatus'];
}

interface PersistedRepository {
  name: string;
  createdAt: number;
  imageTagMutability: TagMutability;
  exclusionFilters: ExclusionFilter[];
  scanOnPush: boolean;
  encryption: RepositoryRecord['encryption'];
  resourceTags: Array<[string, string]>;
  lifecyclePolicy?: RepositoryRecord['lifecyclePolicy'];
  policyText?: string;
  blobs: string[];
  nextImageSeq: number;
  images: PersistedImage[];
}

/** One registry in the state file. */
interface PersistedRegistry {
  settings: RegistrySettings;
  catalogue: FindingsCatalogueEntry[];
  repositories: PersistedRepository[];
}

/** The single-registry format before registries per account and Region: it loads as the home registry. */
interface PersistedStateV1 extends PersistedRegistry {
  version: 1;
}

interface PersistedStateV2 {
  version: 2;
  registries: Array<PersistedRegistry & { accountId: string; region: string }>;
}

/** A registry as the store sees it. */
export interface StoredRegistry {
  accountId: string;
  region: string;
  state: RegistryState;
}

function blobFileName(digest: string): string {
  // Digests are `algorithm:hex`; `:` is not portable in file names.
  return digest.replace(/[^a-zA-Z0-9._-]/g, '_');
}

/**
 * Saves and loads every registry's {@link RegistryState} under a directory: metadata as one JSON document
 * (written to a temp file then renamed, so a crash never leaves half a file), blobs as one file each named by
 * digest, written once and shared by the registries that hold the same bytes. Uploads in progress are not
 * persisted (ECR expires them too).
 */
export class StateStore {
  private readonly written = new Set<string>();

  constructor(private readonly dir: string) {}

  /**
   * Load saved registries: `registryFor` gives (creating it) the registry of an account and Region; a state
   * file of the single-registry format loads into `home`.
   */
  async load(
    home: StoredRegistry,
    registryFor: (accountId: string, region: string) => StoredRegistry,
  ): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.dir, STATE_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`Cannot read ECR state from ${this.dir}`, { cause: error });
    }
    const persisted = JSON.parse(text) as PersistedStateV1 | PersistedStateV2;
    const loaded = new Map<string, Buffer>();
    if (persisted.version === 2) {
      for (const saved of persisted.registries) {
        await this.loadRegistry(registryFor(saved.accountId, saved.region).state, saved, loaded);
      }
    } else {
      await this.loadRegistry(home.state, persisted, loaded);
    }
  }

  private async loadRegistry(
    state: RegistryState,
    persisted: PersistedRegistry,
    loaded: Map<string, Buffer>,
  ): Promise<void> {
    state.clear();
    state.settings = persisted.settings;
    for (const entry of persisted.catalogue) state.catalogue.set(catalogueKeyOf(entry), entry);
    const blobDir = join(this.dir, BLOB_DIR);
    for (const saved of persisted.repositories) {
      const repo = state.newRepository({
        name: saved.name,
        createdAt: saved.createdAt,
        imageTagMutability: saved.imageTagMutability,
        exclusionFilters: saved.exclusionFilters,
        scanOnPush: saved.scanOnPush,
        encryption: saved.encryption,
        resourceTags: new Map(saved.resourceTags),
        ...(saved.lifecyclePolicy ? { lifecyclePolicy: saved.lifecyclePolicy } : {}),
        ...(saved.policyText !== undefined ? { policyText: saved.policyText } : {}),
      });
      for (const digest of saved.blobs) {
        let stored = state.blobs.get(digest);
        if (!stored) {
          let data = loaded.get(digest);
          if (!data) {
            data = await readFile(join(blobDir, blobFileName(digest)));
            loaded.set(digest, data);
            this.written.add(digest);
          }
          stored = { data, holders: 0 };
          state.blobs.set(digest, stored);
        }
        state.addBlobToRepository(repo, digest, stored.data);
      }
      for (const image of saved.images) {
        const seq = image.seq;
        const record = state.insertImage(repo, { storageClass: 'STANDARD', imageStatus: 'ACTIVE', ...image });
        record.seq = seq;
      }
      repo.nextImageSeq = Math.max(saved.nextImageSeq, repo.nextImageSeq);
    }
  }

  async save(registries: StoredRegistry[]): Promise<void> {
    await mkdir(join(this.dir, BLOB_DIR), { recursive: true });
    const blobDir = join(this.dir, BLOB_DIR);
    const wanted = new Set<string>();
    const document: PersistedStateV2 = { version: 2, registries: [] };
    for (const { accountId, region, state } of registries) {
      const repositories: PersistedRepository[] = [];
      for (const repo of state.repoOrder) {
        if (repo.deleted) continue;
        repositories.push({
          name: repo.name,
          createdAt: repo.createdAt,
          imageTagMutability: repo.imageTagMutability,
          exclusionFilters: repo.exclusionFilters,
          scanOnPush: repo.scanOnPush,
          encryption: repo.encryption,
          resourceTags: [...repo.resourceTags],
          ...(repo.lifecyclePolicy ? { lifecyclePolicy: repo.lifecyclePolicy } : {}),
          ...(repo.policyText !== undefined ? { policyText: repo.policyText } : {}),
          blobs: [...repo.blobs.keys()],
          nextImageSeq: repo.nextImageSeq,
          images: repo.order
            .filter((image) => !image.deleted)
            .map(({ deleted: _deleted, ...image }) => image),
        });
      }
      for (const [digest, stored] of state.blobs) {
        wanted.add(digest);
        if (this.written.has(digest)) continue;
        await writeFile(join(blobDir, blobFileName(digest)), stored.data);
        this.written.add(digest);
      }
      document.registries.push({
        accountId,
        region,
        settings: state.settings,
        catalogue: [...state.catalogue.values()],
        repositories,
      });
    }
    const target = join(this.dir, STATE_FILE);
    await writeFile(`${target}.tmp`, JSON.stringify(document));
    await rename(`${target}.tmp`, target);
    // Blobs no repository holds any more go after the metadata no longer mentions them.
    const wantedFiles = new Set([...wanted].map(blobFileName));
    for (const file of await readdir(blobDir)) {
      if (!wantedFiles.has(file)) await rm(join(blobDir, file), { force: true });
    }
    for (const digest of this.written) if (!wanted.has(digest)) this.written.delete(digest);
  }
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
