import type {
  AlertDocument,
  AlertExceptionNote,
  AlertFinding,
  AlertFindingList,
  TruncatedAlertDocument,
} from './alert-document.ts';
import { enforcementLines, packageFixText } from './alert-email.ts';
import { alertLabel } from './alert-subject.ts';
import { isConsoleUrl } from './links.ts';
import { severityRows } from './severity-table.ts';
import {
  consoleButton,
  context,
  field,
  fitLines,
  header,
  link,
  type Mrkdwn,
  md,
  SLACK_COLORS,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  section,
  sectionWithFields,
} from './slack-blocks.ts';
import {
  charLength,
  displayTag,
  oneLine,
  readableTime,
  shortDigest,
  truncateEnd,
  truncateStart,
} from './text.ts';
import { whereMrkdwn } from './where.ts';

/**
 * The Slack message of a scan alert, compact: a header naming the image as people do (`repository:tag`) and
 * its environment; then, in an attachment whose colour bar says the verdict, the verdict and what enforcement
 * did, the severity counts as fields, the blocking CVEs one line each (severity, linked id, package installed →
 * fixed), what a RESOLVED or CHANGED alert fixed, exceptions, a context line (account, Region, stage, digest,
 * readable times) and the console button. Within Slack's limits (slack-blocks.ts) whatever the document holds.
 */

/** Blocking vulnerabilities listed one line each; the rest are named or counted after them. */
export const SLACK_BLOCKING_MAX = 10;

/** Characters kept for the line that names and counts the findings not listed one by one. */
const OTHERS_ROOM = 700;

const ICON: Record<string, string> = {
  FAIL: ':red_circle:',
  ERROR: ':warning:',
  PASS: ':white_check_mark:',
  RESOLVED: ':white_check_mark:',
};

/** The colour bar of a verdict: FAIL red, PASS green, ERROR (and anything else) amber. */
export function verdictColor(status: string): string {
  if (status === 'FAIL') return SLACK_COLORS.red;
  if (status === 'PASS') return SLACK_COLORS.green;
  return SLACK_COLORS.amber;
}

/**
 * `[FAIL] team/orders-api:v1.2.3 +1 · prod`: the label, the image by repository and tag (by short digest when
 * untagged) and its environment (else its group) when known, each part cut so that all fit in a header.
 */
export function alertHeaderText(
  alert: Pick<AlertDocument, 'kind' | 'status' | 'repositoryName' | 'imageDigest' | 'imageTags'> &
    Partial<Pick<AlertDocument, 'environment' | 'group'>>,
): string {
  const shown = displayTag(alert.imageTags);
  const image = shown
    ? `:${truncateEnd(oneLine(shown.tag), 40)}${shown.more > 0 ? ` +${shown.more}` : ''}`
    : `@${oneLine(shortDigest(alert.imageDigest))}`;
  const where = alert.environment ?? alert.group;
  const suffix = where ? ` · ${truncateEnd(oneLine(where), 30)}` : '';
  const prefix = `[${alertLabel(alert)}] `;
  const room = SLACK_LIMITS.headerText - [...prefix].length - [...image].length - [...suffix].length;
  return `${prefix}${truncateStart(oneLine(alert.repositoryName), Math.max(10, room))}${image}${suffix}`;
}

/** One severity per field: `*CRITICAL* :x:` over `2 found · 2 counted · max 0`. At most ten fields. */
function countFields(alert: AlertDocument): Mrkdwn[] {
  const rows = severityRows(alert);
  const fieldOf = (r: (typeof rows)[number]) =>
    field(
      `${md(r.severity, 40)}${r.over ? ' :x:' : ''}`,
      `${r.found} found · ${r.counted} counted${r.max === undefined ? '' : ` · max ${r.max}`}`,
    );
  if (rows.length <= SLACK_LIMITS.fields) return rows.map(fieldOf);
  const rest = rows.slice(SLACK_LIMITS.fields - 1);
  const found = rest.reduce((n, r) => n + r.found, 0);
  const counted = rest.reduce((n, r) => n + r.counted, 0);
  return [
    ...rows.slice(0, SLACK_LIMITS.fields - 1).map(fieldOf),
    field(`${rest.length} more severities`, `${found} found · ${counted} counted`),
  ];
}

/** `• *CRITICAL* <link|CVE-2024-1> · `openssl 3.0.1 → 3.0.2``: one line per finding. */
function findingLine(f: AlertFinding): string {
  const pkg = packageFixText(f, (s, max) => truncateEnd(oneLine(s), Math.min(max, 60)));
  const code = pkg === undefined ? '' : ` · \`${md(pkg, 250).replaceAll('`', "'")}\``;
  return `• *${md(f.severity, 40)}* ${link(f.link, md(f.id, 100))}${code}`;
}

