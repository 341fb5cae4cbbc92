import {
  COMPLIANCE_LABEL,
  type ComplianceAlert,
  type ComplianceAlertLimits,
  FULL_COMPLIANCE_LIMITS,
} from './compliance-document.ts';
import { complianceHeadline, complianceTargetName } from './compliance-subject.ts';
import { fittedConsoleUrl, LINK_MAX } from './links.ts';
import { oneLine, truncateEnd } from './text.ts';
import { whereEmailLine } from './where.ts';

/** `and 3 more` when `total` exceeds what is listed. */
function moreLine(total: number, listed: number): string[] {
  return total > listed ? [`  and ${total - listed} more`] : [];
}

/** The trigger in words: `CloudTrail PutImageTagMutability (event 1b2c…)` or `sweep 01J…`. */
export function complianceTriggerText(trigger: ComplianceAlert['trigger']): string {
  if (trigger.kind === 'cloudtrail')
    return `CloudTrail ${trigger.eventName ?? 'event'} (event ${trigger.id})`;
  return `${trigger.kind} ${trigger.id}`;
}

/**
 * The plain-text email body of a compliance alert (SNS sends it to email subscribers and as the default
 * message), cut with the same limits as the document it travels with: the headline, where and why it was
 * checked, each remediation (action, outcome, before → after, error), each drift (expected, actual, the fix),
 * the console link.
 */
export function complianceEmailText(
  alert: ComplianceAlert,
  limits: ComplianceAlertLimits = FULL_COMPLIANCE_LIMITS,
): string {
  const cut = (s: string, max = limits.text) => truncateEnd(oneLine(s), max);
  const { target, totals } = alert;
  const lines = [
    `${COMPLIANCE_LABEL[alert.kind]}: ${cut(complianceTargetName(target), 300)}`,
    '',
    cut(complianceHeadline(alert), 500),
    '',
    target.kind === 'repository'
      ? `Repository:   ${cut(target.repositoryName, 256)} (group ${cut(target.group ?? '-', 100)})`
      : `Registry:     ${cut(target.registryId, 100)}`,
    `Trigger:      ${cut(complianceTriggerText(alert.trigger), 300)}`,
    whereEmailLine(alert),
  ];
  const remediations = alert.remediations.slice(0, limits.lists);
  if (totals.applied + totals.failed > 0) {
    lines.push('', `Remediations (${totals.applied} applied, ${totals.failed} failed):`);
    for (const r of remediations) {
      const what = r.item ? `${r.check} (${cut(r.item, 256)})` : r.check;
      lines.push(
        `  ${what}: ${cut(r.action, 100)} ${r.outcome}`,
        `    before: ${cut(r.before)}`,
        `    after:  ${cut(r.after)}`,
        ...(r.error ? [`    error:  ${cut(r.error)}`] : []),
      );
    }
    lines.push(...moreLine(totals.applied + totals.failed, remediations.length));
  }
  const drift = alert.drift.slice(0, limits.lists);
  if (totals.drift > 0) {
    lines.push('', `Drift (${totals.drift}):`);
    for (const d of drift) {
      const what = d.item ? `${d.check} (${cut(d.item, 256)})` : d.check;
      lines.push(
        `  ${what} [${cut(d.mode, 20)} mode]`,
        `    expected: ${cut(d.expected)}`,
        `    actual:   ${cut(d.actual)}`,
        ...(d.fix ? [`    fix:      ${cut(d.fix)}`] : []),
      );
    }
    lines.push(...moreLine(totals.drift, drift.length));
  }
  lines.push(
    '',
    `Occurred:     ${cut(alert.occurredAt, 100)}`,
    `Console: ${fittedConsoleUrl(alert.consoleUrl, LINK_MAX)}`,
  );
  return `${lines.join('\n')}\n`;
}
