import type { ActionOutcome, EnforcementAction } from './domain/enforcement.ts';
import type { CreateRepositoryInput } from './domain/ensure.ts';
import type { RegistryState, RepositoryState } from './domain/state.ts';

export type { RegistryState, RepositoryState } from './domain/state.ts';

/** What compliance observed: the registry and the repositories asked about. */
export interface ObservedState {
  readonly registry: RegistryState;
  readonly repositories: readonly RepositoryState[];
}

/**
 * Reads the observed state of repositories and of their registry (account and Region). A read that fails is
 * recorded in `unreadable` with its reason, so the checks that need it are reported as unknown, never as drift;
 * only the listing itself (without which there is nothing to audit) throws.
 */
export interface ObservedStateReader {
  /**
   * @param query.repositoryNames only these repositories (default: every repository of the registry); a name
   *   the registry does not hold throws {@link UnknownRepositoryError}.
   */
  read(query: { readonly repositoryNames?: readonly string[] }): Promise<ObservedState>;
}

/** A repository asked for by name that the registry does not hold. */
export class UnknownRepositoryError extends Error {
  override readonly name = 'UnknownRepositoryError';
}

/** Applies enforcement's actions; each outcome recorded (applied, or failed with its error), none thrown. */
export interface Enforcer {
  apply(actions: readonly EnforcementAction[]): Promise<ActionOutcome[]>;
}

/** Creates a repository; `created: false` when it already exists (left as it is). */
export interface RepositoryCreator {
  create(input: CreateRepositoryInput): Promise<{ created: boolean; repositoryArn?: string }>;
}
