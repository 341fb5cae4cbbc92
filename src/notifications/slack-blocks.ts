import type { AlertKind } from '../scan-gate/domain/alerting.ts';
import type { ExceptionNote } from '../scan-gate/domain/exceptions.ts';
import type { Finding } from '../scan-gate/domain/findings.ts';
import type { Verdict } from '../scan-gate/domain/verdict.ts';
import { compareSeverity } from '../shared/severity.ts';
import { type AlertContext, type AlertDocument, alertLabel, alertSubject } from './alert-text.ts';
import { charLength, consoleUrl, oneLine, truncateEnd } from './text.ts';

/**
 * A Slack Block Kit message for a verdict (pure; notify-slack posts it to the incoming webhook).
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
  url: 3000,
  fallbackText: 3000,
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
  | { type: 'section'; text: Mrkdwn }
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
function md(text: string, max: number): string {
  return escapeMrkdwn(truncateEnd(oneLine(text), max));
}

/** `<url|label>` for an http(s) URL that fits, else just the label. */
function link(url: string | undefined, label: string): string {
  if (url === undefined || !/^https?:\/\/\S+$/.test(url) || url.length > 500) return label;
  const safe = url.replaceAll('|', '%7C').replaceAll('<', '%3C').replaceAll('>', '%3E');
  return `<${safe}|${label.replaceAll('|', '¦')}>`;
}

/** Join lines while they fit in `max` characters; say how many were left out. */
function fitLines(lines: readonly string[], max: number, more = (n: number) => `…and ${n} more`): string {
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const remaining = lines.length - index - 1;
    const reserve = remaining > 0 ? charLength(more(lines.length)) + 1 : 0;
    const next = length + (kept.length > 0 ? 1 : 0) + charLength(line);
    if (next + reserve > max) {
      kept.push(more(lines.length - index));
      return kept.join('\n');
    }
    kept.push(line);
    length = next;
  }
  return kept.join('\n');
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateEnd(text, SLACK_LIMITS.sectionText) } };
}

function context(text: string): SlackBlock {
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

function countsLines(verdict: Verdict): string[] {
  const severities = [
    ...new Set([
      ...Object.keys(verdict.countsBefore).filter((s) => (verdict.countsBefore[s] ?? 0) > 0),
      ...Object.keys(verdict.thresholds),
    ]),
  ].sort(compareSeverity);
  if (severities.length === 0) return ['No findings.'];
  return severities.map((s) => {
    const limit = verdict.thresholds[s];
    const after = verdict.countsAfter[s] ?? 0;
    const over = limit !== undefined && after > limit;
    return (
      `${over ? '*' : ''}${md(s, 40)}${over ? '*' : ''}: ${verdict.countsBefore[s] ?? 0} found, ${after} counted` +
      `${limit === undefined ? '' : ` (max ${limit})`}${over ? ' :x:' : ''}`
    );
  });
}

function findingText(f: Finding): string {
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

function exceptionLines(notes: readonly ExceptionNote[], verb: string): string[] {
  return notes.map(
    (n) =>
      `• *${md(n.cve, 100)}* — owner ${md(n.owner, 200)}, ${verb} ${md(n.expires, 10)}` +
      `${n.ticket ? `, ticket ${md(n.ticket, 100)}` : ''}`,
  );
}

/** The Block Kit message for one verdict. */
export function slackMessage(verdict: Verdict, ctx: AlertContext): SlackMessage {
  return render(verdict, {
    kind: ctx.kind,
    subject: alertSubject(verdict, ctx.kind),
    url: consoleUrl({ ...ctx, repositoryName: verdict.repositoryName, imageDigest: verdict.imageDigest }),
    blockingCount: verdict.blocking.ids.length,
  });
}

/**
 * The same Block Kit message from the JSON alert document (what notify-slack receives from SNS): the document
 * carries the verdict's fields, its subject and console link; its blocking ids may be capped, so the count
 * comes from `blocking.count`.
 */
export function slackMessageFromAlert(alert: AlertDocument): SlackMessage {
  const verdict: Verdict = {
    status: alert.status,
    reason: alert.reason,
    repositoryName: alert.repositoryName,
    imageDigest: alert.imageDigest,
    imageTags: alert.imageTags,
    scanStatus: alert.scanStatus,
    countsBefore: alert.countsBefore,
    countsAfter: alert.countsAfter,
    thresholds: alert.thresholds,
    fixableOnly: alert.fixableOnly,
    exceeded: alert.exceeded,
    blocking: { ids: alert.blocking.ids, details: alert.blocking.details },
    exceptionsApplied: alert.exceptionsApplied,
    exceptionsExpired: alert.exceptionsExpired,
    policyHash: alert.policyHash,
    evaluatedAt: alert.evaluatedAt,
  };
  return render(verdict, {
    kind: alert.kind,
    subject: alert.subject,
    url: alert.consoleUrl,
    blockingCount: Math.max(alert.blocking.count, alert.blocking.ids.length),
  });
}

/**
 * A short message for the cut-down document SNS gets when a full alert would not fit in 256 KiB: header,
 * verdict and image, and the console link.
 */
export function slackMessageFromTruncatedAlert(alert: {
  kind: AlertKind;
  status: Verdict['status'];
  repositoryName: string;
  imageDigest: string;
  consoleUrl: string;
}): SlackMessage {
  const label = alertLabel(alert, alert.kind);
  const subject = `[${label}] ${oneLine(alert.repositoryName)}@${alert.imageDigest}`;
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncateEnd(subject, SLACK_LIMITS.headerText), emoji: true },
    },
    section(
      `${ICON[label] ?? ''} *${label}* — ${md(alert.repositoryName, 256)} \`${md(alert.imageDigest, 200)}\`\n` +
        `The alert was too large to send in full: ${link(alert.consoleUrl, 'open the image in the ECR console')}.`,
    ),
  ];
  return { text: truncateEnd(subject, SLACK_LIMITS.fallbackText), blocks };
}

