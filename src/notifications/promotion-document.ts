import * as z from 'zod';
import { ULID_PATTERN } from '../shared/ulid.ts';
import { consoleUrlSchema, fittedConsoleUrl, LINK_MAX } from './links.ts';
import { truncateEnd } from './text.ts';

/**
 * The promotion alert document: the second document type notifications renders (next to the scan verdict of
 * alert-document.ts) into the SNS subject, the email text and Slack Block Kit. The promotion capability maps a
 * promotion's change (pending approval, approved, completed, refused…) to it; notifications never sees the
 * promotion record. Like the verdict document: lenient where a producer may add keys (unknown keys are dropped),
 * strict on what a rendering needs; every rejection names its field.
 *
 * `version` is the document's version (1), as in every alert document; the image's version (the tag people name
 * it by) is `appVersion`.
 */

export const PROMOTION_ALERT_TYPE = 'ecr-sentinel.promotion';

export const PROMOTION_EVENTS = [
  'pending-approval',
  'approved',
  'rejected',
  'expired',
  'completed',
  'failed',
  /** The gate refused it (fail closed): nothing was copied. */
  'refused',
] as const;

export type PromotionEvent = (typeof PROMOTION_EVENTS)[number];

/** How an event is shown: a colour and an icon, not a verdict. */
export type PromotionStyle = 'success' | 'attention' | 'failure';

export const PROMOTION_STYLE: Readonly<Record<PromotionEvent, PromotionStyle>> = {
  'pending-approval': 'attention',
  approved: 'success',
  completed: 'success',
  rejected: 'failure',
  expired: 'failure',
  failed: 'failure',
  refused: 'failure',
};

/** The label of the subject, the email's first line and the Slack header. ASCII, short. */
export const PROMOTION_LABEL: Readonly<Record<PromotionEvent, string>> = {
  'pending-approval': 'APPROVAL NEEDED',
  approved: 'APPROVED',
  completed: 'PROMOTED',
  rejected: 'REJECTED',
  expired: 'APPROVAL EXPIRED',
  failed: 'PROMOTION FAILED',
  refused: 'PROMOTION REFUSED',
};

/** A ULID, as the promotion capability makes its ids (Crockford base32, 26 characters). */
export const PROMOTION_ID_PATTERN = ULID_PATTERN;

/** Longest command shown; a real one is under 200 characters. */
export const COMMAND_MAX = 500;

const promotionEventSchema = z.enum(PROMOTION_EVENTS);
const gateStatusSchema = z.enum(['PASS', 'FAIL', 'ERROR']);

const locationSchema = z.object({
  environment: z.string().min(1),
  accountId: z.string(),
  region: z.string(),
  repositoryName: z.string().min(1),
});

const gateSchema = z.object({
  status: gateStatusSchema,
  reason: z.string(),
  /** Blocking vulnerability ids, worst first; capped (see `blockingCount`). */
  blocking: z.array(z.string()),
  /** Every blocking id, including those `blocking` leaves out; absent when `blocking` lists them all. */
  blockingCount: z.number().int().min(0).optional(),
  /** The repository whose scan was judged (the source's, or an earlier environment's). */
  scannedRepository: z.string().optional(),
  scanCompletedAt: z.string().optional(),
  policyHash: z.string().optional(),
});

const copySchema = z.object({
  blobsCopied: z.number().int().min(0),
  blobsSkipped: z.number().int().min(0),
  /** Blobs mounted inside one registry (no bytes uploaded); absent when none could be. */
  blobsMounted: z.number().int().min(0).optional(),
  bytesCopied: z.number().int().min(0),
  manifestsPut: z.number().int().min(0),
  referrersCopied: z.number().int().min(0),
  alreadyPresent: z.boolean(),
  repositoryCreated: z.boolean(),
});

/** A command people copy and run: one line of printable text, bounded. */
const commandSchema = z
  .string()
  .min(1)
  .max(COMMAND_MAX)
  .refine((s) => !/\p{Cc}/u.test(s), 'expected a one-line command without control characters')
  // Shown in a code block (a backtick would end it) and run in a shell (where it substitutes a command).
  .refine((s) => !s.includes('`'), 'expected a command without backticks');

