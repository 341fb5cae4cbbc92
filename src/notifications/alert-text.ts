import type { AlertKind } from '../scan-gate/domain/alerting.ts';
import type { ExceptionNote } from '../scan-gate/domain/exceptions.ts';
import type { Finding } from '../scan-gate/domain/findings.ts';
import type { Verdict } from '../scan-gate/domain/verdict.ts';
import { compareSeverity, type SeverityCounts, worstSeverity } from '../shared/severity.ts';
import {
  charLength,
  consoleUrl,
  displayTag,
  oneLine,
  shortDigest,
  truncateEnd,
  truncateStart,
} from './text.ts';

/**
 * Alert renderings of a verdict (pure): the SNS subject, a plain-text email body, a JSON document for
 * sqs/lambda subscribers, SNS message attributes and the `MessageStructure: json` envelope.
 */

/** SNS subjects must be "less than 100 characters"; we keep to 99. */
export const SUBJECT_MAX = 99;
/** SNS message size limit, bytes (UTF-8), for the whole JSON envelope. */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/** Where the image lives and why we alert: what a verdict alone does not say. */
export interface AlertContext {
  kind: AlertKind;
  accountId: string;
  region: string;
}

/** Caps that keep every rendering bounded whatever the findings look like. */
interface Limits {
  ids: number;
  details: number;
  exceptions: number;
  tags: number;
  field: number;
}
const FULL: Limits = { ids: 200, details: 20, exceptions: 10, tags: 20, field: 200 };
const COMPACT: Limits = { ids: 20, details: 5, exceptions: 5, tags: 5, field: 100 };

/** `RESOLVED` for a resolved alert, else the verdict status. */
export function alertLabel(verdict: Pick<Verdict, 'status'>, kind: AlertKind): string {
  return kind === 'resolved' ? 'RESOLVED' : verdict.status;
}

function subjectSummary(verdict: Verdict, kind: AlertKind): string {
  if (verdict.status === 'ERROR') {
    return verdict.reason.startsWith('scan ')
      ? `scan ${oneLine(verdict.scanStatus)}`
      : oneLine(verdict.reason);
  }
  if (verdict.status === 'FAIL') return verdict.exceeded.map((e) => `${e.count} ${e.severity}`).join(', ');
  return kind === 'resolved' ? 'passes policy now' : 'passes policy';
}

/**
 * `[FAIL] my-web-app@sha256:ab12cd34ef56… (v1.2.3): 2 CRITICAL, 5 HIGH`, at most {@link SUBJECT_MAX}
 * characters: when too long, the tag is cut first, then the summary, then the repository (from the start,
 * keeping its last segments), and as a last resort the whole line.
 */
export function alertSubject(verdict: Verdict, kind: AlertKind): string {
  const prefix = `[${alertLabel(verdict, kind)}] `;
  const digest = `@${oneLine(shortDigest(verdict.imageDigest))}`;
  const shown = displayTag(verdict.imageTags);
  let tag = shown === undefined ? '' : `${oneLine(shown.tag)}${shown.more > 0 ? ` +${shown.more}` : ''}`;
  let summary = subjectSummary(verdict, kind);
  let repository = oneLine(verdict.repositoryName);
  const build = () =>
    `${prefix}${repository}${digest}${tag ? ` (${tag})` : ''}${summary ? `: ${summary}` : ''}`;

  if (charLength(build()) > SUBJECT_MAX) tag = truncateEnd(tag, 20);
  if (charLength(build()) > SUBJECT_MAX) summary = truncateEnd(summary, 32);
  if (charLength(build()) > SUBJECT_MAX) {
    const room = SUBJECT_MAX - (charLength(build()) - charLength(repository));
    repository = truncateStart(repository, Math.max(12, room));
  }
  return truncateEnd(build(), SUBJECT_MAX);
}

function fixText(finding: Finding): string {
  if (finding.fixedVersion) return finding.fixedVersion;
  if (finding.fixAvailable === false) return 'no fix yet';
  return 'fix unknown';
}

