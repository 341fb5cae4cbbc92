import type {
  CleanupAlert,
  CleanupAlertRun,
  CleanupNoticeAlert,
  CleanupRefusedAlert,
  CleanupRepositoryReason,
  CleanupSummaryAlert,
} from './cleanup-document.ts';
import { topRepositoryVerb } from './cleanup-email.ts';
import {
  cleanupLabel,
  noticeHeadline,
  plural,
  repositoriesByStatus,
  summaryHeadline,
} from './cleanup-subject.ts';
import {
  consoleButton,
  context,
  field,
  fitLines,
  header,
  md,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  section,
  sectionWithFields,
} from './slack-blocks.ts';
import { displayTag, humanBytes, readableTime, shortDigest, truncateEnd, usd } from './text.ts';
import { whereMrkdwn } from './where.ts';

/**
 * The Slack Block Kit message of a cleanup alert (pure; notify-slack posts it): a header with the subject, the
 * headline with the totals as section fields, then compact lists (top repositories, images not deleted,
 * repositories refused, skipped or failed with their reasons; for a notice the repositories and largest images),
 * the account and run in a context line, and the console button. A list is one section fitted to Slack's 3000
 * characters that says how many it left out, counting from the totals what the document itself capped; so a run
 * over 500 repositories is a message of about ten blocks. Within Slack's limits like the other messages
 * (slack-blocks.ts).
 */

/**
 * One list as a section: the title, then a line each while they fit, then `…and N more` where N also counts what
 * the document did not list (`total`).
 */
function listSection(title: string, lines: readonly string[], total: number): SlackBlock {
  const room = SLACK_LIMITS.sectionText - title.length - 1;
  return section(`${title}\n${fitLines(lines, room, undefined, total)}`);
}

function runField(run: CleanupAlertRun): { type: 'mrkdwn'; text: string } {
  return field(
    'Run',
    `\`${md(run.runId, 100)}\`\n${md(run.trigger, 40)} · started ${md(readableTime(run.startedAt), 40)}`,
  );
}

function footer(alert: CleanupAlert): SlackBlock {
  return context(`${whereMrkdwn(alert)} · ${md(alert.kind, 20)} ${md(readableTime(alert.occurredAt), 40)}`);
}

function reasonLines(list: readonly CleanupRepositoryReason[]): string[] {
  return list.map((r) => `• \`${md(r.repositoryName, 256)}\` — ${md(r.reason, 300)}`);
}

function summaryBlocks(alert: CleanupSummaryAlert): SlackBlock[] {
  const { totals, run } = alert;
  const trouble = totals.imageFailures > 0 || totals.failed > 0 || totals.refused > 0;
  const icon = trouble ? ':warning:' : ':broom:';
  const byStatus = repositoriesByStatus(totals);
  const reported =
    totals.reported < totals.repositories ? `\n${totals.reported} of ${totals.repositories} reported` : '';
  const fields = [
    field(
      'Repositories',
      `${totals.repositories}${byStatus.length > 0 ? ` — ${byStatus.join(' · ')}` : ''}${reported}`,
    ),
    field(
      'Images',
      run.dryRun
        ? `${totals.imagesExpiring} would be deleted`
        : `${totals.imagesDeleted} deleted of ${totals.imagesExpiring} expiring`,
    ),
    field(
      run.dryRun ? 'Would free' : 'Reclaimed',
      `${humanBytes(totals.bytesReclaimed)} · ${usd(totals.monthlySavingsUsd)}/month`,
    ),
  ];
  if (totals.imagesTransitioning > 0)
    fields.push(field('To archive', plural(totals.imagesTransitioning, 'image')));
  if (totals.imagesNoticed > 0) {
    fields.push(
      field('Noticed', `${plural(totals.imagesNoticed, 'image')} · ${humanBytes(totals.bytesNoticed)}`),
    );
  }
  if (totals.imageFailures > 0) fields.push(field('Not deleted', plural(totals.imageFailures, 'image')));
  fields.push(runField(run));

  const mode = run.dryRun ? 'Dry run: nothing was deleted.' : 'Deletions applied.';
  const blocks: SlackBlock[] = [
    header(alert.subject),
    sectionWithFields(
      `${icon} *${cleanupLabel(alert)}* — ${md(summaryHeadline(alert), 300)}\n${mode}`,
      fields,
    ),
  ];
  if (alert.topRepositories.length > 0) {
    const lines = alert.topRepositories.map(
      (r) =>
        `• \`${md(r.repositoryName, 256)}\` — ${humanBytes(r.bytes)} · ${usd(r.monthlySavingsUsd)}/month · ` +
        `${plural(r.images, 'image')} ${topRepositoryVerb(r.status)}`,
    );
    blocks.push(listSection('*Top repositories by bytes*', lines, lines.length));
  }
  if (totals.imageFailures > 0) {
    const lines = alert.failures.map(
      (f) =>
        `• \`${md(f.repositoryName, 256)}\` \`${md(shortDigest(f.digest), 100)}\` — *${md(f.code, 100)}*` +
        `${f.message ? `: ${md(f.message, 200)}` : ''}`,
    );
    blocks.push(listSection(`*Images not deleted (${totals.imageFailures})*`, lines, totals.imageFailures));
  }
  const lists = [
    ['Could not be planned', alert.errors, totals.failed],
    ['Refused by the deletion cap', alert.refusals, totals.refused],
    ['Skipped', alert.skips, totals.skipped],
  ] as const;
  for (const [title, list, total] of lists) {
    if (total > 0) blocks.push(listSection(`*${title} (${total})*`, reasonLines(list), total));
  }
  blocks.push(footer(alert));
  const button = consoleButton(alert.consoleUrl, 'Open ECR in the console');
  if (button) blocks.push(button);
  return blocks;
}

