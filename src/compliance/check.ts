import { createHash } from 'node:crypto';
import { type AlertPublisher, complianceAlertSchema } from '../notifications/index.ts';
import { chunks } from '../shared/concurrency.ts';
import { SentinelError } from '../shared/errors.ts';
import { complianceKeys } from '../shared/table.ts';
import { type AlertSubject, type ComplianceAlertWhere, complianceChangeAlert } from './alert.ts';
import type { ComplianceQueue, ComplianceRecords, RepositoryLister } from './check-ports.ts';
import { type AuditReport, type AuditSummary, audit } from './domain/audit.ts';
import type { ControlId, Finding } from './domain/control.ts';
import type { ActionOutcome } from './domain/enforcement.ts';
import { scopeReport } from './domain/triggers.ts';
import { type EnforceDeps, enforceAndRecheck } from './enforce.ts';
import {
  type CloudTrailCheck,
  type ComplianceMessage,
  type ComplianceTrigger,
  REPOSITORIES_PER_MESSAGE,
} from './events.ts';
import { type ObservedState, UnknownRepositoryError } from './ports.ts';

/**
 * The compliance functions' use cases: check what a trigger asks about (repositories, the registry, some checks),
 * fix enforce-mode drift through the same enforcement as `audit --enforce`, record each check's status and each
 * remediation, and alert what changed — once, whatever is delivered twice.
 */

export interface CheckDeps extends EnforceDeps {
  readonly records: ComplianceRecords;
  readonly alerts?: AlertPublisher;
  readonly where: ComplianceAlertWhere;
}

export interface CheckRequest {
  readonly trigger: ComplianceTrigger;
  readonly repositoryNames: readonly string[];
  /** Check the registry's own controls (replication, creation templates) too. */
  readonly registry: boolean;
  /** Only these checks (all when absent). */
  readonly controls?: readonly ControlId[];
  /** Fix enforce-mode drift; false for the echo of our own fix (checked, never fixed again). */
  readonly enforce: boolean;
  /**
   * This may be a later attempt of a trigger seen before (EventBridge and SQS redeliver): look for alerts an
   * earlier attempt stored but could not publish.
   */
  readonly mayBeRetry: boolean;
}

/** One drift counted for metrics: the repository group (or `undefined`) and the check. */
export interface DriftPoint {
  readonly repositoryName?: string;
  readonly check: ControlId;
}

export interface CheckOutcome {
  readonly triggerId: string;
  readonly repositoriesChecked: number;
  /** Repositories asked about that no longer exist. */
  readonly missing: readonly string[];
  readonly summary: AuditSummary;
  readonly applied: number;
  readonly failed: number;
  /** Each failed fix: its action, what it fixes and ECR's error. */
  readonly failures: readonly string[];
  readonly alertsSent: number;
  /** Drift newly found by this trigger (recorded as a change, or fixed by it). */
  readonly driftFound: readonly DriftPoint[];
  /** Drift this trigger fixed (its re-check passes). */
  readonly driftFixed: readonly DriftPoint[];
  readonly recheckError?: string;
}

/** Some fixes failed: recorded and alerted; thrown so the trigger is retried and, at last, kept with its payload. */
export class ComplianceFixError extends SentinelError {
  override readonly name = 'ComplianceFixError';
}

/** The error that makes a trigger with failed fixes retried (and at last kept with its payload), or undefined. */
export function fixFailure(
  outcome: Pick<CheckOutcome, 'failures' | 'applied'>,
): ComplianceFixError | undefined {
  const { failures } = outcome;
  if (failures.length === 0) return undefined;
  return new ComplianceFixError(
    `${failures.length} of ${failures.length + outcome.applied} fixes failed (recorded and alerted; will retry): ${failures.join('; ')}`,
    { retryable: true },
  );
}

/** Reads the named repositories (and the registry), leaving out the ones deleted since they were named. */
async function readExisting(
  deps: CheckDeps,
  names: readonly string[],
): Promise<{ observed: ObservedState; missing: string[] }> {
  try {
    return { observed: await deps.reader.read({ repositoryNames: names }), missing: [] };
  } catch (error) {
    if (!(error instanceof UnknownRepositoryError) || names.length === 0) throw error;
  }
  // ECR refuses the whole batch for one missing name: ask one by one which are left.
  const left: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    try {
      await deps.reader.read({ repositoryNames: [name] });
      left.push(name);
    } catch (error) {
      if (!(error instanceof UnknownRepositoryError)) throw error;
      missing.push(name);
    }
  }
  return { observed: await deps.reader.read({ repositoryNames: left }), missing };
}

