import type { EcrEmulatorOptions, EventEntry, RegistryRef } from '../contracts.ts';
import { type BlobStore, MemoryBlobStore } from './blob-store.ts';
import type { Operations } from './context.ts';
import { linkPeers } from './replication.ts';
import { EcrService } from './service.ts';
import { RegistryState } from './state.ts';

/**
 * One registry — an account in a Region, as in ECR — with its own repositories, blobs, uploads, settings,
 * findings catalogue and scans, and the dispatch table that serves it (built once, when the registry is created).
 */
export class Registry implements RegistryRef {
  readonly state: RegistryState;
  readonly service: EcrService;
  readonly operations: Operations;

  constructor(
    readonly accountId: string,
    readonly region: string,
    options: EcrEmulatorOptions,
    changed: () => void,
    home: boolean,
    /** The emulator's registry of an account and Region (created on first use): where replication copies to. */
    peer: (accountId: string, region: string) => Registry,
    /** The sandbox's one blob store, shared by every registry. */
    blobs: BlobStore = new MemoryBlobStore(),
  ) {
    this.state = new RegistryState(blobs);
    const ref: RegistryRef = { accountId, region };
    const own: EcrEmulatorOptions = {
      ...options,
      accountId,
      region,
      // Events go to the default bus of the registry's own account and Region.
      emit: home ? options.emit : (entries: EventEntry[]) => options.emit(entries, ref),
    };
    this.service = new EcrService(own, this.state, changed, home ? undefined : ref);
    this.operations = this.service.operations();
    linkPeers(this.service.ecr, (a, r) => peer(a, r).service.ecr);
  }
}

/**
 * The emulator's registries, keyed by account and Region, each created on first use. The sandbox's own (the
 * home registry) always exists and is found without building a key.
 */
export class Registries {
  readonly home: Registry;
  private readonly others = new Map<string, Registry>();

  constructor(
    private readonly options: EcrEmulatorOptions,
    private readonly changed: () => void,
    private readonly blobs: BlobStore = new MemoryBlobStore(),
  ) {
    this.home = new Registry(
      options.accountId,
      options.region,
      options,
      changed,
      true,
      (a, r) => this.get(a, r),
      blobs,
    );
  }

  /** The registry of `accountId` in `region`, if it was ever used. */
  find(accountId: string, region: string): Registry | undefined {
    if (accountId === this.home.accountId && region === this.home.region) return this.home;
    return this.others.get(`${accountId}/${region}`);
  }

  /** The registry of `accountId` in `region`, created empty on first use. */
  get(accountId: string, region: string): Registry {
    const found = this.find(accountId, region);
    if (found) return found;
    const registry = new Registry(
      accountId,
      region,
      this.options,
      this.changed,
      false,
      (a, r) => this.get(a, r),
      this.blobs,
    );
    this.others.set(`${accountId}/${region}`, registry);
    return registry;
  }

  /** Every registry, the home registry first. */
  all(): Registry[] {
    return [this.home, ...this.others.values()];
  }

  cancelScans(): void {
    for (const registry of this.all()) registry.service.cancelScans();
  }

  /** Empty every registry; only the home registry remains. */
  clear(): void {
    this.cancelScans();
    // Every registry lets go of its blobs (and drops its uploads), so the shared store frees them too.
    for (const registry of this.all()) registry.state.clear();
    this.others.clear();
  }
}
