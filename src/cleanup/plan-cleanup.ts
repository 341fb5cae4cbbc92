import { mapLimit } from '../shared/concurrency.ts';
import { groupOf } from '../shared/repository-groups.ts';
import { type CleanupSettings, cleanupSettingsFor, type RepositoryCleanupSettings } from './config-schema.ts';
import type { RepositoryImage, SignalReport } from './domain/images.ts';
import { type LifecyclePolicy, parseLifecyclePolicy } from './domain/lifecycle-policy.ts';
import { planRepository, type RepositoryPlan, skippedPlan } from './domain/plan.ts';
import type { ProtectionSignal, RepositoryCatalog, RepositoryImages } from './ports.ts';
import type { RepositorySnapshot } from './snapshot.ts';

/** Where a repository's lifecycle policy came from: `--policy`, sentinel.config.yml, or the repository itself. */
export type PolicySource = 'file' | 'config' | 'repository';

/** One repository's plan, with where its policy came from. */
export interface PlannedRepository {
  readonly plan: RepositoryPlan;
  readonly policySource?: PolicySource;
}

/** A plan over repositories. */
export interface CleanupPlan {
  readonly now: string;
  readonly repositories: readonly PlannedRepository[];
  /** The signals read (empty offline): what the protections could know. */
  readonly signals: readonly string[];
}

export interface PlanCleanupDeps {
  readonly settings: CleanupSettings;
  readonly repositoryGroups: readonly { name: string; repositories: readonly string[] }[];
  /** The registry; absent offline (then snapshots and a policy from the file or the config are needed). */
  readonly catalog?: RepositoryCatalog;
  readonly images?: RepositoryImages;
  /** Protection signals to read once per plan; each is applied only where the repository's group enables it. */
  readonly signals: readonly ProtectionSignal[];
}

export interface PlanCleanupRequest {
  /** Repositories to plan; all of the registry (or of the snapshots) when empty. */
  readonly repositories?: readonly string[];
  /** `--policy`: replaces the config's and the repositories' own policies. */
  readonly policy?: LifecyclePolicy;
  readonly snapshots?: readonly RepositorySnapshot[];
  readonly now: Date;
  /**
   * Signals already read (the scheduled fan-out reads them once and hands each repository its share); when
   * given, `deps.signals` are not read.
   */
  readonly signalReports?: readonly NamedSignalReport[];
  /** Repositories read at once from the registry. */
  readonly concurrency?: number;
}

/** What one signal found, under its name (a group may turn a signal off). */
export interface NamedSignalReport extends SignalReport {
  readonly signal: string;
}

/**
 * Reads every signal once for all `repositories`; a signal that throws becomes a doubt on every repository,
 * never a failure of the plan.
 */
export async function readSignals(
  signals: readonly ProtectionSignal[],
  repositories: readonly string[],
  now: Date,
): Promise<NamedSignalReport[]> {
  return Promise.all(
    signals.map(async (signal): Promise<NamedSignalReport> => {
      try {
        return { signal: signal.name, ...(await signal.read({ repositories, now })) };
      } catch (error) {
        return {
          signal: signal.name,
          uses: [],
          doubts: [{ signal: signal.name, reason: `could not be read (${errorText(error)})` }],
        };
      }
    }),
  );
}

/** The part of each report that concerns one repository (what a fan-out message carries). */
export function reportsFor(
  reports: readonly NamedSignalReport[],
  repositoryName: string,
): NamedSignalReport[] {
  return reports.map((r) => ({
    signal: r.signal,
    uses: r.uses.filter((u) => u.repositoryName === repositoryName),
    doubts: r.doubts.filter((d) => d.repositoryName === undefined || d.repositoryName === repositoryName),
  }));
}

/** Thrown when a plan can't be made at all (not for one repository: those are reported in the plan). */
export class CleanupPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CleanupPlanError';
  }
}

/** Whether the repository's group enables a signal (the names ProtectionSignal adapters use). */
function signalEnabled(name: string, settings: RepositoryCleanupSettings): boolean {
  switch (name) {
    case 'ecs':
      return settings.protect.ecsTaskDefinitionRevisions !== undefined;
    case 'lambda':
      return settings.protect.lambda;
    case 'inspector':
      return settings.protect.inspectorWithinDays !== undefined;
    case 'promotions':
      return settings.protect.promotedPrevious !== undefined;
    default:
      return true;
  }
}

/**
 * Plans a cleanup: for each repository, its images (registry or snapshot), its policy (`--policy`, else its
 * group's in the config, else its own), the signals its group enables, then {@link planRepository}.
 *
 * Signals are read once for all repositories (one ECS and Lambda inventory per plan, not per repository); a
 * signal that throws counts as a doubt on every repository.
 */
