import { groupOf } from '../../shared/repository-groups.ts';
import {
  type ComplianceSettings,
  complianceSettingsFor,
  type RepositoryDesired,
  registryDesiredFor,
} from '../config-schema.ts';
import { CONTROL_IDS, type ControlId, type Finding, type FindingStatus, unknown } from './control.ts';
import { creationTemplatesControl } from './creation-templates.ts';
import { encryptionControl } from './encryption.ts';
import { lifecyclePolicyControl } from './lifecycle-policy.ts';
import { replicationControl } from './replication.ts';
import { repositoryPolicyControl } from './repository-policy.ts';
import { resourceTagsControl } from './resource-tags.ts';
import { scanningControl } from './scanning.ts';
import type { RegistryRead, RegistryState, RepositoryRead, RepositoryState } from './state.ts';
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

/**
 * What each check needs besides DescribeRepositories (which lists the repository, so is never unreadable for
 * one that is audited): when one of these could not be read, the check's finding is `unknown`.
 */
export const CONTROL_READS: Readonly<
  Record<
    ControlId,
    { readonly repository: readonly RepositoryRead[]; readonly registry: readonly RegistryRead[] }
  >
> = {
  scanning: { repository: ['scanFrequency'], registry: ['scanning'] },
  'tag-mutability': { repository: [], registry: [] },
  encryption: { repository: [], registry: [] },
  'lifecycle-policy': { repository: ['lifecyclePolicyText'], registry: [] },
  'repository-policy': { repository: ['repositoryPolicyText'], registry: [] },
  'resource-tags': { repository: ['tags'], registry: [] },
  replication: { repository: [], registry: ['replication'] },
  'creation-templates': { repository: [], registry: ['creationTemplates'] },
};

/** Why `controlId` can't be judged on this state (its failed reads, joined), or undefined when it can. */
export function unreadableFor(
  controlId: ControlId,
  repository: RepositoryState | undefined,
  registry: RegistryState,
): string | undefined {
  const reads = CONTROL_READS[controlId];
  const reasons = [
    ...(repository ? reads.repository.map((r) => repository.unreadable?.[r]) : []),
    ...reads.registry.map((r) => registry.unreadable?.[r]),
  ].filter((reason): reason is string => reason !== undefined);
  return reasons.length === 0 ? undefined : reasons.join('; ');
}

/** The findings unchanged when their inputs were read, else each as `unknown` with the reason. */
function judged(
  controlId: ControlId,
  repository: RepositoryState | undefined,
  registry: RegistryState,
  findings: Finding[],
): Finding[] {
  const reason = unreadableFor(controlId, repository, registry);
  return reason === undefined ? findings : findings.map((f) => unknown(f, reason));
}

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
  /** Drift enforce fixed (in enforcement's report only; they pass now). */
  readonly fixed: number;
  /** Checks whose input could not be read: neither pass nor drift. */
  readonly unknown: number;
  /** Drift enforce could fix (whatever the mode). */
  readonly fixable: number;
  readonly driftedRepositories: readonly string[];
  /** Repositories with at least one `unknown` check. */
  readonly unknownRepositories: readonly string[];
  readonly byControl: Readonly<Record<ControlId, Readonly<Record<FindingStatus, number>>>>;
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
  const add = (finding: Finding) =>
    findings.push(...judged(finding.controlId, repository, registry, [finding]));
  if (desired.scanning) add(scanningControl.check({ ...input, desired: desired.scanning }));
  if (desired.tagMutability) add(tagMutabilityControl.check({ ...input, desired: desired.tagMutability }));
  if (desired.encryption) add(encryptionControl.check({ ...input, desired: desired.encryption }));
  if (desired.lifecyclePolicy)
    add(lifecyclePolicyControl.check({ ...input, desired: desired.lifecyclePolicy }));
  if (desired.repositoryPolicy)
    add(repositoryPolicyControl.check({ ...input, desired: desired.repositoryPolicy }));
  if (desired.resourceTags) add(resourceTagsControl.check({ ...input, desired: desired.resourceTags }));
  return findings;
}

/** The summary of these findings (enforcement recomputes it after replacing findings with their re-check). */
export function summarise(
  repositories: readonly RepositoryAudit[],
  registry: readonly Finding[],
): AuditSummary {
  const all = [...repositories.flatMap((r) => r.findings), ...registry];
  const byControl = Object.fromEntries(
    CONTROL_IDS.map((id) => [id, { pass: 0, drift: 0, unknown: 0, fixed: 0 }]),
  ) as Record<ControlId, Record<FindingStatus, number>>;
  for (const f of all) byControl[f.controlId][f.status] += 1;
  const drifted = all.filter((f) => f.status === 'drift');
  const withStatus = (status: FindingStatus) =>
    repositories.filter((r) => r.findings.some((f) => f.status === status)).map((r) => r.repositoryName);
  return {
    repositories: repositories.length,
    checks: all.length,
    pass: all.filter((f) => f.status === 'pass').length,
    drift: drifted.length,
    fixed: all.filter((f) => f.status === 'fixed').length,
    unknown: all.filter((f) => f.status === 'unknown').length,
    fixable: drifted.filter((f) => f.fixable).length,
    driftedRepositories: withStatus('drift'),
    unknownRepositories: withStatus('unknown'),
    byControl,
  };
}

/**
 * Audits repositories and the registry against the `compliance` settings: per repository × check pass, drift
 * (with the fix) or unknown (its input could not be read: see `unreadable` in ./state.ts), registry findings,
 * and a summary. Pure: the caller reads the state and the clock.
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
      ? judged(
          'replication',
          undefined,
          input.registry,
          replicationControl.check({ registry: input.registry, desired: registryDesired.replication }),
        )
      : []),
    ...(registryDesired.creationTemplates
      ? judged(
          'creation-templates',
          undefined,
          input.registry,
          creationTemplatesControl.check({
            registry: input.registry,
            desired: registryDesired.creationTemplates,
          }),
        )
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

/** The report without its registry findings (`repo ensure` answers for one repository, not the registry). */
export function repositoriesOnly(report: AuditReport): AuditReport {
  return { ...report, registry: [], summary: summarise(report.repositories, []) };
}