function countsRows(verdict: Verdict): string[] {
  const severities = [
    ...new Set([
      ...Object.keys(verdict.countsBefore).filter((s) => (verdict.countsBefore[s] ?? 0) > 0),
      ...Object.keys(verdict.countsAfter).filter((s) => (verdict.countsAfter[s] ?? 0) > 0),
      ...Object.keys(verdict.thresholds),
    ]),
  ].sort(compareSeverity);
  if (severities.length === 0) return ['  (no findings)'];
  const width = Math.max(8, ...severities.map((s) => s.length));
  const rows = [`  ${'severity'.padEnd(width)}  found  counted  max`];
  for (const s of severities) {
    const limit = verdict.thresholds[s];
    const over = limit !== undefined && (verdict.countsAfter[s] ?? 0) > limit;
    rows.push(
      `  ${truncateEnd(s, 40).padEnd(width)}  ${String(verdict.countsBefore[s] ?? 0).padStart(5)}  ` +
        `${String(verdict.countsAfter[s] ?? 0).padStart(7)}  ${limit === undefined ? '-' : String(limit)}` +
        `${over ? '  <- over the limit' : ''}`,
    );
  }
  return rows;
}

function exceptionLine(note: ExceptionNote, verb: string, limits: Limits): string {
  const cut = (s: string) => truncateEnd(oneLine(s), limits.field);
  return `  ${cut(note.cve)}: owner ${cut(note.owner)}, ${verb} ${note.expires}${note.ticket ? `, ticket ${cut(note.ticket)}` : ''}`;
}

function emailText(verdict: Verdict, context: AlertContext, limits: Limits): string {
  const cut = (s: string, max = limits.field) => truncateEnd(oneLine(s), max);
  const tags = verdict.imageTags.slice(0, limits.tags).map((t) => cut(t));
  const moreTags = verdict.imageTags.length - tags.length;
  const lines = [
    `${alertLabel(verdict, context.kind)}: ${cut(verdict.repositoryName, 256)}@${verdict.imageDigest}`,
    '',
    `Verdict:     ${verdict.status} — ${cut(verdict.reason, 500)}`,
    `Alert:       ${context.kind}`,
    `Repository:  ${cut(verdict.repositoryName, 256)}`,
    `Digest:      ${verdict.imageDigest}`,
    `Tags:        ${tags.length > 0 ? tags.join(', ') : '(untagged)'}${moreTags > 0 ? ` and ${moreTags} more` : ''}`,
    `Scan status: ${cut(verdict.scanStatus)}`,
    `Evaluated:   ${verdict.evaluatedAt}`,
    `Policy:      ${
      Object.entries(verdict.thresholds)
        .map(([s, n]) => `${s} ≤ ${n}`)
        .join(', ') || 'no limits'
    }${verdict.fixableOnly ? ' (fixable findings only)' : ''}; hash ${verdict.policyHash.slice(0, 12)}`,
    '',
    'Findings by severity (found = all; counted = after exceptions and fixable-only):',
    ...countsRows(verdict),
  ];

  if (verdict.blocking.ids.length > 0) {
    lines.push('', `Blocking vulnerabilities (${verdict.blocking.ids.length}):`);
    for (const f of verdict.blocking.details.slice(0, limits.details)) {
      const pkg = f.package
        ? `${cut(f.package, 120)} ${cut(f.installedVersion ?? '?', 80)} → ${cut(fixText(f), 80)}`
        : '';
      lines.push(`  ${f.severity.padEnd(8)} ${cut(f.id, 100)}${pkg ? `  ${pkg}` : ''}`);
      if (f.title) lines.push(`           ${cut(f.title)}`);
      if (f.link) lines.push(`           ${cut(f.link, 500)}`);
    }
    const shownIds = new Set(verdict.blocking.details.slice(0, limits.details).map((f) => f.id));
    const rest = verdict.blocking.ids.filter((id) => !shownIds.has(id));
    if (rest.length > 0) {
      const listed = rest.slice(0, limits.ids).map((id) => cut(id, 100));
      lines.push(
        `  Also blocking: ${listed.join(', ')}${rest.length > listed.length ? ` and ${rest.length - listed.length} more` : ''}`,
      );
    }
  }
  appendExceptions(lines, 'Exceptions applied:', verdict.exceptionsApplied, 'expires', limits);
  appendExceptions(
    lines,
    'Exceptions expired (no longer applied):',
    verdict.exceptionsExpired,
    'expired after',
    limits,
  );
  lines.push(
    '',
    `Console: ${consoleUrl({ ...context, repositoryName: verdict.repositoryName, imageDigest: verdict.imageDigest })}`,
  );
  return `${lines.join('\n')}\n`;
}