/**
 * A titled list of findings: one line each (at most {@link SLACK_BLOCKING_MAX}, while they fit), then one line
 * naming the other ids while they fit and counting the rest (a capped document counts more than it names).
 */
function findingsSection(title: string, also: string, list: AlertFindingList): SlackBlock {
  const total = Math.max(list.count, list.ids.length);
  const head = `*${title} (${total})*`;
  const room = SLACK_LIMITS.sectionText - charLength(head) - 1 - OTHERS_ROOM;
  const lines: string[] = [];
  let used = 0;
  for (const f of list.details.slice(0, SLACK_BLOCKING_MAX)) {
    const line = findingLine(f);
    if (used + charLength(line) + 1 > room) break;
    lines.push(line);
    used += charLength(line) + 1;
  }
  const shown = new Set(list.details.slice(0, lines.length).map((f) => f.id));
  const others = list.ids.filter((id) => !shown.has(id)).map((id) => md(id, 100));
  const unnamed = Math.max(0, total - shown.size - others.length);
  if (others.length + unnamed > 0) {
    const named = fitLines(others, OTHERS_ROOM - 40, (n) => `and ${n} more`, others.length + unnamed);
    lines.push(`${also}: ${named.replaceAll('\n', ', ')}`);
  }
  return section([head, ...lines].join('\n'));
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
    header(subject),
    section(
      `${ICON[label] ?? ''} *${label}* — ${md(alert.repositoryName, 256)} \`${md(alert.imageDigest, 200)}\`\n` +
        `The alert was too large to send in full: ${link(alert.consoleUrl, 'open the image in the ECR console', isConsoleUrl)}.`,
    ),
  ];
  return { text: truncateEnd(subject, SLACK_LIMITS.fallbackText), blocks };
}

/**
 * The Block Kit message for an alert document, as subscribers receive it: its lists may be capped, so counts
 * come from `blocking.count` and `fixed.count`.
 */
export function slackMessage(alert: AlertDocument): SlackMessage {
  const label = alertLabel(alert);
  const tags = alert.imageTags.length > 0 ? alert.imageTags.map((t) => `\`${md(t, 100)}\``) : ['untagged'];
  const enforcement = enforcementLines(alert.enforcement, (s, max) => md(s, max));
  const headline = fitLines(
    [
      `${ICON[label] ?? ''} *${label}* — ${md(alert.reason, 500)}`,
      `*Tags:* ${fitLines(tags, 500, (n) => `+${n} more`).replaceAll('\n', ' ')}`,
      ...enforcement.map((line, i) => (i === 0 ? `*Enforcement:* ${line}` : `   ${line}`)),
    ],
    SLACK_LIMITS.sectionText,
  );
  const counts = countFields(alert);
  const body: SlackBlock[] = [
    counts.length > 0 ? sectionWithFields(headline, counts) : section(`${headline}\nNo findings.`),
  ];
  if (alert.blocking.ids.length > 0 || alert.blocking.count > 0) {
    body.push(findingsSection('Blocking vulnerabilities', 'Also blocking', alert.blocking));
  }
  if (alert.fixed !== undefined && alert.fixed.count > 0) {
    body.push(findingsSection('Fixed — no longer blocking', 'Also fixed', alert.fixed));
  }
  for (const [title, notes, verb] of [
    ['Exceptions applied', alert.exceptionsApplied, 'expires'],
    ['Exceptions expired (no longer applied)', alert.exceptionsExpired, 'expired after'],
  ] as const) {
    if (notes.length > 0) {
      body.push(section(fitLines([`*${title}*`, ...exceptionLines(notes, verb)], SLACK_LIMITS.sectionText)));
    }
  }
  const group = alert.group && alert.group !== alert.environment ? ` · group ${md(alert.group, 100)}` : '';
  body.push(
    context(
      `${whereMrkdwn(alert)}${group} · \`${md(alert.repositoryName, 256)}@${md(alert.imageDigest, 100)}\`` +
        ` · scan ${md(alert.scanStatus, 60)} · evaluated ${md(readableTime(alert.evaluatedAt), 40)}` +
        ` · policy ${md(alert.policyHash.slice(0, 12), 12)} · alert ${md(alert.kind, 20)}`,
    ),
  );
  const button = consoleButton(alert.consoleUrl);
  if (button) body.push(button);
  return {
    text: truncateEnd(alert.subject, SLACK_LIMITS.fallbackText),
    blocks: [header(alertHeaderText(alert))],
    attachments: [{ color: verdictColor(alert.status), blocks: body.slice(0, SLACK_LIMITS.blocks - 1) }],
  };
}