function checkKey(finding: Finding): string {
  return finding.subject.kind === 'registry'
    ? `${finding.controlId}#${finding.subject.item}`
    : finding.controlId;
}

function fingerprint(finding: Finding): string {
  return createHash('sha256').update(`${finding.expected}\n${finding.actual}`).digest('hex').slice(0, 32);
}

/** The subject key and alert subject of a repository (or of the registry, for registry findings). */
interface SubjectState {
  readonly key: string;
  readonly subject: AlertSubject;
  readonly findings: readonly Finding[];
  readonly newDrift: Finding[];
  readonly remediations: ActionOutcome[];
}

/**
 * Checks what `request` asks about: reads ECR, audits, fixes enforce-mode drift (unless `enforce` is false),
 * records statuses and remediations, and alerts per subject what changed. Drift found by an earlier trigger is
 * not alerted again; a repeated trigger records and alerts nothing twice. A read that fails makes its checks
 * unknown: nothing recorded, fixed or alerted for them. Failed fixes are recorded and alerted and returned in
 * `failures`: the caller throws {@link fixFailure} so the trigger is retried.
 */
export async function checkCompliance(deps: CheckDeps, request: CheckRequest): Promise<CheckOutcome> {
  const { trigger } = request;
  const { observed, missing } = await readExisting(deps, request.repositoryNames);
  const now = deps.now();
  const scope = { controls: request.controls, registry: request.registry };
  const report = scopeReport(
    audit({
      now,
      settings: deps.settings,
      repositoryGroups: deps.repositoryGroups,
      repositories: observed.repositories,
      registry: observed.registry,
    }),
    scope,
  );
  let final: AuditReport = report;
  let actions: readonly ActionOutcome[] = [];
  let recheckError: string | undefined;
  if (request.enforce) {
    const enforcement = await enforceAndRecheck(deps, { report, registry: observed.registry });
    final = scopeReport(enforcement.audit, scope);
    actions = enforcement.actions;
    recheckError = enforcement.recheckError;
  }

  const registryKey = complianceKeys.registrySubject(final.registryId);
  const subjects = new Map<string, SubjectState>();
  for (const r of final.repositories)
    subjects.set(r.repositoryName, {
      key: r.repositoryName,
      subject: {
        kind: 'repository',
        repositoryName: r.repositoryName,
        ...(r.group === undefined ? {} : { group: r.group }),
      },
      findings: r.findings,
      newDrift: [],
      remediations: [],
    });
  if (request.registry)
    subjects.set(registryKey, {
      key: registryKey,
      subject: { kind: 'registry', registryId: final.registryId },
      findings: final.registry,
      newDrift: [],
      remediations: [],
    });

  const at = now.toISOString();
  const driftFound: DriftPoint[] = [];
  const driftFixed: DriftPoint[] = [];
  // Remediations first: a fixed check's status then reads pass, and its alert is the remediation's.
  for (const action of actions) {
    const keys = action.repositoryNames.length > 0 ? action.repositoryNames : [registryKey];
    for (const key of keys) {
      const { first } = await deps.records.recordRemediation({
        subject: key,
        controlId: action.controlId,
        ...(action.item === undefined ? {} : { item: action.item }),
        action: action.action,
        repositoryNames: action.repositoryNames,
        before: action.before,
        after: action.after,
        outcome: action.outcome,
        ...(action.outcome === 'failed' ? { error: action.error } : {}),
        at,
        trigger,
      });
      if (first) subjects.get(key)?.remediations.push(action);
    }
  }
  for (const state of subjects.values()) {
    const repositoryName = state.subject.kind === 'repository' ? state.subject.repositoryName : undefined;
    const point = (check: ControlId): DriftPoint => ({
      ...(repositoryName ? { repositoryName } : {}),
      check,
    });
    for (const finding of state.findings) {
      // A read that failed says nothing about the state: the last known status stands.
      if (finding.status === 'unknown') continue;
      const status = finding.status === 'drift' ? 'drift' : 'pass';
      const { changed } = await deps.records.recordStatus({
        subject: state.key,
        check: checkKey(finding),
        status,
        fingerprint: fingerprint(finding),
        at,
        trigger,
      });
      if (status === 'drift' && changed) {
        state.newDrift.push(finding);
        driftFound.push(point(finding.controlId));
      }
      const fixedHere =
        finding.status === 'fixed' &&
        state.remediations.some((a) => a.outcome === 'applied' && a.controlId === finding.controlId);
      if (fixedHere) {
        driftFound.push(point(finding.controlId));
        driftFixed.push(point(finding.controlId));
      }
    }
  }

  let alertsSent = 0;
  const publishErrors: unknown[] = [];
  for (const state of subjects.values()) {
    const fresh = state.newDrift.length > 0 || state.remediations.length > 0;
    if (fresh && deps.alerts) {
      const document = complianceChangeAlert({
        subject: state.subject,
        trigger,
        drift: state.newDrift,
        remediations: state.remediations,
        where: deps.where,
        at: now,
      });
      const { occurredAt: _at, ...content } = document;
      const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
      await deps.records.claimAlert(state.key, `${trigger.id}#${hash}`, document);
    }
    if (!deps.alerts || !(fresh || request.mayBeRetry)) continue;
    for (const pending of await deps.records.takePendingAlerts(state.key, trigger.id, deps.now())) {
      try {
        await deps.alerts.publish(complianceAlertSchema.parse(pending.document));
        await deps.records.alertSent(state.key, pending.key);
        alertsSent += 1;
      } catch (error) {
        publishErrors.push(error);
        // Best effort: a claim not released is taken again once its lease expires.
        await deps.records.releaseAlert(state.key, pending.key).catch(() => undefined);
      }
    }
  }
  if (publishErrors.length > 0) throw publishErrors[0];

  const failures = actions.flatMap((a) =>
    a.outcome === 'failed' ? [`${a.action} ${a.repositoryNames.join(', ') || a.item || ''}: ${a.error}`] : [],
  );
  return {
    triggerId: trigger.id,
    repositoriesChecked: final.repositories.length,
    missing,
    summary: final.summary,
    applied: actions.filter((a) => a.outcome === 'applied').length,
    failed: failures.length,
    failures,
    alertsSent,
    driftFound,
    driftFixed,
    ...(recheckError ? { recheckError } : {}),
  };
}

