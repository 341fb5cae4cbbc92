import { isConsoleUrl } from './links.ts';
import {
  PROMOTION_LABEL,
  PROMOTION_STYLE,
  type PromotionAlert,
  type PromotionAlertLocation,
  type PromotionStyle,
  showableCommands,
  type TruncatedPromotionAlert,
} from './promotion-document.ts';
import { copySummaryText, PROMOTION_EVENT_TEXT } from './promotion-email.ts';
import {
  consoleButton,
  context,
  escapeMrkdwn,
  field,
  fitLines,
  header,
  link,
  md,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  section,
  sectionWithFields,
} from './slack-blocks.ts';
import { readableTime, truncateEnd } from './text.ts';
import { whereMrkdwn } from './where.ts';

/**
 * The Slack Block Kit message of a promotion alert (pure; notify-slack posts it): a header with the subject, what
 * happened, the fields (id, who, from, to, gate, copy), why it failed or was refused, the blocking ids, the exact
 * approve/reject commands in code blocks on a pending approval, and the console button. Within Slack's limits
 * like the verdict message (slack-blocks.ts), section fields included (≤ 10, each ≤ 2000 characters).
 */

const ICON: Readonly<Record<PromotionStyle, string>> = {
  success: ':white_check_mark:',
  attention: ':hourglass_flowing_sand:',
  failure: ':red_circle:',
};

function where(l: PromotionAlertLocation): string {
  return `${md(l.environment, 100)} · \`${md(l.repositoryName, 256)}\`\n${md(l.accountId, 100)} · ${md(l.region, 100)}`;
}

/** What happened to which image: `:icon: *LABEL* — *app* `version` staging → prod`. */
function headline(
  alert: Pick<PromotionAlert, 'event' | 'app' | 'appVersion'> & { from?: { environment: string } } & {
    to: { environment: string };
  },
): string {
  const route = alert.from
    ? `${md(alert.from.environment, 100)} → ${md(alert.to.environment, 100)}`
    : `→ ${md(alert.to.environment, 100)}`;
  return (
    `${ICON[PROMOTION_STYLE[alert.event]]} *${PROMOTION_LABEL[alert.event]}* — ` +
    `*${md(alert.app, 256)}* \`${md(alert.appVersion, 300)}\` ${route}`
  );
}

/**
 * The commands in code blocks, each exactly as given (never cut or respaced: it would run something else; they
 * are one line of at most COMMAND_MAX characters without backticks, so both fit).
 */
function commandsBlock(
  commands: { approve: string; reject: string },
  requestedBy: string | undefined,
): SlackBlock {
  const who = requestedBy ? ` (anyone but ${md(requestedBy, 200)})` : '';
  return section(
    `*To approve*${who}:\n\`\`\`${escapeMrkdwn(commands.approve)}\`\`\`\n*To reject:*\n\`\`\`${escapeMrkdwn(commands.reject)}\`\`\``,
  );
}

/** The Block Kit message of a promotion alert, as subscribers receive it (its blocking ids may be capped). */
export function slackPromotionMessage(alert: PromotionAlert): SlackMessage {
  const { gate } = alert;
  const fields = [
    field('Promotion', `\`${md(alert.promotionId, 26)}\``),
    field('Requested by', md(alert.requestedBy, 200)),
    field('From', where(alert.from)),
    field('To', where(alert.to)),
    field('Gate', `${md(gate.status, 10)} — ${md(gate.reason, 1500)}`),
  ];
  if (alert.approvedBy) fields.push(field('Approved by', md(alert.approvedBy, 200)));
  if (alert.rejectedBy) fields.push(field('Rejected by', md(alert.rejectedBy, 200)));
  if (alert.expiresAt && alert.event === 'pending-approval') {
    fields.push(field('Expires', md(readableTime(alert.expiresAt), 100)));
  }
  if (alert.copy) fields.push(field('Copied', md(copySummaryText(alert.copy), 500)));

  const blocks: SlackBlock[] = [
    header(alert.subject),
    sectionWithFields(`${headline(alert)}\n${md(PROMOTION_EVENT_TEXT[alert.event], 200)}`, fields),
  ];
  const why = [
    ...(alert.reason ? [`*Reason:* ${md(alert.reason, 1400)}`] : []),
    ...(alert.error ? [`*Error:* ${md(alert.error, 1400)}`] : []),
  ];
  if (why.length > 0) blocks.push(section(why.join('\n')));

  const total = Math.max(gate.blockingCount ?? 0, gate.blocking.length);
  if (total > 0) {
    const named = gate.blocking.map((id) => md(id, 100));
    const unnamed = total - named.length;
    const listed = fitLines(named, 2500, (n) => `and ${n + unnamed} more`);
    const cut = listed.split('\n').at(-1) !== named.at(-1);
    const tail = unnamed > 0 && !cut ? `${named.length > 0 ? ', and ' : ''}${unnamed} more` : '';
    blocks.push(context(`Blocking (${total}): ${listed.replaceAll('\n', ', ')}${tail}`));
  }

  const commands = alert.event === 'pending-approval' ? showableCommands(alert) : undefined;
  if (commands) blocks.push(commandsBlock(commands, alert.requestedBy));

  const scan = gate.scannedRepository
    ? ` · scan of ${md(gate.scannedRepository, 256)}${gate.scanCompletedAt ? ` at ${md(readableTime(gate.scanCompletedAt), 40)}` : ''}`
    : '';
  blocks.push(
    context(
      `${whereMrkdwn({ accountId: alert.to.accountId, region: alert.to.region, stage: alert.stage })} · ` +
        `Digest \`${md(alert.digest, 200)}\`${scan} · ${md(alert.event, 20)} ${md(readableTime(alert.occurredAt), 40)}`,
    ),
  );
  const button = consoleButton(alert.consoleUrl);
  if (button) blocks.push(button);
  return {
    text: truncateEnd(alert.subject, SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

/**
 * A short message for the cut-down document SNS gets when a full promotion alert would not fit in 256 KiB:
 * header, what happened, the commands of a pending approval, and the console link.
 */
export function slackMessageFromTruncatedPromotion(alert: TruncatedPromotionAlert): SlackMessage {
  const blocks: SlackBlock[] = [
    header(alert.subject),
    section(
      `${headline(alert)}\nPromotion \`${md(alert.promotionId, 26)}\` · digest \`${md(alert.digest, 200)}\`\n` +
        `The alert was too large to send in full: ${link(alert.consoleUrl, 'open the image in the ECR console', isConsoleUrl)}.`,
    ),
  ];
  const commands = alert.event === 'pending-approval' ? showableCommands(alert) : undefined;
  if (commands) blocks.push(commandsBlock(commands, undefined));
  return { text: truncateEnd(alert.subject, SLACK_LIMITS.fallbackText), blocks };
}
