/** Small text helpers shared by the alert renderers. */

export const ELLIPSIS = '…';

/** One line: control characters (newlines included) become spaces, runs of spaces collapse. */
export function oneLine(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** At most `max` characters (code points), ending in `…` when cut. */
export function truncateEnd(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 0) return '';
  return `${chars.slice(0, max - 1).join('')}${ELLIPSIS}`;
}

/** At most `max` characters, starting with `…` when cut (keeps the end, e.g. the last path segment). */
export function truncateStart(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 0) return '';
  return `${ELLIPSIS}${chars.slice(chars.length - (max - 1)).join('')}`;
}

/** Escape text for Slack mrkdwn: `&`, `<`, `>` are control characters in Slack messages. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Length in code points (what the limits of SNS subjects and Slack fields count). */
export function charLength(text: string): number {
  return [...text].length;
}

/** `sha256:36c7b282abd0…`: algorithm and the first 12 characters of the encoded part. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = colon === -1 ? '' : digest.slice(0, colon + 1);
  const encoded = colon === -1 ? digest : digest.slice(colon + 1);
  return `${algorithm}${truncateEnd(encoded, 13)}`;
}

/** The tag to name an image by: the first tag that is not `latest` (else the first), with `+N` for the rest. */
export function displayTag(tags: readonly string[]): { tag: string; more: number } | undefined {
  const tag = tags.find((t) => t !== 'latest') ?? tags[0];
  return tag === undefined ? undefined : { tag, more: tags.length - 1 };
}

/**
 * A time as people read it, to the minute in UTC: `2026-11-28 07:12 UTC` (not ISO 8601 with milliseconds).
 * Text that is not a time is returned on one line, cut to 40 characters.
 */
export function readableTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return truncateEnd(oneLine(iso), 40);
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export { humanBytes, usd } from '../shared/units.ts';
