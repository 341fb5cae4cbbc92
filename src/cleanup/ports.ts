import type { RepositoryImage, SignalReport } from './domain/images.ts';

export type { ImageUse, RepositoryImage, SignalDoubt, SignalReport } from './domain/images.ts';

/** A repository cleanup may look at, in the account and Region it runs in. */
export interface RepositoryRef {
  readonly repositoryName: string;
  readonly registryId: string;
}

/** The registry's repositories and their own lifecycle policies. */
export interface RepositoryCatalog {
  /** Every repository (DescribeRepositories, all pages). */
  list(): Promise<RepositoryRef[]>;
  /** The repository's lifecycle policy text, or undefined when it has none. */
  lifecyclePolicy(repositoryName: string): Promise<string | undefined>;
}

/** A repository's images, every storage class, with what structure protection needs. */
export interface RepositoryImages {
  /**
   * Every image of the repository: DescribeImages in pages of 1000 (`imageStatus` ANY), plus the manifests of
   * indexes (BatchGetImage) so their children are known.
   */
  list(repositoryName: string): Promise<RepositoryImage[]>;
}

/**
 * One source of "this image is needed": ECS, Lambda, Inspector's in-use data, promotions. A signal that can't be
 * read reports doubts instead of throwing, so the repositories it covers are skipped, never cleaned.
 */
export interface ProtectionSignal {
  /** Short name used in reasons and reports: `ecs`, `lambda`, `inspector`, `promotions`. */
  readonly name: string;
  read(query: { readonly repositories: readonly string[]; readonly now: Date }): Promise<SignalReport>;
}

/** A per-image failure of a removal call, as ECR reports it (`failures[]`). */
export interface RemovalFailure {
  readonly digest: string;
  readonly code: string;
  readonly message: string;
}

export interface RemovalResult {
  /** Digests removed (deleted, or moved to archive). */
  readonly done: readonly string[];
  /** Digests that still failed after one retry. */
  readonly failures: readonly RemovalFailure[];
}

/** Removes images from a repository. */
export interface ImageRemover {
  /**
   * Deletes by digest with BatchDeleteImage, at most 100 per call, in the order given (indexes before their
   * children: the caller orders). Per-item failures are retried once, then reported; nothing throws for them.
   */
  expire(
    repositoryName: string,
    digests: readonly string[],
    /** Called after each call with how many digests have been tried so far (for a progress bar). */
    onProgress?: (tried: number) => void,
  ): Promise<RemovalResult>;
  /** Moves images to the archive storage class (UpdateImageStorageClass), one call per image. */
  archive(repositoryName: string, digests: readonly string[]): Promise<RemovalResult>;
}

/** How a run was started. */
export type CleanupTrigger = 'schedule' | 'cli';

/** One cleanup run: a schedule's fan-out over repositories, or one CLI apply. */
export interface CleanupRun {
  /** ULID (src/shared/ulid.ts): sortable by start. */
  readonly runId: string;
  readonly startedAt: string;
  readonly trigger: CleanupTrigger;
  /** True when nothing is deleted: the plan is recorded and reported only. */
  readonly dryRun: boolean;
  /** Repositories the run covers; the run is complete when each has recorded its outcome. */
  readonly repositoryCount: number;
}

/**
 * What happened to one repository in a run.
 * - `cleaned`: deletions (and transitions) applied; `failedCount` may be > 0;
 * - `dry-run`: planned only;
 * - `noticed`: announced for deletion on `deleteOn` (cleanup.noticeDays), nothing deleted yet;
 * - `skipped`: a signal couldn't be read, or no lifecycle policy applies;
 * - `refused`: over the deletion cap;
 * - `failed`: the repository could not be planned (its error in `reason`).
 */
export type RepositoryOutcomeStatus = 'cleaned' | 'dry-run' | 'noticed' | 'skipped' | 'refused' | 'failed';

export interface RepositoryOutcome {
  readonly runId: string;
  readonly repositoryName: string;
  readonly status: RepositoryOutcomeStatus;
  readonly reason?: string;
  readonly imageCount: number;
  /** Images the plan expires (deleted when `cleaned`). */
  readonly expiringCount: number;
  readonly transitioningCount: number;
  readonly protectedCount: number;
  readonly deletedCount: number;
  readonly bytesReclaimed: number;
  readonly monthlySavingsUsd: number;
  readonly failures: readonly RemovalFailure[];
  /** For `noticed`: the day (YYYY-MM-DD, UTC) the images will be deleted. */
  readonly deleteOn?: string;
  readonly finishedAt: string;
}

/** One image a run deleted or archived, kept (with a TTL) for audit. */
export interface RemovedImageRecord {
  readonly runId: string;
  readonly repositoryName: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly sizeBytes: number;
  readonly action: 'EXPIRE' | 'TRANSITION';
  readonly rulePriority: number;
  readonly removedAt: string;
}

/** A run with every repository outcome recorded so far. */
export interface CleanupRunReport {
  readonly run: CleanupRun;
  readonly outcomes: readonly RepositoryOutcome[];
}

/** The record of cleanup runs (DynamoDB, single table). */
export interface CleanupRecords {
  startRun(run: CleanupRun): Promise<void>;
  /** Records removed images; several calls per repository are fine. */
  recordRemoved(images: readonly RemovedImageRecord[]): Promise<void>;
  /**
   * Records a repository's outcome once: a repeated delivery of the same repository (SQS is at least once)
   * changes nothing and reports `first: false`. `remaining` is how many repositories of the run have no outcome
   * yet, after this one.
   */
  recordOutcome(outcome: RepositoryOutcome): Promise<{ first: boolean; remaining: number }>;
  /**
   * Claims the run's summary: true exactly once per run, for whoever asks first, so one summary is sent even
   * when the last two repositories finish at the same time.
   */
  claimSummary(runId: string): Promise<boolean>;
  /** The run and its outcomes, or undefined for an unknown run. */
  report(runId: string): Promise<CleanupRunReport | undefined>;
}

/**
 * An advance notice (cleanup.noticeDays): the images of a repository announced for deletion on `deleteOn`. On
 * that day the repository is planned again and only what is still eligible *and* was announced is deleted.
 */
export interface CleanupNotice {
  readonly repositoryName: string;
  /** The run that announced it. */
  readonly runId: string;
  readonly noticedAt: string;
  /** The first day (YYYY-MM-DD, UTC) the announced images may be deleted. */
  readonly deleteOn: string;
  readonly digests: readonly string[];
  readonly bytes: number;
}

/** Where notices are kept between runs (one per repository). */
export interface CleanupNotices {
  get(repositoryName: string): Promise<CleanupNotice | undefined>;
  /** Records a notice, replacing the repository's previous one. */
  put(notice: CleanupNotice): Promise<void>;
  clear(repositoryName: string): Promise<void>;
}
