import type { PromotionEvent } from '../notifications/index.ts';
import type { ScanResult } from '../scan-gate/index.ts';
import type { Promotion, PromotionStatus, Release } from './domain/promotion.ts';

/**
 * What the promotion use cases need from the outside world. Adapters in ./adapters implement them against AWS;
 * the use cases and the domain see only these shapes.
 */

/** One image in one registry: where a promotion reads from. */
export interface SourceImage {
  /** Account id of the registry (ECR's `registryId`). */
  registryId: string;
  repositoryName: string;
  imageDigest: string;
}

/** Where a promotion writes: the target repository and the tag the image gets there. */
export interface TargetImage {
  registryId: string;
  repositoryName: string;
  imageTag: string;
}

/** How a repository the promotion creates is set up: compliant by construction. */
export interface RepositorySettings {
  /** Scan on push (basic scanning of the repository). */
  scanOnPush: boolean;
  /** IMMUTABLE in production-like environments: a promoted tag never moves. */
  imageTagMutability: 'MUTABLE' | 'IMMUTABLE';
  /** AES256 (ECR-managed) or a KMS key. */
  encryption: { type: 'AES256' } | { type: 'KMS'; kmsKey?: string };
  /** The lifecycle policy text to put on creation, when the environment has one. */
  lifecyclePolicyText?: string;
}

/** What a copy did, for the promotion record and the benchmark. */
export interface CopyOutcome {
  /** Blobs (layers and configs) uploaded into the target. */
  blobsCopied: number;
  /** Blobs the target already had (BatchCheckLayerAvailability said AVAILABLE). */
  blobsSkipped: number;
  /**
   * Blobs the target got by a cross-repository mount inside one registry (blob mounting enabled): no byte
   * uploaded for them, and not counted in `blobsCopied`.
   */
  blobsMounted: number;
  /** Bytes uploaded (a mounted blob adds none). */
  bytesCopied: number;
  /** Manifests put: the image's own, an index's children, referrers' (signatures, SBOMs). */
  manifestsPut: number;
  /** Artifacts whose `subject` is the image, copied along. */
  referrersCopied: number;
  /** The target already held this digest under this tag: nothing was put. */
  alreadyPresent: boolean;
}

/**
 * Copies one image by digest from a source repository into a target repository (possibly another account or
 * Region: the adapter holds a client for each side), layer-correctly: every blob the manifest references must be
 * in the target before its PutImage (ECR answers LayersNotFoundException otherwise).
 */
export interface ImageCopier {
  /**
   * @throws PromotionConflictError when the target tag is immutable and held by another digest (nothing changed)
   * @throws ImageGoneError (src/shared/errors.ts) when the source digest or repository is not there
   * @throws ImageCopyError (a SentinelError saying whether a retry may help) for any other failed copy
   */
  copy(source: SourceImage, target: TargetImage, options: { copyReferrers: boolean }): Promise<CopyOutcome>;
}

/** Target repositories: found, or created with the environment's settings. */
export interface TargetRepositories {
  /** Create the repository when it does not exist; answers whether it was created. Existing ones are left alone. */
  ensure(
    registryId: string,
    repositoryName: string,
    settings: RepositorySettings,
  ): Promise<{ created: boolean }>;
}

/**
 * Promotion records (the audit trail: never deleted by the tool). Every status change is a conditional write
 * from the expected previous status, so of two concurrent changes one wins and the other gets
 * PromotionConflictError.
 */
export interface PromotionStore {
  /**
   * Record a new promotion. While one for the same app, target environment and digest is open or completed,
   * that one is returned instead (`created: false`): concurrent identical requests make one promotion.
   * A promotion created FAILED (refused by the gate) is recorded without claiming the request.
   */
  create(promotion: Promotion): Promise<{ promotion: Promotion; created: boolean }>;
  /** The open or completed promotion of this request, if any. */
  findRequest(app: string, environment: string, digest: string): Promise<Promotion | undefined>;
  get(id: string): Promise<Promotion | undefined>;
  /**
   * Store `next` if the stored record's status is still `expected`.
   * @throws PromotionConflictError naming the status found when another change came first
   */
  transition(next: Promotion, expected: PromotionStatus): Promise<void>;
  /** Newest first; `app` narrows to one application. */
  list(query: { app?: string; digest?: string; limit?: number }): Promise<Promotion[]>;
  /** What runs in each environment of `app`. */
  releases(app: string): Promise<Release[]>;
}

/** One environment's registry: which account and Region, and the role to assume there (if any). */
export interface RegistryLocation {
  accountId: string;
  region: string;
  roleArn?: string | undefined;
}

/** An image found by tag. */
export interface ResolvedImage {
  imageDigest: string;
  imageTags: string[];
}

/** What a promotion does in one environment's registry, with that registry's credentials. */
export interface Registry {
  /** The image a tag names; undefined when the repository or the tag does not exist. */
  resolveTag(repositoryName: string, imageTag: string): Promise<ResolvedImage | undefined>;
  /** The digest's latest scan in a repository; undefined when the image (or repository) is not there. */
  readScan(repositoryName: string, imageDigest: string): Promise<ScanResult | undefined>;
  repositories: TargetRepositories;
  /** Whether the registry scans `repositoryName` on push (repository setting or registry scanning rules). */
  scansOnPush(repositoryName: string): Promise<boolean>;
  /** Start a basic scan; an image already scanned today (LimitExceeded) counts as started. */
  startScan(repositoryName: string, imageDigest: string): Promise<void>;
}

/** Registries by location, and copiers between two of them. */
export interface Registries {
  at(location: RegistryLocation): Registry;
  copier(from: RegistryLocation, to: RegistryLocation): ImageCopier;
}

/** What a promotion tells the world (notifications renders each as an alert; the bus carries it as an event). */
export type { PromotionEvent } from '../notifications/index.ts';

/** Announces promotion outcomes (alerts, EventBridge events). */
export interface PromotionAnnouncer {
  announce(event: PromotionEvent, promotion: Promotion): Promise<void>;
}