function appendExceptions(
  lines: string[],
  title: string,
  notes: readonly ExceptionNote[],
  verb: string,
  limits: Limits,
): void {
  if (notes.length === 0) return;
  lines.push('', title, ...notes.slice(0, limits.exceptions).map((n) => exceptionLine(n, verb, limits)));
  if (notes.length > limits.exceptions) lines.push(`  and ${notes.length - limits.exceptions} more`);
}

/** A readable plain-text email body. */
export function alertEmailText(verdict: Verdict, context: AlertContext): string {
  return emailText(verdict, context, FULL);
}

/** The JSON alert for sqs/lambda subscribers (`type` and `version` identify the format). */
export interface AlertDocument {
  type: 'ecr-sentinel.scan-verdict';
  version: 1;
  kind: AlertKind;
  subject: string;
  status: Verdict['status'];
  reason: string;
  repositoryName: string;
  imageDigest: string;
  imageTags: string[];
  scanStatus: string;
  accountId: string;
  region: string;
  consoleUrl: string;
  /** Worst severity among counted findings (after exceptions), `NONE` when there is none. */
  worstSeverity: string;
  countsBefore: SeverityCounts;
  countsAfter: SeverityCounts;
  thresholds: Verdict['thresholds'];
  fixableOnly: boolean;
  exceeded: Verdict['exceeded'];
  blocking: { count: number; ids: string[]; idsTruncated: boolean; details: Finding[] };
  exceptionsApplied: ExceptionNote[];
  exceptionsExpired: ExceptionNote[];
  policyHash: string;
  evaluatedAt: string;
}

function document(verdict: Verdict, context: AlertContext, limits: Limits): AlertDocument {
  const cut = (s: string | undefined, max = limits.field) =>
    s === undefined ? undefined : truncateEnd(s, max);
  const cutNote = (n: ExceptionNote): ExceptionNote => ({
    cve: truncateEnd(n.cve, limits.field),
    owner: truncateEnd(n.owner, limits.field),
    expires: n.expires,
    ...(n.ticket === undefined ? {} : { ticket: truncateEnd(n.ticket, limits.field) }),
  });
  return {
    type: 'ecr-sentinel.scan-verdict',
    version: 1,
    kind: context.kind,
    subject: alertSubject(verdict, context.kind),
    status: verdict.status,
    reason: truncateEnd(verdict.reason, 500),
    repositoryName: verdict.repositoryName,
    imageDigest: verdict.imageDigest,
    imageTags: verdict.imageTags.slice(0, limits.tags),
    scanStatus: truncateEnd(verdict.scanStatus, limits.field),
    accountId: context.accountId,
    region: context.region,
    consoleUrl: consoleUrl({
      ...context,
      repositoryName: verdict.repositoryName,
      imageDigest: verdict.imageDigest,
    }),
    worstSeverity: worstSeverity(verdict.countsAfter) ?? 'NONE',
    countsBefore: verdict.countsBefore,
    countsAfter: verdict.countsAfter,
    thresholds: verdict.thresholds,
    fixableOnly: verdict.fixableOnly,
    exceeded: verdict.exceeded,
    blocking: {
      count: verdict.blocking.ids.length,
      ids: verdict.blocking.ids.slice(0, limits.ids).map((id) => truncateEnd(id, 100)),
      idsTruncated: verdict.blocking.ids.length > limits.ids,
      details: verdict.blocking.details.slice(0, limits.details).map((f) => ({
        id: truncateEnd(f.id, 100),
        severity: truncateEnd(f.severity, 40),
        package: cut(f.package),
        installedVersion: cut(f.installedVersion),
        fixedVersion: cut(f.fixedVersion),
        fixAvailable: f.fixAvailable,
        title: cut(f.title),
        link: cut(f.link, 500),
      })),
    },
    exceptionsApplied: verdict.exceptionsApplied.slice(0, limits.exceptions).map(cutNote),
    exceptionsExpired: verdict.exceptionsExpired.slice(0, limits.exceptions).map(cutNote),
    policyHash: verdict.policyHash,
    evaluatedAt: verdict.evaluatedAt,
  };
}

