import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FindingsCatalogueEntry } from '../contracts.ts';
import type { DirectoryBlobStore } from './blob-store.ts';
import type { ExclusionFilter, RegistrySettings } from './settings-state.ts';
import {
  catalogueKeyOf,
  type ImageRecord,
  type RegistryState,
  type RepositoryRecord,
  type TagMutability,
} from './state.ts';

const STATE_FILE = 'ecr-state.json';

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

/**
 * Saves and loads every registry's {@link RegistryState} under a directory: metadata as one JSON document
 * (written to a temp file then renamed, so a crash never leaves half a file). Blobs are the files of the
 * {@link DirectoryBlobStore} in the same directory (`blobs/<digest>`), written once when uploaded and shared by
 * the registries that hold the same bytes: saving names them, never rewrites them. Uploads in progress are not
 * persisted (ECR expires them too).
 */
export class StateStore {
  constructor(
    private readonly dir: string,
    private readonly blobs: DirectoryBlobStore,
  ) {}

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
    if (persisted.version === 2) {
      for (const saved of persisted.registries) {
        await this.loadRegistry(registryFor(saved.accountId, saved.region).state, saved);
      }
    } else {
      await this.loadRegistry(home.state, persisted);
    }
  }

  private async loadRegistry(state: RegistryState, persisted: PersistedRegistry): Promise<void> {
    state.clear();
    state.settings = persisted.settings;
    for (const entry of persisted.catalogue) state.catalogue.set(catalogueKeyOf(entry), entry);
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
        // Only the size is read: the bytes stay in their file until a pull streams them.
        await this.blobs.adopt(digest);
        state.addBlobToRepository(repo, digest);
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
    await mkdir(this.dir, { recursive: true });
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
      for (const digest of state.blobs.keys()) wanted.add(digest);
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
    await this.blobs.sweep(wanted);
  }
}
