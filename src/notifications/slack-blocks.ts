import type {
  AlertDocument,
  AlertExceptionNote,
  AlertFinding,
  TruncatedAlertDocument,
} from './alert-document.ts';
import { alertLabel } from './alert-subject.ts';
import { isConsoleUrl, isWebLink, LINK_MAX } from './links.ts';
import { severityRows } from './severity-table.ts';
import { charLength, oneLine, truncateEnd } from './text.ts';

/**
 * A Slack Block Kit message for an alert document (pure; notify-slack posts it to the incoming webhook).
 * Stays within Slack's limits whatever the input: ≤ 50 blocks, section/context text ≤ 3000 characters,
 * header plain_text ≤ 150, button text ≤ 75, URLs ≤ 3000, and a fallback `text` always present.
 * https://docs.slack.dev/reference/block-kit/blocks
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
interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: Mrkdwn; fields?: Mrkdwn[] }
  | { type: 'context'; elements: Mrkdwn[] }
  | { type: 'divider' }
  | { type: 'actions'; elements: Array<{ type: 'button'; text: PlainText; url: string; action_id: string }> };

export interface SlackMessage {
  /** Fallback for notifications and clients that cannot show blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** Escape text for mrkdwn: `&`, `<`, `>` are control characters in Slack messages. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

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

const ICON: Record<string, string> = {
  FAIL: ':red_circle:',
  ERROR: ':warning:',
  PASS: ':white_check_mark:',
  RESOLVED: ':white_check_mark:',
};

function countsLines(alert: AlertDocument): string[] {
  const rows = severityRows(alert);
  if (rows.length === 0) return ['No findings.'];
  return rows.map(
    (r) =>
      `${r.over ? '*' : ''}${md(r.severity, 40)}${r.over ? '*' : ''}: ${r.found} found, ${r.counted} counted` +
      `${r.max === undefined ? '' : ` (max ${r.max})`}${r.over ? ' :x:' : ''}`,
  );
}

function findingText(f: AlertFinding): string {
  const fixed = f.fixedVersion
    ? md(f.fixedVersion, 80)
    : f.fixAvailable === false
      ? 'no fix yet'
      : 'fix unknown';
  const pkg = f.package
    ? `\`${md(f.package, 120).replaceAll('`', "'")}\` ${md(f.installedVersion ?? '?', 80)} → ${fixed}`
    : '';
  const title = f.title ? `\n_${md(f.title, 300)}_` : '';
  return `*${link(f.link, md(f.id, 100))}* · ${md(f.severity, 40)}${pkg ? `\n${pkg}` : ''}${title}`;
}

function exceptionLines(notes: readonly AlertExceptionNote[], verb: string): string[] {
  return notes.map(
    (n) =>
      `• *${md(n.cve, 100)}* — owner ${md(n.owner, 200)}, ${verb} ${md(n.expires, 10)}` +
      `${n.ticket ? `, ticket ${md(n.ticket, 100)}` : ''}`,
  );
}

/**
 * A short message for the cut-down document SNS gets when a full alert would not fit in 256 KiB: header,
 * status and image, and the console link.
 */
export function slackMessageFromTruncatedAlert(
  alert: Pick<TruncatedAlertDocument, 'kind' | 'status' | 'repositoryName' | 'imageDigest' | 'consoleUrl'>,
): SlackMessage {
  const label = alertLabel(alert);
  const subject = `[${label}] ${oneLine(alert.repositoryName)}@${alert.imageDigest}`;
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncateEnd(subject, SLACK_LIMITS.headerText), emoji: true },
    },
    section(
      `${ICON[label] ?? ''} *${label}* — ${md(alert.repositoryName, 256)} \`${md(alert.imageDigest, 200)}\`\n` +
        `The alert was too large to send in full: ${link(alert.consoleUrl, 'open the image in the ECR console', isConsoleUrl)}.`,
    ),
  ];
  return { text: truncateEnd(subject, SLACK_LIMITS.fallbackText), blocks };
}

/**
 * The Block Kit message for an alert document, as subscribers receive it: its blocking ids may be capped, so
 * the count comes from `blocking.count`.
 */
export function slackMessage(alert: AlertDocument): SlackMessage {
  const label = alertLabel(alert);
  const { subject, consoleUrl: url, blocking } = alert;
  const blockingCount = Math.max(blocking.count, blocking.ids.length);
  const tags = alert.imageTags.length > 0 ? alert.imageTags.map((t) => `\`${md(t, 100)}\``) : ['untagged'];

  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncateEnd(subject, SLACK_LIMITS.headerText), emoji: true },
    },
    section(
      fitLines(
        [
          `${ICON[label] ?? ''} *${label}* — ${md(alert.reason, 500)}`,
          `*Repository:* ${md(alert.repositoryName, 256)}   *Tags:* ${fitLines(tags, 500, (n) => `+${n} more`).replaceAll('\n', ' ')}`,
          ...countsLines(alert),
        ],
        SLACK_LIMITS.sectionText,
      ),
    ),
  ];

  if (blocking.ids.length > 0) {
    blocks.push({ type: 'divider' });
    blocks.push(section(`*Blocking vulnerabilities (${blockingCount})*`));
    const listed = blocking.details.slice(0, SLACK_BLOCKING_MAX);
    for (const f of listed) blocks.push(section(findingText(f)));
    const shown = new Set(listed.map((f) => f.id));
    const rest = blocking.ids.filter((id) => !shown.has(id)).map((id) => md(id, 100));
    // Ids the document left out (it caps them) are counted, not named.
    const unnamed = Math.max(0, blockingCount - blocking.ids.length);
    if (rest.length > 0 || unnamed > 0) {
      const named = fitLines(rest, 2500, (n) => `and ${n + unnamed} more`);
      const cut = rest.length > 0 && named.split('\n').at(-1) !== rest.at(-1);
      const tail = unnamed > 0 && !cut ? `${rest.length > 0 ? ', and ' : ''}${unnamed} more` : '';
      blocks.push(context(`Also blocking: ${named.replaceAll('\n', ', ')}${tail}`));
    }
  }
  if (alert.exceptionsApplied.length > 0) {
    blocks.push(
      section(
        fitLines(
          ['*Exceptions applied*', ...exceptionLines(alert.exceptionsApplied, 'expires')],
          SLACK_LIMITS.sectionText,
        ),
      ),
    );
  }
  if (alert.exceptionsExpired.length > 0) {
    blocks.push(
      section(
        fitLines(
          [
            '*Exceptions expired (no longer applied)*',
            ...exceptionLines(alert.exceptionsExpired, 'expired after'),
          ],
          SLACK_LIMITS.sectionText,
        ),
      ),
    );
  }
  blocks.push(
    context(
      `Digest \`${md(alert.imageDigest, 200)}\` · scan ${md(alert.scanStatus, 60)} · policy ${md(alert.policyHash.slice(0, 12), 12)}` +
        ` · evaluated ${md(alert.evaluatedAt, 40)} · alert ${alert.kind}`,
    ),
  );
  // The schema already refuses other URLs; asked again because a button is where a hostile link would do harm.
  if (url.length <= SLACK_LIMITS.url && isConsoleUrl(url)) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in the ECR console' },
          url,
          action_id: 'open-ecr-console',
        },
      ],
    });
  }
  return {
    text: truncateEnd(subject, SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