/** The messages that check `names` in batches (the first also checks the registry when asked). */
export function complianceMessages(
  base: Omit<ComplianceMessage, 'version' | 'repositoryNames' | 'registry'>,
  names: readonly string[],
  registry: boolean,
): ComplianceMessage[] {
  const batches = chunks(names, REPOSITORIES_PER_MESSAGE);
  if (batches.length === 0 && registry) batches.push([]);
  return batches.map((repositoryNames, index) => ({
    version: 1,
    ...base,
    repositoryNames: [...repositoryNames],
    registry: registry && index === 0,
  }));
}

/** What a CloudTrail-triggered check needs besides checking: the listing and the queue for registry-wide calls. */
export interface ChangeDeps extends CheckDeps {
  readonly lister: RepositoryLister;
  readonly queue: ComplianceQueue;
}

/** Above this many repositories a registry-wide check is fanned out to checkRepositories. */
export const INLINE_REPOSITORIES = REPOSITORIES_PER_MESSAGE;

/**
 * A CloudTrail event's check: its repository, the registry, or — for the registry's scanning rules — every
 * repository's scanning (inline when few, else queued in batches).
 */
export async function checkChange(
  deps: ChangeDeps,
  change: Extract<CloudTrailCheck, { kind: 'check' }>,
  options: { readonly controls: readonly ControlId[]; readonly enforce: boolean },
): Promise<CheckOutcome | { triggerId: string; queued: number; repositories: number }> {
  const common = { trigger: change.trigger, controls: options.controls, enforce: options.enforce };
  const { target } = change;
  if (target.scope === 'repository')
    return checkCompliance(deps, {
      ...common,
      repositoryNames: [target.repositoryName],
      registry: false,
      mayBeRetry: true,
    });
  if (target.scope === 'registry')
    return checkCompliance(deps, { ...common, repositoryNames: [], registry: true, mayBeRetry: true });
  const names = await deps.lister.names();
  if (names.length <= INLINE_REPOSITORIES)
    return checkCompliance(deps, { ...common, repositoryNames: names, registry: false, mayBeRetry: true });
  const messages = complianceMessages({ ...common, controls: [...options.controls] }, names, false);
  await deps.queue.send(messages);
  return { triggerId: change.trigger.id, queued: messages.length, repositories: names.length };
}

/** The scheduled sweep: every repository (or those asked) and the registry, in batches on the queue. */
export async function startSweep(
  deps: { readonly lister: RepositoryLister; readonly queue: ComplianceQueue },
  request: { readonly runId: string; readonly repositories?: readonly string[] },
): Promise<{ runId: string; repositories: number; messages: number }> {
  const names =
    request.repositories && request.repositories.length > 0
      ? [...new Set(request.repositories)].sort()
      : await deps.lister.names();
  const messages = complianceMessages(
    { trigger: { kind: 'sweep', id: request.runId }, enforce: true },
    names,
    true,
  );
  await deps.queue.send(messages);
  return { runId: request.runId, repositories: names.length, messages: messages.length };
}
