import * as z from 'zod';
import { consoleUrlSchema, fittedConsoleUrl, LINK_MAX } from './links.ts';
import { truncateEnd } from './text.ts';

/**
 * The compliance alert document: what the compliance functions send when a check drifts (once per change, not on
 * every sweep) and when they fix drift (each remediation, applied or failed), for one subject — a repository or
 * the registry — and one trigger (a CloudTrail event or a sweep run). Notifications renders it as the SNS
 * subject, the email text and Slack Block Kit; the compliance capability maps its findings and actions to it
 * (src/compliance/alert.ts). Three kinds, from what it holds: `fix-failed` (a remediation failed), `fixed`
 * (remediations applied), `drift` (drift found, nothing fixed). Lists are capped, never the counts.
 */

/** The `type` of every compliance alert document. */
export const COMPLIANCE_ALERT_TYPE = 'ecr-sentinel.compliance';

export const COMPLIANCE_KINDS = ['drift', 'fixed', 'fix-failed'] as const;
export type ComplianceKind = (typeof COMPLIANCE_KINDS)[number];

/** The label of the subject, the email's first line and the Slack header. */
export const COMPLIANCE_LABEL: Readonly<Record<ComplianceKind, string>> = {
  drift: 'COMPLIANCE DRIFT',
  fixed: 'COMPLIANCE FIXED',
  'fix-failed': 'COMPLIANCE FIX FAILED',
};

const count = z.number().int().min(0);

const targetSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('repository'),
    repositoryName: z.string().min(1),
    group: z.string().optional(),
  }),
  z.object({ kind: z.literal('registry'), registryId: z.string().min(1) }),
]);

const triggerSchema = z.object({
  /** `cloudtrail` or `sweep` today; shown as is. */
  kind: z.string().min(1),
  /** The CloudTrail event id, or the sweep run id. */
  id: z.string().min(1),
  /** The ECR call that triggered the check. */
  eventName: z.string().optional(),
});

/** A check that drifts (and was not fixed by this trigger). */
const driftSchema = z.object({
  check: z.string().min(1),
  /** For registry findings: what of the registry (`replication`, `creation template services/`). */
  item: z.string().optional(),
  /** `audit` reports only; `enforce` drift is here when it can't be fixed (encryption) or its fix failed. */
  mode: z.string(),
  expected: z.string(),
  actual: z.string(),
  fix: z.string().optional(),
});

/** One call that fixed (or tried to fix) a drift, with the state before and after as readable text. */
const remediationSchema = z.object({
  check: z.string().min(1),
  item: z.string().optional(),
  /** The ECR API action, e.g. `PutImageTagMutability`. */
  action: z.string().min(1),
  outcome: z.enum(['applied', 'failed']),
  before: z.string(),
  after: z.string(),
  error: z.string().optional(),
});

export const complianceAlertSchema = z.object({
  type: z.literal(COMPLIANCE_ALERT_TYPE),
  version: z.literal(1),
  kind: z.enum(COMPLIANCE_KINDS),
  subject: z.string().min(1),
  accountId: z.string(),
  region: z.string(),
  stage: z.string().optional(),
  consoleUrl: consoleUrlSchema,
  occurredAt: z.string(),
  target: targetSchema,
  trigger: triggerSchema,
  /** Capped; `totals.drift` counts them all. */
  drift: z.array(driftSchema),
  /** Capped; `totals.applied` and `totals.failed` count them all. */
  remediations: z.array(remediationSchema),
  totals: z.object({ drift: count, applied: count, failed: count }),
});

export type ComplianceAlert = z.output<typeof complianceAlertSchema>;
export type ComplianceAlertDrift = z.output<typeof driftSchema>;
export type ComplianceAlertRemediation = z.output<typeof remediationSchema>;
export type ComplianceAlertTarget = z.output<typeof targetSchema>;

/** Caps that keep a compliance alert and its renderings bounded. */
export interface ComplianceAlertLimits {
  /** Entries of each list. */
  lists: number;
  /** Characters of one free-text field (expected, actual, fix, before, after, error). */
  text: number;
}

export const FULL_COMPLIANCE_LIMITS: ComplianceAlertLimits = { lists: 20, text: 1000 };
export const COMPACT_COMPLIANCE_LIMITS: ComplianceAlertLimits = { lists: 5, text: 200 };
/** Totals only: still a complete document (what drifted is counted, the lists say nothing). */
export const MINIMAL_COMPLIANCE_LIMITS: ComplianceAlertLimits = { lists: 0, text: 100 };

const NAME_MAX = 256;
const ID_MAX = 128;

/** The document cut to `limits`, as subscribers receive it. */
export function limitComplianceAlert(alert: ComplianceAlert, limits: ComplianceAlertLimits): ComplianceAlert {
  const text = (s: string) => truncateEnd(s, limits.text);
  const id = (s: string) => truncateEnd(s, ID_MAX);
  const optional = <K extends string>(key: K, value: string | undefined, max: number) =>
    value === undefined ? {} : ({ [key]: truncateEnd(value, max) } as Record<K, string>);
  const { target, trigger } = alert;
  return {
    type: alert.type,
    version: alert.version,
    kind: alert.kind,
    subject: truncateEnd(alert.subject, 200),
    accountId: id(alert.accountId),
    region: id(alert.region),
    ...optional('stage', alert.stage, 100),
    consoleUrl: fittedConsoleUrl(alert.consoleUrl, LINK_MAX),
    occurredAt: id(alert.occurredAt),
    target:
      target.kind === 'repository'
        ? {
            kind: 'repository',
            repositoryName: truncateEnd(target.repositoryName, NAME_MAX),
            ...optional('group', target.group, 100),
          }
        : { kind: 'registry', registryId: id(target.registryId) },
    trigger: { kind: id(trigger.kind), id: id(trigger.id), ...optional('eventName', trigger.eventName, 64) },
    drift: alert.drift.slice(0, limits.lists).map((d) => ({
      check: id(d.check),
      ...optional('item', d.item, NAME_MAX),
      mode: id(d.mode),
      expected: text(d.expected),
      actual: text(d.actual),
      ...optional('fix', d.fix, limits.text),
    })),
    remediations: alert.remediations.slice(0, limits.lists).map((r) => ({
      check: id(r.check),
      ...optional('item', r.item, NAME_MAX),
      action: id(r.action),
      outcome: r.outcome,
      before: text(r.before),
      after: text(r.after),
      ...optional('error', r.error, limits.text),
    })),
    totals: { drift: alert.totals.drift, applied: alert.totals.applied, failed: alert.totals.failed },
  };
}
