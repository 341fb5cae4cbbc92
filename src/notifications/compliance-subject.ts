import { SUBJECT_MAX } from './alert-subject.ts';
import {
  COMPLIANCE_ALERT_TYPE,
  COMPLIANCE_LABEL,
  type ComplianceAlert,
  type ComplianceKind,
} from './compliance-document.ts';
import { asciiLine, cutAscii } from './promotion-subject.ts';

/** A compliance alert without what {@link complianceAlert} fills in (type, version, kind, subject). */
export type ComplianceAlertFields = Omit<ComplianceAlert, 'type' | 'version' | 'kind' | 'subject'>;

/** The kind a document's content makes it: a failed fix first, then fixes, else drift. */
export function complianceKind(fields: Pick<ComplianceAlertFields, 'totals'>): ComplianceKind {
  if (fields.totals.failed > 0) return 'fix-failed';
  return fields.totals.applied > 0 ? 'fixed' : 'drift';
}

/** What the alert is about: the repository's name, or `registry <id>`. */
export function complianceTargetName(target: ComplianceAlert['target']): string {
  return target.kind === 'repository' ? target.repositoryName : `registry ${target.registryId}`;
}

/** `tag-mutability, lifecycle-policy` (each check once, in the document's order). */
function checksOf(list: readonly { check: string }[]): string {
  return [...new Set(list.map((x) => x.check))].join(', ');
}

/**
 * The one-line headline: `2 checks drift: tag-mutability, lifecycle-policy`, `fixed scanning, tag-mutability`,
 * `fix failed: scanning (1 of 2)`. Shared by the subject, the email and Slack.
 */
export function complianceHeadline(alert: ComplianceAlertFields & { kind: ComplianceKind }): string {
  const { totals } = alert;
  const drift =
    totals.drift > 0
      ? `${totals.drift} ${totals.drift === 1 ? 'check drifts' : 'checks drift'}: ${checksOf(alert.drift)}`
      : '';
  if (alert.kind === 'drift') return drift;
  const failed = alert.remediations.filter((r) => r.outcome === 'failed');
  const applied = alert.remediations.filter((r) => r.outcome === 'applied');
  const parts =
    alert.kind === 'fix-failed'
      ? [`fix failed: ${checksOf(failed)} (${totals.failed} of ${totals.failed + totals.applied})`]
      : [`fixed ${checksOf(applied)}`];
  if (drift) parts.push(drift);
  return parts.join('; ');
}

/**
 * The subject, in the other alerts' form, printable ASCII, at most {@link SUBJECT_MAX} characters:
 * `[COMPLIANCE DRIFT] orders-api-dev: 2 checks drift: tag-mutability, lifecycle-policy`.
 */
export function complianceSubject(fields: ComplianceAlertFields): string {
  const kind = complianceKind(fields);
  return cutAscii(
    asciiLine(
      `[${COMPLIANCE_LABEL[kind]}] ${complianceTargetName(fields.target)}: ${complianceHeadline({ ...fields, kind })}`,
    ),
    SUBJECT_MAX,
  );
}

/** A complete compliance alert from its fields: type, version, kind and subject filled in. */
export function complianceAlert(fields: ComplianceAlertFields): ComplianceAlert {
  return {
    type: COMPLIANCE_ALERT_TYPE,
    version: 1,
    kind: complianceKind(fields),
    subject: complianceSubject(fields),
    ...fields,
  };
}
