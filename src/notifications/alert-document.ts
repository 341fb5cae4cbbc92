import * as z from 'zod';
import { CLEANUP_ALERT_TYPE, type CleanupAlert, cleanupAlertSchema } from './cleanup-document.ts';
import { COMPLIANCE_ALERT_TYPE, type ComplianceAlert, complianceAlertSchema } from './compliance-document.ts';
import { consoleUrlSchema, fittedConsoleUrl, isWebLink, LINK_MAX, webLinkSchema } from './links.ts';
import {
  PROMOTION_ALERT_TYPE,
  type PromotionAlert,
  promotionAlertSchema,
  type TruncatedPromotionAlert,
  truncatedPromotionAlertSchema,
} from './promotion-document.ts';
import { truncateEnd } from './text.ts';

/**
 * The JSON alert document: what sqs/lambda subscribers receive, and what every rendering of an alert (the SNS
 * subject, the email text, Slack Block Kit) is made from. A capability maps its outcome to it (scan-gate:
 * src/scan-gate/alert.ts); notifications never sees the outcome itself. The schemas are lenient where producers
 * are (unknown severities, optional finding fields) and strict on what a rendering needs. Unknown keys are
 * accepted and dropped: a newer producer may add some, and no rendering reads them.
 */

// `enforcement-failed`: the verdict's enforcement (e.g. untag) failed; `reason` says what and why.
const alertKindSchema = z.enum(['new', 'changed', 'resolved', 'repeat', 'unchanged', 'enforcement-failed']);
const alertStatusSchema = z.enum(['PASS', 'FAIL', 'ERROR']);
const countsSchema = z.record(z.string(), z.number().int().min(0));

const alertFindingSchema = z.object({
  id: z.string().min(1),
  severity: z.string().min(1),
  package: z.string().optional(),
  installedVersion: z.string().optional(),
  fixedVersion: z.string().optional(),
  /** true/false when the scanner says; absent when it does not know. */
  fixAvailable: z.boolean().optional(),
  title: z.string().optional(),
  /** Rendered as a link, so only http(s) (links.ts). */
  link: webLinkSchema.optional(),
});

const findingListSchema = z.object({
  /** Every id, including those `ids` leaves out. */
  count: z.number().int().min(0),
  ids: z.array(z.string()),
  idsTruncated: z.boolean(),
  details: z.array(alertFindingSchema),
});

/** What `untag` enforcement did before the alert was sent: the tags the policy removes, and their fate. */
const enforcementSchema = z.object({
  action: z.literal('untag'),
  tags: z.array(z.string()),
  removed: z.array(z.string()),
  /** Tags not removed, with why (e.g. not on this image any more). */
  skipped: z.array(z.object({ tag: z.string(), reason: z.string() })),
  /** The removal failed: what and why (it is retried, and alerted on its own as `enforcement-failed`). */
  error: z.string().optional(),
});

const alertExceptionNoteSchema = z.object({
  cve: z.string(),
  owner: z.string(),
  expires: z.string(),
  ticket: z.string().optional(),
});

export const alertDocumentSchema = z.object({
  type: z.literal('ecr-sentinel.scan-verdict'),
  version: z.literal(1),
  kind: alertKindSchema,
  subject: z.string().min(1),
  status: alertStatusSchema,
  reason: z.string(),
  repositoryName: z.string().min(1),
  imageDigest: z.string().min(1),
  imageTags: z.array(z.string()),
  scanStatus: z.string(),
  accountId: z.string(),
  region: z.string(),
  /** The deployment stage that sent the alert (`dev`, `prod`…), when known: several may share a channel. */
  stage: z.string().optional(),
  /** The repository's group and environment (sentinel.config.yml), when its policy names them. */
  group: z.string().optional(),
  environment: z.string().optional(),
  /** Rendered as a button, so only the AWS console (links.ts). */
  consoleUrl: consoleUrlSchema,
  /** Worst severity among counted findings (after exceptions), `NONE` when there is none. */
  worstSeverity: z.string(),
  /** All findings per severity. */
  countsBefore: countsSchema,
  /** Findings that count: after exceptions and `fixableOnly`. */
  countsAfter: countsSchema,
  /** A severity not listed is unlimited. */
  thresholds: countsSchema,
  fixableOnly: z.boolean(),
  exceeded: z.array(z.object({ severity: z.string(), count: z.number().int(), limit: z.number().int() })),
  blocking: findingListSchema,
  /** Ids the previous verdict blocked on that no longer block (a RESOLVED or CHANGED alert): what was fixed. */
  fixed: findingListSchema.optional(),
  enforcement: enforcementSchema.optional(),
  exceptionsApplied: z.array(alertExceptionNoteSchema),
  exceptionsExpired: z.array(alertExceptionNoteSchema),
  policyHash: z.string(),
  evaluatedAt: z.string(),
});

