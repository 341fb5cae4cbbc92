import {
  type CleanupAlert,
  type CleanupAlertLimits,
  type CleanupAlertRun,
  type CleanupNoticeAlert,
  type CleanupRefusedAlert,
  type CleanupRepositoryReason,
  type CleanupSummaryAlert,
  type CleanupTopRepository,
  FULL_CLEANUP_LIMITS,
} from './cleanup-document.ts';
import {
  cleanupLabel,
  noticeHeadline,
  plural,
  repositoriesByStatus,
  summaryHeadline,
} from './cleanup-subject.ts';
import { fittedConsoleUrl, LINK_MAX } from './links.ts';
import { displayTag, humanBytes, oneLine, shortDigest, truncateEnd, usd } from './text.ts';
import { whereEmailLine } from './where.ts';

/**
 * The plain-text email body of a cleanup alert (SNS sends it to email subscribers and as the default message),
 * cut with the same limits as the document it travels with. Lists say how many they leave out, counted from the
 * totals, so a capped document still reads true.
 */

type Cut = (s: string, max?: number) => string;

/** What a top repository did, in its status's words. */
export function topRepositoryVerb(status: CleanupTopRepository['status']): string {
  if (status === 'cleaned') return 'deleted';
  return status === 'dry-run' ? 'would be deleted' : 'announced';
}

/** `and 12 more` when `total` exceeds what is listed. */
function moreLine(total: number, listed: number): string[] {
  return total > listed ? [`  and ${total - listed} more`] : [];
}

function runLine(run: CleanupAlertRun, cut: Cut): string {
  const dry = run.dryRun ? ', dry run' : '';
  return `Run:          ${cut(run.runId, 100)} (${cut(run.trigger)}${dry}, started ${cut(run.startedAt, 100)})`;
}

function reasonLines(
  title: string,
  list: readonly CleanupRepositoryReason[],
  total: number,
  limits: CleanupAlertLimits,
  cut: Cut,
): string[] {
  if (total === 0) return [];
  const listed = list.slice(0, limits.lists);
  return [
    '',
    `${title} (${total}):`,
    ...listed.map((r) => `  ${cut(r.repositoryName, 256)}: ${cut(r.reason, limits.text)}`),
    ...moreLine(total, listed.length),
  ];
}

function summaryText(alert: CleanupSummaryAlert, limits: CleanupAlertLimits, cut: Cut): string[] {
  const { totals, run } = alert;
  const byStatus = repositoriesByStatus(totals);
  const reported =
    totals.reported < totals.repositories ? `; ${totals.reported} of ${totals.repositories} reported` : '';
  const images = run.dryRun
    ? `${totals.imagesExpiring} would be deleted`
    : `${totals.imagesDeleted} deleted of ${totals.imagesExpiring} expiring`;
  const lines = [
    `${cleanupLabel(alert)}: ${summaryHeadline(alert)}`,
    '',
    runLine(run, cut),
    `Mode:         ${run.dryRun ? 'dry run: nothing was deleted' : 'deletions applied'}`,
    whereEmailLine(alert),
    `Repositories: ${totals.repositories}${byStatus.length > 0 ? ` (${byStatus.join(', ')})` : ''}${reported}`,
    `Images:       ${images}${totals.imagesTransitioning > 0 ? `; ${totals.imagesTransitioning} to archive` : ''}`,
    `${run.dryRun ? 'Would free:   ' : 'Reclaimed:    '}${humanBytes(totals.bytesReclaimed)}, ${usd(totals.monthlySavingsUsd)}/month`,
  ];
  if (totals.imagesNoticed > 0) {
    lines.push(
      `Noticed:      ${plural(totals.imagesNoticed, 'image')} (${humanBytes(totals.bytesNoticed)}) announced for a later deletion`,
    );
  }
  if (totals.imageFailures > 0)
    lines.push(`Failures:     ${plural(totals.imageFailures, 'image')} not deleted`);

  const top = alert.topRepositories.slice(0, limits.lists);
  if (top.length > 0) {
    const width = Math.min(40, Math.max(...top.map((r) => cut(r.repositoryName, 256).length)));
    lines.push(
      '',
      'Top repositories by bytes:',
      ...top.map(
        (r) =>
          `  ${cut(r.repositoryName, 256).padEnd(width)}  ${humanBytes(r.bytes).padStart(9)}  ` +
          `${`${usd(r.monthlySavingsUsd)}/month`.padStart(13)}  ${plural(r.images, 'image')} ${topRepositoryVerb(r.status)}`,
      ),
    );
  }
  if (totals.imageFailures > 0) {
    const listed = alert.failures.slice(0, limits.lists);
    lines.push(
      '',
      `Images not deleted (${totals.imageFailures}):`,
      ...listed.map(
        (f) =>
          `  ${cut(f.repositoryName, 256)} ${cut(shortDigest(f.digest), 100)}  ${cut(f.code, 100)}` +
          `${f.message ? `: ${cut(f.message, limits.text)}` : ''}`,
      ),
      ...moreLine(totals.imageFailures, listed.length),
    );
  }
  lines.push(
    ...reasonLines('Could not be planned', alert.errors, totals.failed, limits, cut),
    ...reasonLines('Refused by the deletion cap', alert.refusals, totals.refused, limits, cut),
    ...reasonLines('Skipped', alert.skips, totals.skipped, limits, cut),
  );
  return lines;
}

