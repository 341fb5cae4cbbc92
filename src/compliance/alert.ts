import {
  type ComplianceAlert,
  type ComplianceAlertDrift,
  type ComplianceAlertRemediation,
  complianceAlert,
} from '../notifications/index.ts';
import type { Finding } from './domain/control.ts';
import type { ActionOutcome } from './domain/enforcement.ts';
import type { ComplianceTrigger } from './events.ts';

/**
 * The compliance capability's alert, as notifications renders it: for one subject (a repository or the
 * registry) and one trigger, the drift newly found and the remediations first recorded. Pure: the time is given.
 */

/** Where the check ran: the account and Region, and the deployment stage when known. */
export interface ComplianceAlertWhere {
  readonly accountId: string;
  readonly region: string;
  readonly stage?: string;
}

/** What an alert is about. */
export type AlertSubject =
  | { readonly kind: 'repository'; readonly repositoryName: string; readonly group?: string }
  | { readonly kind: 'registry'; readonly registryId: string };

function consoleUrl(where: ComplianceAlertWhere, subject: AlertSubject): string {
  const r = encodeURIComponent(where.region);
  if (subject.kind === 'registry')
    return `https://${r}.console.aws.amazon.com/ecr/private-registry/repositories?region=${r}`;
  const repository = subject.repositoryName.split('/').map(encodeURIComponent).join('/');
  return `https://${r}.console.aws.amazon.com/ecr/repositories/private/${encodeURIComponent(where.accountId)}/${repository}?region=${r}`;
}

/** A state before or after a fix, readable: text as it is, anything else as compact JSON. */
export function stateText(value: unknown): string {
  if (value === undefined || value === null) return 'none';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function itemOf(finding: Finding): string | undefined {
  return finding.subject.kind === 'registry' ? finding.subject.item : undefined;
}

function driftOf(finding: Finding): ComplianceAlertDrift {
  const item = itemOf(finding);
  return {
    check: finding.controlId,
    ...(item === undefined ? {} : { item }),
    mode: finding.mode,
    expected: finding.expected,
    actual: finding.actual,
    ...(finding.fix === undefined ? {} : { fix: finding.fix }),
  };
}

function remediationOf(action: ActionOutcome): ComplianceAlertRemediation {
  return {
    check: action.controlId,
    ...(action.item === undefined ? {} : { item: action.item }),
    action: action.action,
    outcome: action.outcome,
    before: stateText(action.before),
    after: stateText(action.after),
    ...(action.outcome === 'failed' ? { error: action.error } : {}),
  };
}

/** The alert about one subject: drift newly found (and not fixed), and the remediations this trigger made. */
export function complianceChangeAlert(input: {
  readonly subject: AlertSubject;
  readonly trigger: ComplianceTrigger;
  readonly drift: readonly Finding[];
  readonly remediations: readonly ActionOutcome[];
  readonly where: ComplianceAlertWhere;
  readonly at: Date;
}): ComplianceAlert {
  const { subject, where } = input;
  return complianceAlert({
    accountId: where.accountId,
    region: where.region,
    ...(where.stage === undefined ? {} : { stage: where.stage }),
    consoleUrl: consoleUrl(where, subject),
    occurredAt: input.at.toISOString(),
    target:
      subject.kind === 'repository'
        ? {
            kind: 'repository',
            repositoryName: subject.repositoryName,
            ...(subject.group === undefined ? {} : { group: subject.group }),
          }
        : { kind: 'registry', registryId: subject.registryId },
    trigger: {
      kind: input.trigger.kind,
      id: input.trigger.id,
      ...(input.trigger.eventName === undefined ? {} : { eventName: input.trigger.eventName }),
    },
    drift: input.drift.map(driftOf),
    remediations: input.remediations.map(remediationOf),
    totals: {
      drift: input.drift.length,
      applied: input.remediations.filter((r) => r.outcome === 'applied').length,
      failed: input.remediations.filter((r) => r.outcome === 'failed').length,
    },
  });
}