/** The structured alert for sqs/lambda subscribers. */
export function alertDocument(verdict: Verdict, context: AlertContext): AlertDocument {
  return document(verdict, context, FULL);
}

/** SNS `MessageAttributeValue` shape (kept local: the domain does not import the SDK). */
export interface SnsStringAttribute {
  DataType: 'String';
  StringValue: string;
}

/** Attributes for SNS subscription filter policies: verdict, worstSeverity, repository, alertKind. */
export function snsMessageAttributes(verdict: Verdict, kind: AlertKind): Record<string, SnsStringAttribute> {
  const attribute = (value: string): SnsStringAttribute => ({
    DataType: 'String',
    StringValue: value || '-',
  });
  return {
    verdict: attribute(verdict.status),
    worstSeverity: attribute(worstSeverity(verdict.countsAfter) ?? 'NONE'),
    repository: attribute(verdict.repositoryName),
    alertKind: attribute(kind),
  };
}

/** Everything an SNS Publish of this alert needs, `Message` being a `MessageStructure: json` envelope. */
export interface SnsAlert {
  Subject: string;
  Message: string;
  MessageStructure: 'json';
  MessageAttributes: Record<string, SnsStringAttribute>;
}

/**
 * The `MessageStructure: json` body `{ default, email, sqs, lambda }` (each value a string, as SNS wants):
 * email and default get the text, sqs and lambda the JSON document. Stays within SNS's 256 KiB: when the
 * full rendering would not fit, a compact one (fewer details and ids) is used.
 */
export function snsMessageJson(verdict: Verdict, context: AlertContext): string {
  let message = '';
  for (const limits of [FULL, COMPACT]) {
    const text = emailText(verdict, context, limits);
    const json = JSON.stringify(document(verdict, context, limits));
    message = JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
    if (Buffer.byteLength(message, 'utf8') <= SNS_MESSAGE_MAX_BYTES) return message;
  }
  // Unreachable with the caps above unless a single field is enormous: say the least that is still useful.
  const url = consoleUrl({
    ...context,
    repositoryName: verdict.repositoryName,
    imageDigest: verdict.imageDigest,
  });
  const text = `${alertSubject(verdict, context.kind)}\n${url}\n`;
  const json = JSON.stringify({
    type: 'ecr-sentinel.scan-verdict',
    version: 1,
    kind: context.kind,
    status: verdict.status,
    repositoryName: verdict.repositoryName,
    imageDigest: verdict.imageDigest,
    consoleUrl: url,
    truncated: true,
  });
  return JSON.stringify({ default: text, email: text, sqs: json, lambda: json });
}

export function snsAlert(verdict: Verdict, context: AlertContext): SnsAlert {
  return {
    Subject: alertSubject(verdict, context.kind),
    Message: snsMessageJson(verdict, context),
    MessageStructure: 'json',
    MessageAttributes: snsMessageAttributes(verdict, context.kind),
  };
}
