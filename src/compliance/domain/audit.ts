import { groupOf } from '../../shared/repository-groups.ts';
import {
  type ComplianceSettings,
  complianceSettingsFor,
  type RepositoryDesired,
  registryDesiredFor,
} from '../config-schema.ts';
import { CONTROL_IDS, type ControlId, type Finding } from './control.ts';
import { creationTemplatesControl } from './creation-templates.ts';
import { encryptionControl } from './encryption.ts';
import { lifecyclePolicyControl } from './lifecycle-policy.ts';
import { replicationControl } from './replication.ts';
import { repositoryPolicyControl } from './repository-policy.ts';
import { resourceTagsControl } from './resource-tags.ts';
import { scanningControl } from './scanning.ts';
import type { RegistryState, RepositoryState } from './state.ts';
import { tagMutabilityControl } from './tag-mutability.ts';

/** Every control, for listings (CLI help, the report's columns). */
export const CONTROLS = [
  scanningControl,
  tagMutabilityControl,
  encryptionControl,
  lifecyclePolicyControl,
  repositoryPolicyControl,
  resourceTagsControl,
  replicationControl,
  creationTemplatesControl,
] as const;

export interface RepositoryAudit {
  readonly repositoryName: string;
  /** The repository group whose settings applied; undefined: the defaults. */
  readonly group: string | undefined;
  /** One per check that applies to the repository, in {@link CONTROL_IDS} order. */
  readonly findings: readonly Finding[];
}

export interface AuditSummary {
  readonly repositories: number;
  /** Findings in all (repositories × checks, plus registry items). */
  readonly checks: number;
  readonly pass: number;
  readonly drift: number;
  /** Drift enforce could fix (whatever the mode). */
  readonly fixable: number;
  readonly driftedRepositories: readonly string[];
  readonly byControl: Readonly<Record<ControlId, { readonly pass: number; readonly drift: number }>>;
}

export interface AuditReport {
  readonly generatedAt: string;
  readonly registryId: string;
  readonly repositories: readonly RepositoryAudit[];
  /** Registry-level findings: replication, creation templates. */
  readonly registry: readonly Finding[];
  readonly summary: AuditSummary;
}

/** The findings of one repository against its desired state. */
export function checkRepository(
  repository: RepositoryState,
  registry: RegistryState,
  desired: RepositoryDesired,
): Finding[] {
  const findings: Finding[] = [];
  const input = { repository, registry };
  if (desired.scanning) findings.push(scanningControl.check({ ...input, desired: desired.scanning }));
  if (desired.tagMutability)
    findings.push(tagMutabilityControl.check({ ...input, desired: desired.tagMutability }));
  if (desired.encryption) findings.push(encryptionControl.check({ ...input, desired: desired.encryption }));
  if (desired.lifecyclePolicy)
    findings.push(lifecyclePolicyControl.check({ ...input, desired: desired.lifecyclePolicy }));
  if (desired.repositoryPolicy)
    findings.push(repositoryPolicyControl.check({ ...input, desired: desired.repositoryPolicy }));
  if (desired.resourceTags)
    findings.push(resourceTagsControl.check({ ...input, desired: desired.resourceTags }));
  return findings;
}

function summarise(repositories: readonly RepositoryAudit[], registry: readonly Finding[]): AuditSummary {
  const all = [...repositories.flatMap((r) => r.findings), ...registry];
  const byControl = Object.fromEntries(CONTROL_IDS.map((id) => [id, { pass: 0, drift: 0 }])) as Record<
    ControlId,
    { pass: number; drift: number }
  >;
  for (const f of all) byControl[f.controlId][f.status] += 1;
  const drifted = all.filter((f) => f.status === 'drift');
  return {
    repositories: repositories.length,
    checks: all.length,
    pass: all.length - drifted.length,
    drift: drifted.length,
    fixable: drifted.filter((f) => f.fixable).length,
    driftedRepositories: repositories
      .filter((r) => r.findings.some((f) => f.status === 'drift'))
      .map((r) => r.repositoryName),
    byControl,
  };
}

/**
 * Audits repositories and the registry against the `compliance` settings: per repository × check pass or
 * drift (with the fix), registry findings, and a summary. Pure: the caller reads the state and the clock.
 */
export function audit(input: {
  readonly now: Date;
  readonly settings: ComplianceSettings;
  readonly repositoryGroups: readonly { readonly name: string; readonly repositories: readonly string[] }[];
  readonly repositories: readonly RepositoryState[];
  readonly registry: RegistryState;
}): AuditReport {
  const repositories = [...input.repositories]
    .sort((a, b) => a.repositoryName.localeCompare(b.repositoryName))
    .map((repository): RepositoryAudit => {
      const group = groupOf(input.repositoryGroups, repository.repositoryName);
      const desired = complianceSettingsFor(input.settings, group);
      return {
        repositoryName: repository.repositoryName,
        group,
        findings: checkRepository(repository, input.registry, desired),
      };
    });
  const registryDesired = registryDesiredFor(input.settings);
  const registry: Finding[] = [
    ...(registryDesired.replication
      ? replicationControl.check({ registry: input.registry, desired: registryDesired.replication })
      : []),
    ...(registryDesired.creationTemplates
      ? creationTemplatesControl.check({
          registry: input.registry,
          desired: registryDesired.creationTemplates,
        })
      : []),
  ];
  return {
    generatedAt: input.now.toISOString(),
    registryId: input.registry.registryId,
    repositories,
    registry,
    summary: summarise(repositories, registry),
  };
}