export async function planCleanup(deps: PlanCleanupDeps, request: PlanCleanupRequest): Promise<CleanupPlan> {
  const snapshots = new Map((request.snapshots ?? []).map((s) => [s.repositoryName, s]));
  const offline = snapshots.size > 0;
  let names: string[];
  if (offline) {
    names = [...snapshots.keys()];
    if (request.repositories && request.repositories.length > 0) {
      const missing = request.repositories.filter((r) => !snapshots.has(r));
      if (missing.length > 0)
        throw new CleanupPlanError(
          `--repository ${missing.join(', ')}: no snapshot of it (snapshots: ${names.join(', ')})`,
        );
      names = [...request.repositories];
    }
  } else if (request.repositories && request.repositories.length > 0) {
    names = [...request.repositories];
  } else {
    if (!deps.catalog) throw new CleanupPlanError('no registry to list repositories from, and no --snapshot');
    names = (await deps.catalog.list()).map((r) => r.repositoryName).sort();
  }

  const reports =
    request.signalReports ?? (offline ? [] : await readSignals(deps.signals, names, request.now));
  const planOrSkip = async (repositoryName: string): Promise<PlannedRepository> => {
    try {
      return await planOne(repositoryName);
    } catch (error) {
      if (error instanceof CleanupPlanError) throw error;
      // The registry didn't answer for this repository (throttled past retries, denied, gone): skip it, say why.
      return {
        plan: skippedPlan(
          repositoryName,
          0,
          `not cleaned on doubt: its images could not be read (${errorText(error)})`,
        ),
      };
    }
  };

  const planOne = async (repositoryName: string): Promise<PlannedRepository> => {
    const settings = cleanupSettingsFor(deps.settings, groupOf(deps.repositoryGroups, repositoryName));
    const snapshot = snapshots.get(repositoryName);
    const source = await policyOf(deps, request, repositoryName, settings, offline);
    const images = snapshot?.images ?? (await imagesOf(deps, repositoryName));
    if (source === undefined) {
      const reason = offline
        ? 'no lifecycle policy: give --policy or a cleanup policy in the config (the repository’s own needs the registry)'
        : 'no lifecycle policy: none in --policy, the config or the repository';
      return { plan: skippedPlan(repositoryName, images.length, reason) };
    }
    if ('problem' in source) return { plan: skippedPlan(repositoryName, images.length, source.problem) };
    const enabled = reports.filter((r) => signalEnabled(r.signal, settings));
    return {
      policySource: source.source,
      plan: planRepository({
        ...baseInput(repositoryName, images, settings, deps, request),
        policy: source.policy,
        uses: enabled.flatMap((r) => r.uses.filter((u) => u.repositoryName === repositoryName)),
        doubts: enabled.flatMap((r) => r.doubts),
        ...(snapshot?.indexChildrenUnknown ? { indexChildrenUnknown: true } : {}),
      }),
    };
  };

  const repositories = await mapLimit(names, request.concurrency ?? 4, planOrSkip);
  return { now: request.now.toISOString(), repositories, signals: reports.map((r) => r.signal) };
}

function baseInput(
  repositoryName: string,
  images: readonly RepositoryImage[],
  settings: RepositoryCleanupSettings,
  deps: PlanCleanupDeps,
  request: PlanCleanupRequest,
) {
  return {
    repositoryName,
    images,
    protect: settings.protect,
    uses: [],
    doubts: [],
    maxDeletions: settings.maxDeletions,
    pricePerGbMonth: deps.settings.pricePerGbMonth,
    now: request.now,
  };
}

async function imagesOf(deps: PlanCleanupDeps, repositoryName: string): Promise<readonly RepositoryImage[]> {
  if (!deps.images)
    throw new CleanupPlanError(`no registry to read ${repositoryName} from, and no snapshot of it`);
  return deps.images.list(repositoryName);
}

async function policyOf(
  deps: PlanCleanupDeps,
  request: PlanCleanupRequest,
  repositoryName: string,
  settings: RepositoryCleanupSettings,
  offline: boolean,
): Promise<{ source: PolicySource; policy: LifecyclePolicy } | { problem: string } | undefined> {
  if (request.policy) return { source: 'file', policy: request.policy };
  if (settings.policy) return { source: 'config', policy: settings.policy };
  if (offline || !deps.catalog) return undefined;
  const text = await deps.catalog.lifecyclePolicy(repositoryName);
  if (text === undefined) return undefined;
  const parsed = parseLifecyclePolicy(text);
  if (!parsed.ok)
    return {
      problem: `its own lifecycle policy is not valid here: ${parsed.problems.map((p) => p.text).join('; ')}`,
    };
  return { source: 'repository', policy: parsed.policy };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
