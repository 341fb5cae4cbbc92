import type { AuditReport } from './audit.ts';
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
export function planEnforcement(report: AuditReport, registry: RegistryState): EnforcementPlan {
  const actions: EnforcementAction[] = [];
  const skipped: SkippedDrift[] = [];
  const scanning: { repositoryName: string; after: RegistryScanningConfiguration }[] = [];
  const findings = [...report.repositories.flatMap((r) => r.findings), ...report.registry];
  for (const finding of findings) {
    if (finding.status !== 'drift' || finding.mode !== 'enforce') continue;
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
