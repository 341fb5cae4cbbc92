import type { AlertDocument } from './alert-document.ts';
import { charLength, displayTag, oneLine, shortDigest, truncateEnd, truncateStart } from './text.ts';

/** SNS subjects must be "less than 100 characters"; we keep to 99. */
export const SUBJECT_MAX = 99;

/** What the subject line is made of: the document's fields before any cut to size. */
export type AlertSubjectFields = Pick<
  AlertDocument,
  'kind' | 'status' | 'reason' | 'scanStatus' | 'exceeded' | 'repositoryName' | 'imageDigest' | 'imageTags'
>;

/** `RESOLVED` for a resolved alert, else the status. */
export function alertLabel(alert: Pick<AlertDocument, 'kind' | 'status'>): string {
  return alert.kind === 'resolved' ? 'RESOLVED' : alert.status;
}

function summary(alert: AlertSubjectFields): string {
  if (alert.status === 'ERROR') {
    return alert.reason.startsWith('scan ') ? `scan ${oneLine(alert.scanStatus)}` : oneLine(alert.reason);
  }
  if (alert.status === 'FAIL') return alert.exceeded.map((e) => `${e.count} ${e.severity}`).join(', ');
  return alert.kind === 'resolved' ? 'passes policy now' : 'passes policy';
}

/**
 * `[FAIL] my-web-app@sha256:ab12cd34ef56… (v1.2.3): 2 CRITICAL, 5 HIGH`, at most {@link SUBJECT_MAX}
 * characters: when too long, the tag is cut first, then the summary, then the repository (from the start,
 * keeping its last segments), and as a last resort the whole line. Made from every tag (it says `+N` for the
 * others), so the producer renders it before the document is cut to size.
 */
export function alertSubject(alert: AlertSubjectFields): string {
  const prefix = `[${alertLabel(alert)}] `;
  const digest = `@${oneLine(shortDigest(alert.imageDigest))}`;
  const shown = displayTag(alert.imageTags);
  let tag = shown === undefined ? '' : `${oneLine(shown.tag)}${shown.more > 0 ? ` +${shown.more}` : ''}`;
  let text = summary(alert);
  let repository = oneLine(alert.repositoryName);
  const build = () => `${prefix}${repository}${digest}${tag ? ` (${tag})` : ''}${text ? `: ${text}` : ''}`;

  if (charLength(build()) > SUBJECT_MAX) tag = truncateEnd(tag, 20);
  if (charLength(build()) > SUBJECT_MAX) text = truncateEnd(text, 32);
  if (charLength(build()) > SUBJECT_MAX) {
    const room = SUBJECT_MAX - (charLength(build()) - charLength(repository));
    repository = truncateStart(repository, Math.max(12, room));
  }
  return truncateEnd(build(), SUBJECT_MAX);
}
