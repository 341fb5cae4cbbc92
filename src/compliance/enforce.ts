import type { ComplianceSettings } from './config-schema.ts';
import { type AuditReport, audit, repositoriesOnly } from './domain/audit.ts';
import {
  type ActionOutcome,
  type EnforcementReport,
  planEnforcement,
  settleEnforcement,
} from './domain/enforcement.ts';
import type { RegistryState } from './domain/state.ts';
import type { Enforcer, ObservedStateReader } from './ports.ts';

/** What enforcement needs besides the audit it starts from. */
export interface EnforceDeps {
  readonly settings: ComplianceSettings;
  readonly repositoryGroups: readonly { readonly name: string; readonly repositories: readonly string[] }[];
  readonly reader: ObservedStateReader;
  readonly enforcer: Enforcer;
  readonly now: () => Date;
}

/**
 * Fixes what the audit found fixable (checks in enforce mode, or every check with `everyMode`), then reads back
 * the repositories the applied actions touched (and the registry) and audits them again, so the report says
 * `fixed` or still `drift` from ECR's own answer, not from what was sent. A failed read-back leaves the findings
 * as they were before (drift stays drift) and says why in `recheckError`.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/Repositories.html
 */
export async function enforceAndRecheck(
  deps: EnforceDeps,
  input: {
    readonly report: AuditReport;
    readonly registry: RegistryState;
    readonly everyMode?: boolean;
    /** Leave registry findings out of the re-check (as `repo ensure` does). */
    readonly repositoriesOnly?: boolean;
  },
): Promise<EnforcementReport & { readonly recheckError?: string }> {
  const plan = planEnforcement(input.report, input.registry, { everyMode: input.everyMode ?? false });
  const actions = await deps.enforcer.apply(plan.actions);
  const applied = actions.filter((a) => a.outcome === 'applied');
  if (applied.length === 0) return { actions, skipped: plan.skipped, audit: input.report };
  try {
    const recheck = await recheckAfter(deps, applied);
    const scoped = input.repositoriesOnly ? repositoriesOnly(recheck) : recheck;
    return { actions, skipped: plan.skipped, audit: settleEnforcement(input.report, scoped, actions) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return {
      actions,
      skipped: plan.skipped,
      audit: input.report,
      recheckError: `reading the state back failed: ${e.name}: ${e.message}`,
    };
  }
}

async function recheckAfter(deps: EnforceDeps, applied: readonly ActionOutcome[]): Promise<AuditReport> {
  const repositoryNames = [...new Set(applied.flatMap((a) => a.repositoryNames))];
  const observed = await deps.reader.read({ repositoryNames });
  return audit({
    now: deps.now(),
    settings: deps.settings,
    repositoryGroups: deps.repositoryGroups,
    repositories: observed.repositories,
    registry: observed.registry,
  });
}