const commandsSchema = z.object({ approve: commandSchema, reject: commandSchema });

const promotionIdSchema = z
  .string()
  .regex(PROMOTION_ID_PATTERN, 'expected a promotion id (a ULID: 26 characters of Crockford base32)');

export const promotionAlertSchema = z
  .object({
    type: z.literal(PROMOTION_ALERT_TYPE),
    version: z.literal(1),
    event: promotionEventSchema,
    /** The ready-made one-line subject ({@link promotionSubject} in promotion-subject.ts). */
    subject: z.string().min(1),
    promotionId: promotionIdSchema,
    app: z.string().min(1),
    /** The tag people name the image by (the promotion's `version`). */
    appVersion: z.string().min(1),
    digest: z.string().min(1),
    from: locationSchema,
    to: locationSchema,
    requestedBy: z.string().min(1),
    approvedBy: z.string().optional(),
    rejectedBy: z.string().optional(),
    /** Why it was rejected or refused. */
    reason: z.string().optional(),
    /** What failed (copy, conflict…). */
    error: z.string().optional(),
    gate: gateSchema,
    copy: copySchema.optional(),
    /** The exact CLI commands, e.g. `npx ecr-sentinel approve 01J… --by <you>`; shown for pending-approval. */
    commands: commandsSchema.optional(),
    /** When a pending approval expires (ISO 8601). */
    expiresAt: z.string().optional(),
    /** The target repository's image in the AWS console. Rendered as a button, so only the console (links.ts). */
    consoleUrl: consoleUrlSchema,
    occurredAt: z.string(),
    /** The deployment stage that sent the alert (`dev`, `prod`…), when known: several may share a channel. */
    stage: z.string().optional(),
  })
  .superRefine((alert, ctx) => {
    // A command for another promotion would approve the wrong thing: each must name this one.
    for (const key of ['approve', 'reject'] as const) {
      const command = alert.commands?.[key];
      if (command !== undefined && !command.includes(alert.promotionId)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected the ${key} command of promotion ${alert.promotionId}`,
          path: ['commands', key],
          input: command,
        });
      }
    }
  });

/** What SNS carries instead of the document when even the compact alert exceeds 256 KiB. */
export const truncatedPromotionAlertSchema = z.object({
  type: z.literal(PROMOTION_ALERT_TYPE),
  version: z.literal(1),
  truncated: z.literal(true),
  event: promotionEventSchema,
  subject: z.string().min(1),
  promotionId: promotionIdSchema,
  app: z.string().min(1),
  appVersion: z.string().min(1),
  digest: z.string().min(1),
  to: locationSchema.pick({ environment: true, repositoryName: true }),
  commands: commandsSchema.optional(),
  consoleUrl: consoleUrlSchema,
});

export type PromotionAlert = z.output<typeof promotionAlertSchema>;
export type TruncatedPromotionAlert = z.output<typeof truncatedPromotionAlertSchema>;
export type PromotionAlertLocation = z.output<typeof locationSchema>;
export type PromotionAlertGate = z.output<typeof gateSchema>;
export type PromotionAlertCopy = z.output<typeof copySchema>;

/** Caps that keep a promotion alert and its renderings bounded whatever a producer put in. */
export interface PromotionAlertLimits {
  /** Blocking ids listed. */
  ids: number;
  /** Characters of one free-text field (reason, error, gate reason). */
  text: number;
  /** Characters of a name (principal, environment…). */
  field: number;
}

export const FULL_PROMOTION_LIMITS: PromotionAlertLimits = { ids: 50, text: 1000, field: 200 };
export const COMPACT_PROMOTION_LIMITS: PromotionAlertLimits = { ids: 10, text: 300, field: 100 };

/** ECR bounds repository names to 256 characters and tags to 300: real ones are never cut. */
const NAME_MAX = 256;
const TAG_MAX = 300;
/** Digests, account ids, Regions, times, hashes: short when real. */
const ID_MAX = 100;

/** Whether a command may be shown as is (the schema's rule; a producer's own document is not parsed). */
export function isShowableCommand(command: string, promotionId: string): boolean {
  return commandSchema.safeParse(command).success && command.includes(promotionId);
}

/** The commands when both may be shown as they are, else none (a cut command would run something else). */
export function showableCommands(
  alert: Pick<PromotionAlert, 'commands' | 'promotionId'>,
): { approve: string; reject: string } | undefined {
  const { commands, promotionId } = alert;
  if (!commands) return undefined;
  return isShowableCommand(commands.approve, promotionId) && isShowableCommand(commands.reject, promotionId)
    ? { approve: commands.approve, reject: commands.reject }
    : undefined;
}

function cutLocation(location: PromotionAlertLocation, limits: PromotionAlertLimits): PromotionAlertLocation {
  return {
    environment: truncateEnd(location.environment, limits.field),
    accountId: truncateEnd(location.accountId, ID_MAX),
    region: truncateEnd(location.region, ID_MAX),
    repositoryName: truncateEnd(location.repositoryName, NAME_MAX),
  };
}

/**
 * The document cut to `limits`, as subscribers receive it: every field bounded, keys in the published order,
 * `gate.blockingCount` set when ids are left out, commands kept whole or left out, the console URL fitted.
 */
export function limitPromotionAlert(alert: PromotionAlert, limits: PromotionAlertLimits): PromotionAlert {
  const cut = (s: string | undefined, max = limits.field) =>
    s === undefined ? undefined : truncateEnd(s, max);
  const { gate } = alert;
  const blockingCount = Math.max(gate.blockingCount ?? 0, gate.blocking.length);
  const blocking = gate.blocking.slice(0, limits.ids).map((id) => truncateEnd(id, 100));
  const commands = showableCommands(alert);
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    type: alert.type,
    version: alert.version,
    event: alert.event,
    subject: truncateEnd(alert.subject, 200),
    promotionId: alert.promotionId,
    app: truncateEnd(alert.app, NAME_MAX),
    appVersion: truncateEnd(alert.appVersion, TAG_MAX),
    digest: truncateEnd(alert.digest, ID_MAX),
    from: cutLocation(alert.from, limits),
    to: cutLocation(alert.to, limits),
    requestedBy: truncateEnd(alert.requestedBy, limits.field),
    ...optional('approvedBy', cut(alert.approvedBy)),
    ...optional('rejectedBy', cut(alert.rejectedBy)),
    ...optional('reason', cut(alert.reason, limits.text)),
    ...optional('error', cut(alert.error, limits.text)),
    gate: {
      status: gate.status,
      reason: truncateEnd(gate.reason, limits.text),
      blocking,
      ...optional('blockingCount', blockingCount > blocking.length ? blockingCount : gate.blockingCount),
      ...optional('scannedRepository', cut(gate.scannedRepository, NAME_MAX)),
      ...optional('scanCompletedAt', cut(gate.scanCompletedAt, ID_MAX)),
      ...optional('policyHash', cut(gate.policyHash, ID_MAX)),
    },
    ...optional('copy', alert.copy && { ...alert.copy }),
    ...optional('commands', commands),
    ...optional('expiresAt', cut(alert.expiresAt, ID_MAX)),
    consoleUrl: fittedConsoleUrl(alert.consoleUrl, LINK_MAX),
    occurredAt: truncateEnd(alert.occurredAt, ID_MAX),
    ...optional('stage', cut(alert.stage, ID_MAX)),
  };
}

/** The least that is still useful: what happened to which image, the commands, where to look. */
export function truncatedPromotionAlert(alert: PromotionAlert, subject: string): TruncatedPromotionAlert {
  const commands = showableCommands(alert);
  return {
    type: alert.type,
    version: alert.version,
    event: alert.event,
    subject,
    promotionId: alert.promotionId,
    app: truncateEnd(alert.app, NAME_MAX),
    appVersion: truncateEnd(alert.appVersion, TAG_MAX),
    digest: truncateEnd(alert.digest, ID_MAX),
    to: {
      environment: truncateEnd(alert.to.environment, 100),
      repositoryName: truncateEnd(alert.to.repositoryName, NAME_MAX),
    },
    ...(commands ? { commands } : {}),
    consoleUrl: fittedConsoleUrl(alert.consoleUrl, LINK_MAX),
    truncated: true,
  };
}