interface RenderView {
  kind: AlertKind;
  subject: string;
  url: string;
  /** Every blocking id, including any not listed in `verdict.blocking.ids`. */
  blockingCount: number;
}

function render(verdict: Verdict, view: RenderView): SlackMessage {
  const label = alertLabel(verdict, view.kind);
  const { subject, url } = view;
  const tags =
    verdict.imageTags.length > 0 ? verdict.imageTags.map((t) => `\`${md(t, 100)}\``) : ['untagged'];

  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncateEnd(subject, SLACK_LIMITS.headerText), emoji: true },
    },
    section(
      fitLines(
        [
          `${ICON[label] ?? ''} *${label}* — ${md(verdict.reason, 500)}`,
          `*Repository:* ${md(verdict.repositoryName, 256)}   *Tags:* ${fitLines(tags, 500, (n) => `+${n} more`).replaceAll('\n', ' ')}`,
          ...countsLines(verdict),
        ],
        SLACK_LIMITS.sectionText,
      ),
    ),
  ];

  if (verdict.blocking.ids.length > 0) {
    blocks.push({ type: 'divider' });
    blocks.push(section(`*Blocking vulnerabilities (${view.blockingCount})*`));
    const listed = verdict.blocking.details.slice(0, SLACK_BLOCKING_MAX);
    for (const f of listed) blocks.push(section(findingText(f)));
    const shown = new Set(listed.map((f) => f.id));
    const rest = verdict.blocking.ids.filter((id) => !shown.has(id)).map((id) => md(id, 100));
    // Ids the document left out (it caps them) are counted, not named.
    const unnamed = Math.max(0, view.blockingCount - verdict.blocking.ids.length);
    if (rest.length > 0 || unnamed > 0) {
      const named = fitLines(rest, 2500, (n) => `and ${n + unnamed} more`);
      const cut = rest.length > 0 && named.split('\n').at(-1) !== rest.at(-1);
      const tail = unnamed > 0 && !cut ? `${rest.length > 0 ? ', and ' : ''}${unnamed} more` : '';
      blocks.push(context(`Also blocking: ${named.replaceAll('\n', ', ')}${tail}`));
    }
  }
  if (verdict.exceptionsApplied.length > 0) {
    blocks.push(
      section(
        fitLines(
          ['*Exceptions applied*', ...exceptionLines(verdict.exceptionsApplied, 'expires')],
          SLACK_LIMITS.sectionText,
        ),
      ),
    );
  }
  if (verdict.exceptionsExpired.length > 0) {
    blocks.push(
      section(
        fitLines(
          [
            '*Exceptions expired (no longer applied)*',
            ...exceptionLines(verdict.exceptionsExpired, 'expired after'),
          ],
          SLACK_LIMITS.sectionText,
        ),
      ),
    );
  }
  blocks.push(
    context(
      `Digest \`${md(verdict.imageDigest, 200)}\` · scan ${md(verdict.scanStatus, 60)} · policy ${md(verdict.policyHash.slice(0, 12), 12)}` +
        ` · evaluated ${md(verdict.evaluatedAt, 40)} · alert ${view.kind}`,
    ),
  );
  if (url.length <= SLACK_LIMITS.url) {
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