function noticeBlocks(alert: CleanupNoticeAlert): SlackBlock[] {
  const { totals } = alert;
  const blocks: SlackBlock[] = [
    header(alert.subject),
    sectionWithFields(
      `:calendar: *${cleanupLabel(alert)}* — ${md(noticeHeadline(alert), 300)}\n` +
        `To keep an image, give it a tag that matches \`keepTagPatterns\` before ${md(alert.deleteOn, 10)}.`,
      [
        field('Delete on', `${md(alert.deleteOn, 10)} (UTC)`),
        field('Images', `${totals.images} · ${humanBytes(totals.bytes)}`),
        field('Saves', `${usd(totals.monthlySavingsUsd)}/month`),
        field('Repositories', String(totals.repositories)),
        runField(alert.run),
      ],
    ),
  ];
  if (totals.repositories > 0) {
    const lines = alert.repositories.map(
      (r) => `• \`${md(r.repositoryName, 256)}\` — ${plural(r.images, 'image')} · ${humanBytes(r.bytes)}`,
    );
    blocks.push(listSection('*By repository*', lines, totals.repositories));
  }
  if (alert.topImages.length > 0) {
    const lines = alert.topImages.map((i) => {
      const shown = displayTag(i.tags);
      const more = Math.max(i.tagCount, i.tags.length) - (shown ? 1 : 0);
      const tag = shown ? `:${md(shown.tag, 100)}` : '';
      const others = more > 0 ? ` (+${more} ${more === 1 ? 'tag' : 'tags'})` : shown ? '' : ' (untagged)';
      return (
        `• \`${md(i.repositoryName, 256)}${tag}\`${others} — ${humanBytes(i.sizeBytes)} · ` +
        `\`${md(shortDigest(i.digest), 100)}\``
      );
    });
    blocks.push(listSection('*Largest images*', lines, totals.images));
  }
  blocks.push(footer(alert));
  const button = consoleButton(alert.consoleUrl, 'Open ECR in the console');
  if (button) blocks.push(button);
  return blocks;
}

function refusedBlocks(alert: CleanupRefusedAlert): SlackBlock[] {
  const fields = [
    field('Would expire', `${alert.expiringCount} of ${plural(alert.imageCount, 'image')}`),
    field('Would free', `${humanBytes(alert.bytes)} · ${usd(alert.monthlySavingsUsd)}/month`),
  ];
  if (alert.run) fields.push(runField(alert.run));
  const blocks: SlackBlock[] = [
    header(alert.subject),
    sectionWithFields(
      `:no_entry: *${cleanupLabel(alert)}* — \`${md(alert.repositoryName, 256)}\`\n` +
        `*Reason:* ${md(alert.reason, 1500)}\n` +
        'Nothing was deleted in this repository. If the plan is right, raise `maxDeletions` for it; otherwise fix the lifecycle policy.',
      fields,
    ),
    footer(alert),
  ];
  const button = consoleButton(alert.consoleUrl, 'Open the repository in the console');
  if (button) blocks.push(button);
  return blocks;
}

/** The Block Kit message of a cleanup alert of any kind, as subscribers receive it (its lists may be capped). */
export function slackCleanupMessage(alert: CleanupAlert): SlackMessage {
  let blocks: SlackBlock[];
  switch (alert.kind) {
    case 'summary':
      blocks = summaryBlocks(alert);
      break;
    case 'notice':
      blocks = noticeBlocks(alert);
      break;
    case 'refused':
      blocks = refusedBlocks(alert);
      break;
  }
  return {
    text: truncateEnd(alert.subject, SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