/** What SNS carries instead of the document when even the compact alert exceeds 256 KiB. */
export const truncatedAlertDocumentSchema = z.object({
  type: z.literal('ecr-sentinel.scan-verdict'),
  version: z.literal(1),
  truncated: z.literal(true),
  kind: alertKindSchema,
  status: alertStatusSchema,
  repositoryName: z.string().min(1),
  imageDigest: z.string().min(1),
  consoleUrl: consoleUrlSchema,
});

export const SCAN_VERDICT_ALERT_TYPE = 'ecr-sentinel.scan-verdict';

/** Every form a subscriber may receive. */
type AnyAlertForm =
  | TruncatedAlertDocument
  | AlertDocument
  | TruncatedPromotionAlert
  | PromotionAlert
  | CleanupAlert
  | ComplianceAlert;

/**
 * Any alert document a subscriber may receive: a scan verdict, a promotion or a cleanup alert (`type` tells them
 * apart); a verdict or a promotion in its full or its cut-down form (`truncated: true`). A cleanup alert has no
 * cut-down form: cut to its minimal limits it is still complete (totals without lists). Chosen by those keys
 * rather than a `z.union`, whose error for a document matching no form is a bare "Invalid input": this way each
 * issue names the field that is wrong.
 */
export const anyAlertDocumentSchema = z.unknown().transform((value, ctx): AnyAlertForm => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'expected an alert document (a JSON object)', input: value });
    return z.NEVER;
  }
  const type = 'type' in value ? value.type : undefined;
  const cut = 'truncated' in value && value.truncated === true;
  let schema: z.ZodType<AnyAlertForm>;
  if (type === SCAN_VERDICT_ALERT_TYPE) schema = cut ? truncatedAlertDocumentSchema : alertDocumentSchema;
  else if (type === PROMOTION_ALERT_TYPE) {
    schema = cut ? truncatedPromotionAlertSchema : promotionAlertSchema;
  } else if (type === CLEANUP_ALERT_TYPE) schema = cleanupAlertSchema;
  else if (type === COMPLIANCE_ALERT_TYPE) schema = complianceAlertSchema;
  else {
    ctx.addIssue({
      code: 'custom',
      message: `expected "${SCAN_VERDICT_ALERT_TYPE}", "${PROMOTION_ALERT_TYPE}", "${CLEANUP_ALERT_TYPE}" or "${COMPLIANCE_ALERT_TYPE}"`,
      path: ['type'],
      input: type,
    });
    return z.NEVER;
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: issue.input });
  }
  return z.NEVER;
});

export type AlertDocument = z.output<typeof alertDocumentSchema>;
export type AlertFinding = z.output<typeof alertFindingSchema>;
export type AlertFindingList = z.output<typeof findingListSchema>;
export type AlertEnforcement = z.output<typeof enforcementSchema>;
export type AlertExceptionNote = z.output<typeof alertExceptionNoteSchema>;
export type TruncatedAlertDocument = z.output<typeof truncatedAlertDocumentSchema>;
export type AnyAlertDocument = z.output<typeof anyAlertDocumentSchema>;
/** A complete alert of any type: what a capability hands to the publisher. */
export type CompleteAlert = AlertDocument | PromotionAlert | CleanupAlert | ComplianceAlert;

/**
 * Caps that keep a document and its renderings bounded whatever the findings look like. The email text is cut
 * with the same caps as the document it travels with, so both say the same.
 */
export interface AlertLimits {
  ids: number;
  details: number;
  exceptions: number;
  tags: number;
  /** Characters of one free-text field (package, title, owner…). */
  field: number;
}

/** What subscribers get. */
export const FULL_LIMITS: AlertLimits = { ids: 200, details: 20, exceptions: 10, tags: 20, field: 200 };
/** What they get when the full alert would not fit in one SNS message. */
export const COMPACT_LIMITS: AlertLimits = { ids: 20, details: 5, exceptions: 5, tags: 5, field: 100 };

/** Longest a name may be where AWS bounds it (ECR repository names ≤ 256, tags ≤ 300): real ones are never cut. */
const NAME_MAX = 256;
const TAG_MAX = 300;
/** Digests, account ids, Regions, severities, times, hashes: short when real. */
const ID_MAX = 100;
const SEVERITIES_MAX = 20;

function cutCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .slice(0, SEVERITIES_MAX)
      .map(([severity, n]) => [truncateEnd(severity, 40), n]),
  );
}

