/**
 * What a cleanup plan reads besides the images, in a module of its own: an offline plan (snapshots) needs only the
 * configuration, so the CLI builds its dependencies here without loading compose.ts and its SDK clients.
 */
import type { CleanupSettings } from './config-schema.ts';
import type { PlanCleanupDeps } from './plan-cleanup.ts';
import type { ProtectionSignal, RepositoryCatalog, RepositoryImages } from './ports.ts';

/** What a cleanup needs of the configuration (sentinel.config.yml). */
export interface CleanupConfig {
  readonly cleanup: CleanupSettings;
  readonly repositoryGroups: readonly { name: string; repositories: readonly string[] }[];
  readonly applications: readonly { name: string }[];
}

/**
 * The dependencies of `planCleanup`: the configuration's settings and groups, and when `registry` is given (a
 * plan online) the registry's repositories and images and the protection signals. Without it the plan reads
 * snapshots only and no signal.
 */
export function planDeps(
  config: CleanupConfig,
  registry?: {
    readonly catalog: RepositoryCatalog;
    readonly images: RepositoryImages;
    readonly signals: readonly ProtectionSignal[];
  },
): PlanCleanupDeps {
  return {
    settings: config.cleanup,
    repositoryGroups: config.repositoryGroups,
    ...(registry ? { catalog: registry.catalog, images: registry.images } : {}),
    signals: registry?.signals ?? [],
  };
}
