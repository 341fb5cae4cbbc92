import type { AlertDocument } from './alert-document.ts';
import { charLength, displayTag, oneLine, shortDigest, truncateEnd, truncateStart } from './text.ts';

/** SNS subjects must be "less than 100 characters"; we keep to 99. */
export const SUBJECT_MAX = 99;

/** What the subject line is made of: the document's fields before any cut to size. */
export type AlertSubjectFields = Pick<
  AlertDocument,
  'kind' | 'status' | 'reason' | 'scanStatus' | 'exceeded' | 'repositoryName' | 'imageDigest' | 'imageTags'
> &
  Partial<Pick<AlertDocument, 'enforcement'>>;

/** `RESOLVED` for a resolved alert, else the status. */
export function alertLabel(alert: Pick<AlertDocument, 'kind' | 'status'>): string {
  return alert.kind === 'resolved' ? 'RESOLVED' : alert.status;
}

/** `tag latest` or `tags latest, stable`. */
function tagList(tags: readonly string[]): string {
  return `tag${tags.length === 1 ? '' : 's'} ${tags.map(oneLine).join(', ')}`;
}

/**
 * What enforcement did, in a few words for the subject, the email and Slack: `removed tag latest`,
 * `could not remove tag latest`, or `no tag removed` when every tag was skipped; undefined without enforcement.
 */
export function enforcementSummary(enforcement: AlertDocument['enforcement']): string | undefined {
  if (enforcement === undefined) return undefined;
  if (enforcement.error !== undefined) return `could not remove ${tagList(enforcement.tags)}`;
  if (enforcement.removed.length > 0) return `removed ${tagList(enforcement.removed)}`;
  return 'no tag removed';
}

function summary(alert: AlertSubjectFields): string {
  if (alert.status === 'ERROR') {
    return alert.reason.startsWith('scan ') ? `scan ${oneLine(alert.scanStatus)}` : oneLine(alert.reason);
  }
  if (alert.status === 'FAIL') return alert.exceeded.map((e) => `${e.count} ${e.severity}`).join(', ');
  return alert.kind === 'resolved' ? 'passes policy now' : 'passes policy';
}

/**
 * `[FAIL] my-web-app@sha256:ab12cd34ef56… (v1.2.3): 2 CRITICAL, 5 HIGH; removed tag latest`, at most
 * {@link SUBJECT_MAX} characters: when too long, the tag is cut first, then the summary, then what enforcement
 * did, then the repository (from the start, keeping its last segments), and as a last resort the whole line. Made from every tag (it says `+N` for the
 * others), so the producer renders it before the document is cut to size.
 */
export function alertSubject(alert: AlertSubjectFields): string {
  const prefix = `[${alertLabel(alert)}] `;
  const digest = `@${oneLine(shortDigest(alert.imageDigest))}`;
  const shown = displayTag(alert.imageTags);
  let tag = shown === undefined ? '' : `${oneLine(shown.tag)}${shown.more > 0 ? ` +${shown.more}` : ''}`;
  let text = summary(alert);
  let enforced = alert.kind === 'enforcement-failed' ? '' : (enforcementSummary(alert.enforcement) ?? '');
  let repository = oneLine(alert.repositoryName);
  const said = () => [text, enforced].filter((s) => s !== '').join('; ');
  const build = () =>
    `${prefix}${repository}${digest}${tag ? ` (${tag})` : ''}${said() ? `: ${said()}` : ''}`;

  if (charLength(build()) > SUBJECT_MAX) tag = truncateEnd(tag, 20);
  if (charLength(build()) > SUBJECT_MAX) text = truncateEnd(text, 32);
  if (charLength(build()) > SUBJECT_MAX) enforced = truncateEnd(enforced, 28);
  if (charLength(build()) > SUBJECT_MAX) {
    const room = SUBJECT_MAX - (charLength(build()) - charLength(repository));
    repository = truncateStart(repository, Math.max(12, room));
  }
  return truncateEnd(build(), SUBJECT_MAX);
}
