import { groupOf } from '../shared/repository-groups.ts';
import { complianceSettingsFor } from './config-schema.ts';
import { audit, repositoriesOnly } from './domain/audit.ts';
import type { EnforcementReport } from './domain/enforcement.ts';
import { type CreateRepositoryInput, creationInput } from './domain/ensure.ts';
import { type EnforceDeps, enforceAndRecheck } from './enforce.ts';
import { type ObservedState, type RepositoryCreator, UnknownRepositoryError } from './ports.ts';

/** What `repo ensure` did to one repository. */
export interface EnsureResult {
  readonly repositoryName: string;
  readonly group: string | undefined;
  /** The CreateRepository call made, when the repository did not exist. */
  readonly created?: CreateRepositoryInput;
  /** Nothing was written: the repository existed and passed every check (none unknown). */
  readonly alreadyCompliant: boolean;
  readonly enforcement: EnforcementReport & { readonly recheckError?: string };
}

/**
 * `repo ensure`: the repository at its group's desired state. Missing, it is created compliant by construction
 * ({@link creationInput}) and what creation can't set (lifecycle policy, a registry scanning rule) is applied by
 * the same enforcement as `audit --enforce`; existing, only that enforcement runs. Every check's fix applies,
 * whatever its mode (naming the repository is the request), and nothing is deleted. A compliant repository
 * costs reads only: no write call.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-create.html
 */
export async function ensureRepository(
  deps: EnforceDeps & { readonly creator: RepositoryCreator },
  repositoryName: string,
): Promise<EnsureResult> {
  const group = groupOf(deps.repositoryGroups, repositoryName);
  let observed = await readOne(deps, repositoryName);
  let created: CreateRepositoryInput | undefined;
  if (observed === undefined) {
    const input = creationInput(repositoryName, complianceSettingsFor(deps.settings, group));
    const outcome = await deps.creator.create(input);
    if (outcome.created) created = input;
    observed = await readOne(deps, repositoryName);
    if (observed === undefined)
      throw new UnknownRepositoryError(`${repositoryName} was created but can't be read back`);
  }
  const report = repositoriesOnly(
    audit({
      now: deps.now(),
      settings: deps.settings,
      repositoryGroups: deps.repositoryGroups,
      repositories: observed.repositories,
      registry: observed.registry,
    }),
  );
  const enforcement = await enforceAndRecheck(deps, {
    report,
    registry: observed.registry,
    everyMode: true,
    repositoriesOnly: true,
  });
  return {
    repositoryName,
    group,
    ...(created ? { created } : {}),
    alreadyCompliant:
      created === undefined &&
      enforcement.actions.length === 0 &&
      report.summary.drift === 0 &&
      report.summary.unknown === 0,
    enforcement,
  };
}

async function readOne(deps: EnforceDeps, repositoryName: string): Promise<ObservedState | undefined> {
  try {
    return await deps.reader.read({ repositoryNames: [repositoryName] });
  } catch (error) {
    if (error instanceof UnknownRepositoryError) return undefined;
    throw error;
  }
}
