import { type AuditReport, type RepositoryAudit, summarise } from './audit.ts';
import type { ControlId, EcrCall, Finding } from './control.ts';
import { mergeScanningConfigurations } from './scanning.ts';
import type { RegistryScanningConfiguration, RegistryState } from './state.ts';

/** One call enforce makes, recorded with the state before and after. */
export type EnforcementAction = EcrCall & {
  readonly controlId: ControlId;
  /** The repositories the call fixes (several for the registry's scanning rules; none for registry items). */
  readonly repositoryNames: readonly string[];
  /** For registry items: what it fixes (`replication`, `creation template services/`). */
  readonly item?: string;
  readonly before: unknown;
  readonly after: unknown;
};

/** Drift in enforce mode that enforce leaves alone, and why (encryption, a missing template…). */
export interface SkippedDrift {
  readonly controlId: ControlId;
  readonly subject: string;
  readonly reason: string;
}

export interface EnforcementPlan {
  readonly actions: readonly EnforcementAction[];
  readonly skipped: readonly SkippedDrift[];
}

function subjectName(finding: Finding): string {
  return finding.subject.kind === 'repository' ? finding.subject.repositoryName : finding.subject.item;
}

/**
 * The calls that fix the drift of checks in enforce mode that enforce can fix; drift it can't fix is listed as
 * skipped with its fix text. The registry's scanning configuration is one document, so every repository's
 * scanning fix is merged into one PutRegistryScanningConfiguration. Nothing here deletes a repository or an
 * image: {@link EcrCall} has no such action.
 */
export function planEnforcement(
  report: AuditReport,
  registry: RegistryState,
  options: {
    /**
     * Fix drift of every check, whatever its mode: `repo ensure` names the repository to bring to the desired
     * state, which is the request to fix it.
     */
    readonly everyMode?: boolean;
  } = {},
): EnforcementPlan {
  const actions: EnforcementAction[] = [];
  const skipped: SkippedDrift[] = [];
  const scanning: { repositoryName: string; after: RegistryScanningConfiguration }[] = [];
  const findings = [...report.repositories.flatMap((r) => r.findings), ...report.registry];
  for (const finding of findings) {
    if (finding.status !== 'drift' || (finding.mode !== 'enforce' && !options.everyMode)) continue;
    const remediation = finding.remediation;
    if (remediation === undefined) {
      skipped.push({
        controlId: finding.controlId,
        subject: subjectName(finding),
        reason: finding.fix ?? 'not fixable by enforce',
      });
      continue;
    }
    if (remediation.action === 'PutRegistryScanningConfiguration') {
      scanning.push({ repositoryName: subjectName(finding), after: remediation.input });
      continue;
    }
    actions.push({
      ...remediation,
      controlId: finding.controlId,
      repositoryNames: finding.subject.kind === 'repository' ? [finding.subject.repositoryName] : [],
      ...(finding.subject.kind === 'registry' ? { item: finding.subject.item } : {}),
    });
  }
  if (scanning.length > 0) {
    const merged = mergeScanningConfigurations(
      registry.scanning,
      scanning.map((s) => s.after),
    );
    actions.unshift({
      action: 'PutRegistryScanningConfiguration',
      input: merged,
      controlId: 'scanning',
      repositoryNames: scanning.map((s) => s.repositoryName),
      before: registry.scanning,
      after: merged,
    });
  }
  return { actions, skipped };
}

/** An action as it went: applied, or failed with the error ECR (or the network) gave. */
export type ActionOutcome = EnforcementAction &
  ({ readonly outcome: 'applied' } | { readonly outcome: 'failed'; readonly error: string });

/** What enforcement did and the state afterwards. */
export interface EnforcementReport {
  readonly actions: readonly ActionOutcome[];
  readonly skipped: readonly SkippedDrift[];
  /** The audit after enforcement: re-checked findings, `fixed` where an applied action fixed a drift. */
  readonly audit: AuditReport;
}

function findingKey(finding: Finding): string {
  return `${finding.controlId}\u0000${finding.subject.kind}\u0000${subjectName(finding)}`;
}

/** Whether an applied action was aimed at this finding's control and subject. */
function appliedTo(finding: Finding, actions: readonly ActionOutcome[]): boolean {
  return actions.some(
    (a) =>
      a.outcome === 'applied' &&
      a.controlId === finding.controlId &&
      (finding.subject.kind === 'repository'
        ? a.repositoryNames.includes(finding.subject.repositoryName)
        : a.item === finding.subject.item),
  );
}

/**
 * The audit after enforcement: `before` with the repositories (and registry items) of `recheck` replaced by
 * their re-checked findings; a finding that drifted before, passes now and had an applied action aimed at it is
 * `fixed`. A pass nobody fixed stays `pass`, and a failed action's drift stays `drift`. `recheck` is undefined
 * when nothing was applied (nothing to read back).
 */
export function settleEnforcement(
  before: AuditReport,
  recheck: AuditReport | undefined,
  actions: readonly ActionOutcome[],
): AuditReport {
  if (recheck === undefined) return before;
  const drifted = new Set(
    [...before.repositories.flatMap((r) => r.findings), ...before.registry]
      .filter((f) => f.status === 'drift')
      .map(findingKey),
  );
  const settle = (f: Finding): Finding =>
    f.status === 'pass' && drifted.has(findingKey(f)) && appliedTo(f, actions)
      ? { ...f, status: 'fixed' }
      : f;
  const rechecked = new Map(recheck.repositories.map((r) => [r.repositoryName, r]));
  const repositories = before.repositories.map((r): RepositoryAudit => {
    const again = rechecked.get(r.repositoryName);
    return again === undefined ? r : { ...again, findings: again.findings.map(settle) };
  });
  const registry = recheck.registry.map(settle);
  return {
    generatedAt: recheck.generatedAt,
    registryId: recheck.registryId,
    repositories,
    registry,
    summary: summarise(repositories, registry),
  };
}
