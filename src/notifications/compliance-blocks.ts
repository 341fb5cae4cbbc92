import { COMPLIANCE_LABEL, type ComplianceAlert } from './compliance-document.ts';
import { complianceTriggerText } from './compliance-email.ts';
import { complianceHeadline, complianceTargetName } from './compliance-subject.ts';
import {
  consoleButton,
  context,
  fitLines,
  header,
  md,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  section,
} from './slack-blocks.ts';
import { readableTime, truncateEnd } from './text.ts';
import { whereMrkdwn } from './where.ts';

/**
 * The Slack Block Kit message of a compliance alert (pure; notify-slack posts it): a header with the subject,
 * the headline, the remediations (before → after) and the drift (expected, actual, fix) as sections fitted to
 * Slack's limits that say how many they leave out, the account and trigger in a context line, and the console
 * button.
 */

const ICON = { drift: ':warning:', fixed: ':white_check_mark:', 'fix-failed': ':x:' } as const;

function listSection(title: string, lines: readonly string[], total: number): SlackBlock {
  const room = SLACK_LIMITS.sectionText - title.length - 1;
  return section(`${title}\n${fitLines(lines, room, undefined, total)}`);
}

/** The Block Kit message of a compliance alert, as subscribers receive it (its lists may be capped). */
export function slackComplianceMessage(alert: ComplianceAlert): SlackMessage {
  const { totals } = alert;
  const blocks: SlackBlock[] = [
    header(alert.subject),
    section(
      `${ICON[alert.kind]} *${COMPLIANCE_LABEL[alert.kind]}* — \`${md(complianceTargetName(alert.target), 256)}\`\n` +
        md(complianceHeadline(alert), 1000),
    ),
  ];
  if (totals.applied + totals.failed > 0) {
    const lines = alert.remediations.map(
      (r) =>
        `• *${md(r.check, 40)}*${r.item ? ` (${md(r.item, 200)})` : ''}: \`${md(r.action, 60)}\` ${r.outcome}` +
        `\n   ${md(r.before, 300)} → ${md(r.after, 300)}${r.error ? `\n   _${md(r.error, 300)}_` : ''}`,
    );
    blocks.push(
      listSection(
        `*Remediations (${totals.applied} applied, ${totals.failed} failed)*`,
        lines,
        totals.applied + totals.failed,
      ),
    );
  }
  if (totals.drift > 0) {
    const lines = alert.drift.map(
      (d) =>
        `• *${md(d.check, 40)}*${d.item ? ` (${md(d.item, 200)})` : ''} [${md(d.mode, 20)}]: expected ${md(d.expected, 300)}, ` +
        `actual ${md(d.actual, 300)}${d.fix ? `\n   fix: ${md(d.fix, 300)}` : ''}`,
    );
    blocks.push(listSection(`*Drift (${totals.drift})*`, lines, totals.drift));
  }
  blocks.push(
    context(
      `${whereMrkdwn(alert)} · ${md(complianceTriggerText(alert.trigger), 300)} · ${md(readableTime(alert.occurredAt), 40)}`,
    ),
  );
  const button = consoleButton(alert.consoleUrl, 'Open in the console');
  if (button) blocks.push(button);
  return {
    text: truncateEnd(alert.subject, SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
