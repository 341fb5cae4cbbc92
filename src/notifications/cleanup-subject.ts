import { SUBJECT_MAX } from './alert-subject.ts';
import {
  CLEANUP_ALERT_TYPE,
  CLEANUP_LABEL,
  type CleanupAlert,
  type CleanupNoticeAlert,
  type CleanupRefusedAlert,
  type CleanupSummaryAlert,
} from './cleanup-document.ts';
import { asciiLine, cutAscii, cutAsciiStart } from './promotion-subject.ts';
import { humanBytes, usd } from './text.ts';

/** `1 image`, `2 images`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

type Fields<T> = T extends CleanupAlert ? Omit<T, 'type' | 'version' | 'subject'> : never;

/** A cleanup alert of any kind without what {@link cleanupAlert} fills in (type, version, subject). */
export type CleanupAlertFields = Fields<CleanupAlert>;

/** The label of a cleanup alert: a dry run's summary says so, as nothing was deleted. */
export function cleanupLabel(alert: Pick<CleanupAlert, 'kind'> & { run?: { dryRun: boolean } }): string {
  if (alert.kind === 'notice') return CLEANUP_LABEL.notice;
  if (alert.kind === 'refused') return CLEANUP_LABEL.refused;
  return alert.run?.dryRun ? CLEANUP_LABEL.dryRun : CLEANUP_LABEL.summary;
}

/**
 * What a run did, in one phrase: `123 images deleted, 4.2 GiB ($0.42/month)`, or for a dry run
 * `123 images would be deleted, 4.2 GiB ($0.42/month)`. Shared by the subject, the email and Slack.
 */
export function summaryHeadline(alert: Pick<CleanupSummaryAlert, 'run' | 'totals'>): string {
  const { totals } = alert;
  const amount = `${humanBytes(totals.bytesReclaimed)} (${usd(totals.monthlySavingsUsd)}/month)`;
  if (alert.run.dryRun) {
    return totals.imagesExpiring === 0
      ? 'nothing would be deleted'
      : `${plural(totals.imagesExpiring, 'image')} would be deleted, ${amount}`;
  }
  return totals.imagesDeleted === 0
    ? 'nothing deleted'
    : `${plural(totals.imagesDeleted, 'image')} deleted, ${amount}`;
}

/** `3 cleaned, 1 refused`: the repositories of a run by what happened to them, statuses with none left out. */
export function repositoriesByStatus(totals: CleanupSummaryAlert['totals']): string[] {
  const statuses = [
    [totals.cleaned, 'cleaned'],
    [totals.dryRun, 'dry run'],
    [totals.noticed, 'noticed'],
    [totals.skipped, 'skipped'],
    [totals.refused, 'refused'],
    [totals.failed, 'failed'],
  ] as const;
  return statuses.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
}

/** What went wrong or was set aside, worst first: `7 images not deleted, 2 refused, 3 failed, 480 skipped`. */
export function summaryProblems(alert: Pick<CleanupSummaryAlert, 'totals'>): string[] {
  const { totals } = alert;
  const problems: string[] = [];
  if (totals.imageFailures > 0) problems.push(`${plural(totals.imageFailures, 'image')} not deleted`);
  if (totals.failed > 0) problems.push(`${totals.failed} failed`);
  if (totals.refused > 0) problems.push(`${totals.refused} refused`);
  const unreported = totals.repositories - totals.reported;
  if (unreported > 0) problems.push(`${unreported} not reported`);
  if (totals.skipped > 0) problems.push(`${totals.skipped} skipped`);
  return problems;
}

/** `120 images (3.4 GiB) in 7 repositories will be deleted on 2026-12-04`. */
export function noticeHeadline(alert: Pick<CleanupNoticeAlert, 'totals' | 'deleteOn'>): string {
  const { totals } = alert;
  return (
    `${plural(totals.images, 'image')} (${humanBytes(totals.bytes)}) in ` +
    `${plural(totals.repositories, 'repository', 'repositories')} will be deleted on ${alert.deleteOn}`
  );
}

function summarySubject(alert: Fields<CleanupSummaryAlert>, prefix: string): string {
  const main = `${prefix}${summaryHeadline(alert)} in ${plural(alert.totals.repositories, 'repository', 'repositories')}`;
  // The least severe problem gives way first; what is left is cut as a whole.
  const problems = summaryProblems(alert);
  const build = () => (problems.length > 0 ? `${main}; ${problems.join(', ')}` : main);
  while (build().length > SUBJECT_MAX && problems.length > 1) problems.pop();
  return cutAscii(build(), SUBJECT_MAX);
}

function refusedSubject(alert: Fields<CleanupRefusedAlert>, prefix: string): string {
  let repository = asciiLine(alert.repositoryName);
  let reason = asciiLine(alert.reason);
  const build = () => `${prefix}${repository}: ${reason}`;
  const over = () => build().length - SUBJECT_MAX;
  // Why it was refused is cut first (its start says how many); a long repository name keeps its end.
  if (over() > 0) reason = cutAscii(reason, Math.max(32, reason.length - over()));
  if (over() > 0) repository = cutAsciiStart(repository, Math.max(16, repository.length - over()));
  return cutAscii(build(), SUBJECT_MAX);
}

/**
 * The subject of a cleanup alert, in the other alerts' form (`[LABEL] what`), printable ASCII, at most
 * {@link SUBJECT_MAX} characters:
 * - `[CLEANUP] 123 images deleted, 4.2 GiB ($0.42/month) in 500 repositories; 2 refused, 480 skipped`
 *   (`[CLEANUP DRY RUN] … would be deleted …`); when too long the problems go from the least severe;
 * - `[CLEANUP NOTICE] 120 images (3.4 GiB) in 7 repositories will be deleted on 2026-12-04`;
 * - `[CLEANUP REFUSED] orders-api: would delete 600 of 800 images, over the cap of 500 per run…`.
 */
export function cleanupSubject(alert: CleanupAlertFields): string {
  const prefix = `[${cleanupLabel(alert)}] `;
  switch (alert.kind) {
    case 'summary':
      return summarySubject(alert, prefix);
    case 'notice':
      return cutAscii(asciiLine(`${prefix}${noticeHeadline(alert)}`), SUBJECT_MAX);
    case 'refused':
      return refusedSubject(alert, prefix);
  }
}

/**
 * A complete cleanup alert from its fields: the type, the document version and the subject
 * ({@link cleanupSubject}) filled in. Not validated here (notify-slack parses what it receives with
 * `cleanupAlertSchema`); a producer that wants a check parses the result itself.
 */
export function cleanupAlert<F extends CleanupAlertFields>(
  fields: F,
): Extract<CleanupAlert, { kind: F['kind'] }> {
  const alert = {
    type: CLEANUP_ALERT_TYPE,
    version: 1,
    subject: cleanupSubject(fields),
    ...fields,
  } as CleanupAlert;
  // The kind is the one given, so the document is of that kind.
  return alert as Extract<CleanupAlert, { kind: F['kind'] }>;
}