function noticeText(alert: CleanupNoticeAlert, limits: CleanupAlertLimits, cut: Cut): string[] {
  const { totals } = alert;
  const lines = [
    `${cleanupLabel(alert)}: ${noticeHeadline(alert)}`,
    '',
    `Delete on:    ${alert.deleteOn} (UTC)`,
    `Images:       ${totals.images} (${humanBytes(totals.bytes)}, ${usd(totals.monthlySavingsUsd)}/month)`,
    `Repositories: ${totals.repositories}`,
    runLine(alert.run, cut),
    whereEmailLine(alert),
    '',
    'To keep an image, give it a tag that matches cleanup keepTagPatterns (or change the policy in',
    'sentinel.config.yml) before that day.',
  ];
  const repositories = alert.repositories.slice(0, limits.lists);
  if (repositories.length > 0) {
    const width = Math.min(40, Math.max(...repositories.map((r) => cut(r.repositoryName, 256).length)));
    lines.push(
      '',
      'By repository:',
      ...repositories.map(
        (r) =>
          `  ${cut(r.repositoryName, 256).padEnd(width)}  ${plural(r.images, 'image').padStart(11)}  ${humanBytes(r.bytes).padStart(9)}`,
      ),
      ...moreLine(totals.repositories, repositories.length),
    );
  }
  const images = alert.topImages.slice(0, limits.lists);
  if (images.length > 0) {
    lines.push(
      '',
      'Largest images:',
      ...images.map((i) => {
        const shown = displayTag(i.tags.slice(0, limits.tags));
        const more = Math.max(i.tagCount, i.tags.length) - (shown ? 1 : 0);
        const tag = shown ? `:${cut(shown.tag, 300)}${more > 0 ? ` (+${more} tags)` : ''}` : ' (untagged)';
        const pushed = i.pushedAt ? `, pushed ${cut(i.pushedAt, 100)}` : '';
        return `  ${cut(i.repositoryName, 256)}${tag}  ${cut(shortDigest(i.digest), 100)}  ${humanBytes(i.sizeBytes)}${pushed}`;
      }),
      ...moreLine(totals.images, images.length),
    );
  }
  return lines;
}

function refusedText(alert: CleanupRefusedAlert, limits: CleanupAlertLimits, cut: Cut): string[] {
  return [
    `${cleanupLabel(alert)}: ${cut(alert.repositoryName, 256)}`,
    '',
    `Repository:   ${cut(alert.repositoryName, 256)}`,
    `Reason:       ${cut(alert.reason, limits.text)}`,
    `Plan:         ${alert.expiringCount} of ${plural(alert.imageCount, 'image')} would expire ` +
      `(${humanBytes(alert.bytes)}, ${usd(alert.monthlySavingsUsd)}/month)`,
    'Nothing was deleted in this repository. If the plan is right, raise cleanup maxDeletions for it;',
    'otherwise fix the lifecycle policy.',
    ...(alert.run ? [runLine(alert.run, cut)] : []),
    whereEmailLine(alert),
  ];
}

/**
 * A readable plain-text email body of a cleanup alert: the headline, the run, the totals (bytes readable,
 * dollars with two decimals), then the lists (top repositories, failures with their codes, repositories set
 * aside with their reasons; for a notice the day, repositories and largest images), each saying how many it
 * leaves out, and the console link.
 */
export function cleanupEmailText(
  alert: CleanupAlert,
  limits: CleanupAlertLimits = FULL_CLEANUP_LIMITS,
): string {
  const cut: Cut = (s, max = limits.field) => truncateEnd(oneLine(s), max);
  let lines: string[];
  switch (alert.kind) {
    case 'summary':
      lines = summaryText(alert, limits, cut);
      break;
    case 'notice':
      lines = noticeText(alert, limits, cut);
      break;
    case 'refused':
      lines = refusedText(alert, limits, cut);
      break;
  }
  lines.push(
    '',
    `Occurred:     ${cut(alert.occurredAt, 100)}`,
    `Console: ${fittedConsoleUrl(alert.consoleUrl, LINK_MAX)}`,
  );
  return `${lines.join('\n')}\n`;
}