/**
 * The document cut to `limits`, as subscribers receive it: every field bounded, whatever a producer put in, and
 * links only where notify-slack accepts them (a console URL that does not fit becomes its console's front page;
 * a finding link that is not http(s) or does not fit is left out rather than cut into a broken one). Keys are
 * written out in the published order, so the JSON is the same whatever order a producer built the document in;
 * `blocking.count` still counts every id.
 */
export function limitAlertDocument(alert: AlertDocument, limits: AlertLimits): AlertDocument {
  const cut = (s: string | undefined, max = limits.field) =>
    s === undefined ? undefined : truncateEnd(s, max);
  const cutList = (list: AlertFindingList): AlertFindingList => ({
    count: list.count,
    ids: list.ids.slice(0, limits.ids).map((id) => truncateEnd(id, 100)),
    idsTruncated: list.idsTruncated || list.ids.length > limits.ids,
    details: list.details.slice(0, limits.details).map((f) => ({
      id: truncateEnd(f.id, 100),
      severity: truncateEnd(f.severity, 40),
      package: cut(f.package),
      installedVersion: cut(f.installedVersion),
      fixedVersion: cut(f.fixedVersion),
      fixAvailable: f.fixAvailable,
      title: cut(f.title),
      link: f.link !== undefined && f.link.length <= 500 && isWebLink(f.link) ? f.link : undefined,
    })),
  });
  const cutTags = (tags: readonly string[]) => tags.slice(0, limits.tags).map((t) => truncateEnd(t, TAG_MAX));
  const cutEnforcement = (e: AlertEnforcement): AlertEnforcement => ({
    action: e.action,
    tags: cutTags(e.tags),
    removed: cutTags(e.removed),
    skipped: e.skipped
      .slice(0, limits.tags)
      .map((k) => ({ tag: truncateEnd(k.tag, TAG_MAX), reason: truncateEnd(k.reason, limits.field) })),
    ...(e.error === undefined ? {} : { error: truncateEnd(e.error, 500) }),
  });
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  const cutNote = (n: AlertExceptionNote): AlertExceptionNote => ({
    cve: truncateEnd(n.cve, limits.field),
    owner: truncateEnd(n.owner, limits.field),
    expires: n.expires,
    ...(n.ticket === undefined ? {} : { ticket: truncateEnd(n.ticket, limits.field) }),
  });
  return {
    type: alert.type,
    version: alert.version,
    kind: alert.kind,
    subject: truncateEnd(alert.subject, 200),
    status: alert.status,
    reason: truncateEnd(alert.reason, 500),
    repositoryName: truncateEnd(alert.repositoryName, NAME_MAX),
    imageDigest: truncateEnd(alert.imageDigest, ID_MAX),
    imageTags: cutTags(alert.imageTags),
    scanStatus: truncateEnd(alert.scanStatus, limits.field),
    accountId: truncateEnd(alert.accountId, ID_MAX),
    region: truncateEnd(alert.region, ID_MAX),
    ...optional('stage', cut(alert.stage, ID_MAX)),
    ...optional('group', cut(alert.group, ID_MAX)),
    ...optional('environment', cut(alert.environment, ID_MAX)),
    consoleUrl: fittedConsoleUrl(alert.consoleUrl, LINK_MAX),
    worstSeverity: truncateEnd(alert.worstSeverity, 40),
    countsBefore: cutCounts(alert.countsBefore),
    countsAfter: cutCounts(alert.countsAfter),
    thresholds: cutCounts(alert.thresholds),
    fixableOnly: alert.fixableOnly,
    exceeded: alert.exceeded
      .slice(0, SEVERITIES_MAX)
      .map((e) => ({ severity: truncateEnd(e.severity, 40), count: e.count, limit: e.limit })),
    blocking: cutList(alert.blocking),
    ...optional('fixed', alert.fixed && cutList(alert.fixed)),
    ...optional('enforcement', alert.enforcement && cutEnforcement(alert.enforcement)),
    exceptionsApplied: alert.exceptionsApplied.slice(0, limits.exceptions).map(cutNote),
    exceptionsExpired: alert.exceptionsExpired.slice(0, limits.exceptions).map(cutNote),
    policyHash: truncateEnd(alert.policyHash, ID_MAX),
    evaluatedAt: truncateEnd(alert.evaluatedAt, ID_MAX),
  };
}

/** The least that is still useful: what the alert is about and where to look, each field bounded. */
export function truncatedAlertDocument(alert: AlertDocument): TruncatedAlertDocument {
  return {
    type: alert.type,
    version: alert.version,
    kind: alert.kind,
    status: alert.status,
    repositoryName: truncateEnd(alert.repositoryName, NAME_MAX),
    imageDigest: truncateEnd(alert.imageDigest, ID_MAX),
    consoleUrl: fittedConsoleUrl(alert.consoleUrl, LINK_MAX),
    truncated: true,
  };
}
