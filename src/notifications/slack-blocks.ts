import { isConsoleUrl, isWebLink, LINK_MAX } from './links.ts';
import { charLength, escapeMrkdwn, oneLine, truncateEnd } from './text.ts';

/**
 * The Block Kit kit every alert's Slack message is made with (alert-blocks.ts, promotion-blocks.ts,
 * cleanup-blocks.ts, compliance-blocks.ts; pure; notify-slack posts the result to the incoming webhook), so each
 * stays within Slack's limits whatever the input: ≤ 50 blocks (counted across the message and its
 * attachments), section/context text ≤ 3000 characters, header plain_text ≤ 150, section fields ≤ 10 of ≤ 2000
 * each, button text ≤ 75, URLs ≤ 3000, and a fallback `text` always present.
 * https://docs.slack.dev/reference/block-kit/blocks
 *
 * A colour bar takes a secondary attachment holding blocks (`attachments: [{color, blocks}]`): the one thing
 * blocks alone cannot show. Slack calls attachments legacy (not deprecated) and may fold long ones behind "Show
 * more", so the header stays in the message's own blocks and the attachment holds the body.
 * https://docs.slack.dev/messaging/formatting-message-text#when-to-use-attachments
 */

export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  buttonText: 75,
  url: LINK_MAX,
  fallbackText: 3000,
  /** Fields of one section, and characters of each. */
  fields: 10,
  fieldText: 2000,
} as const;

/** Blocking vulnerabilities listed one by one; the rest are summarised. */
export const SLACK_BLOCKING_MAX = 10;

interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: Mrkdwn; fields?: Mrkdwn[] }
  | { type: 'context'; elements: Mrkdwn[] }
  | { type: 'divider' }
  | { type: 'actions'; elements: Array<{ type: 'button'; text: PlainText; url: string; action_id: string }> };

export interface SlackAttachment {
  /** The bar along its left side: a hex colour ({@link SLACK_COLORS}). */
  color: string;
  blocks: SlackBlock[];
}

export interface SlackMessage {
  /** Fallback for notifications and clients that cannot show blocks. */
  text: string;
  blocks: SlackBlock[];
  /** At most one here: the coloured body of a scan alert. */
  attachments?: SlackAttachment[];
}

/** Colour bars: red for a failure, green for a pass, amber for an error or anything else. */
export const SLACK_COLORS = { red: '#E01E5A', green: '#2EB67D', amber: '#ECB22E' } as const;

/** Every block of a message, its attachments' included (Slack's 50 counts them all here). */
export function allBlocks(message: SlackMessage): SlackBlock[] {
  return [...message.blocks, ...(message.attachments ?? []).flatMap((a) => a.blocks)];
}

export { escapeMrkdwn };

/** Truncate raw text first, then escape (so an entity is never cut in half). */
export function md(text: string, max: number): string {
  return escapeMrkdwn(truncateEnd(oneLine(text), max));
}

/** `<url|label>` for a URL `allowed` (links.ts) that fits, else just the label. */
export function link(url: string | undefined, label: string, allowed = isWebLink): string {
  if (url === undefined || !allowed(url) || url.length > 500) return label;
  const safe = url.replaceAll('|', '%7C').replaceAll('<', '%3C').replaceAll('>', '%3E');
  return `<${safe}|${label.replaceAll('|', '¦')}>`;
}

/**
 * Join lines while they fit in `max` characters; say how many were left out. `total` counts what `lines` stands
 * for when the list was already capped (a document lists 50 of 2000 failures): those left out before are added to
 * the count, and said even when every given line fits.
 */
export function fitLines(
  lines: readonly string[],
  max: number,
  more = (n: number) => `…and ${n} more`,
  total = lines.length,
): string {
  const kept: string[] = [];
  let length = 0;
  const all = Math.max(total, lines.length);
  for (const [index, line] of lines.entries()) {
    const remaining = all - index - 1;
    const reserve = remaining > 0 ? charLength(more(all)) + 1 : 0;
    const next = length + (kept.length > 0 ? 1 : 0) + charLength(line);
    if (next + reserve > max) {
      kept.push(more(all - index));
      return kept.join('\n');
    }
    kept.push(line);
    length = next;
  }
  if (all > lines.length) kept.push(more(all - lines.length));
  return kept.join('\n');
}

export function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateEnd(text, SLACK_LIMITS.sectionText) } };
}

export function context(text: string): SlackBlock {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: truncateEnd(text, SLACK_LIMITS.sectionText) }],
  };
}

export function header(text: string): SlackBlock {
  return {
    type: 'header',
    text: {
      type: 'plain_text',
      text: truncateEnd(oneLine(text), SLACK_LIMITS.headerText) || '-',
      emoji: true,
    },
  };
}

/** A section field: a bold title over its value, within a field's 2000 characters. */
export function field(title: string, value: string): Mrkdwn {
  return { type: 'mrkdwn', text: truncateEnd(`*${title}*\n${value}`, SLACK_LIMITS.fieldText) };
}

/** A section with fields, at most Slack's ten. */
export function sectionWithFields(text: string, fields: readonly Mrkdwn[]): SlackBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: truncateEnd(text, SLACK_LIMITS.sectionText) },
    fields: fields.slice(0, SLACK_LIMITS.fields),
  };
}

/** The console button, or none for a URL that is not the AWS console's or does not fit. */
export function consoleButton(url: string, text = 'Open in the ECR console'): SlackBlock | undefined {
  // The schema already refuses other URLs; asked again because a button is where a hostile link would do harm.
  if (url.length > SLACK_LIMITS.url || !isConsoleUrl(url)) return undefined;
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: truncateEnd(text, SLACK_LIMITS.buttonText) },
        url,
        action_id: 'open-ecr-console',
      },
    ],
  };
}
