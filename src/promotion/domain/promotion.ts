/**
 * The promotion record: what was asked, what the gate said, who approved, what was copied, how it ended. Its
 * zod schema is the type's source (the table adapter parses stored items with it). Status changes follow
 * {@link TRANSITIONS}; the store makes each one a conditional write from the expected previous status.
 */
import * as z from 'zod';
import { ULID_PATTERN, ulid } from '../../shared/ulid.ts';

export const PROMOTION_STATUSES = [
  'PENDING_APPROVAL',
  'APPROVED',
  'COPYING',
  'COMPLETED',
  'FAILED',
  'REJECTED',
  'EXPIRED',
] as const;

export type PromotionStatus = (typeof PROMOTION_STATUSES)[number];

/**
 * The statuses each status may change to. A promotion is created PENDING_APPROVAL (the target needs approval),
 * COPYING (it doesn't) or FAILED (the gate refused it, recorded for the audit trail).
 */
export const TRANSITIONS: Readonly<Record<PromotionStatus, readonly PromotionStatus[]>> = {
  PENDING_APPROVAL: ['APPROVED', 'REJECTED', 'EXPIRED'],
  APPROVED: ['COPYING', 'FAILED'],
  COPYING: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
  REJECTED: [],
  EXPIRED: [],
};

/** Statuses after which a new request for the same image and target makes a new promotion. */
export const REPEATABLE_STATUSES: ReadonlySet<PromotionStatus> = new Set(['FAILED', 'REJECTED', 'EXPIRED']);

/** Statuses in which the promotion still has work to do (copying may resume after a crash). */
export const OPEN_STATUSES: ReadonlySet<PromotionStatus> = new Set([
  'PENDING_APPROVAL',
  'APPROVED',
  'COPYING',
]);

/** Whether `from` may change to `to`. */
export function canTransition(from: PromotionStatus, to: PromotionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

const locationSchema = z.object({
  environment: z.string(),
  accountId: z.string(),
  region: z.string(),
  repositoryName: z.string(),
});

/** What the gate concluded, kept on the record (the full verdict is stored with the scan gate's verdicts). */
const gateSummarySchema = z.object({
  status: z.enum(['PASS', 'FAIL', 'ERROR']),
  reason: z.string(),
  /** The repository whose scan was judged (the source's, or an earlier environment's for a fresh copy). */
  scannedRepository: z.string().optional(),
  scanCompletedAt: z.string().optional(),
  /** Blocking vulnerability ids, worst first (at most 20 kept). */
  blocking: z.array(z.string()),
  policyHash: z.string().optional(),
});

const copySummarySchema = z.object({
  blobsCopied: z.number(),
  blobsSkipped: z.number(),
  /** Blobs mounted inside one registry (0 bytes uploaded); absent on records from before blob mounting. */
  blobsMounted: z.number().optional(),
  bytesCopied: z.number(),
  manifestsPut: z.number(),
  referrersCopied: z.number(),
  alreadyPresent: z.boolean(),
  repositoryCreated: z.boolean(),
});

export const promotionSchema = z.object({
  id: z.string(),
  app: z.string(),
  /** The tag people name the image by; the digest is what is checked, copied and recorded. */
  version: z.string(),
  digest: z.string(),
  from: locationSchema,
  to: locationSchema,
  status: z.enum(PROMOTION_STATUSES),
  requiresApproval: z.boolean(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  approvedBy: z.string().optional(),
  approvedAt: z.string().optional(),
  rejectedBy: z.string().optional(),
  rejectedAt: z.string().optional(),
  /** Why it was rejected, refused or failed. */
  reason: z.string().optional(),
  /** When a pending approval expires (ISO 8601). */
  expiresAt: z.string().optional(),
  gate: gateSummarySchema,
  copy: copySummarySchema.optional(),
  error: z.string().optional(),
  /** The failure's error name (e.g. `PromotionConflictError`, `ThrottlingException`), to tell failures apart. */
  errorType: z.string().optional(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
});

/** One promotion. */
export type Promotion = z.output<typeof promotionSchema>;
export type PromotionLocation = z.output<typeof locationSchema>;
export type GateSummary = z.output<typeof gateSummarySchema>;
export type CopySummary = z.output<typeof copySummarySchema>;

/** A promotion id: a ULID (sortable by creation time, short enough to type in `approve ID`). */
export function promotionId(now: Date, random: Uint8Array): string {
  return ulid(now, random);
}

/** A promotion id as {@link promotionId} makes it. */
export const PROMOTION_ID_PATTERN = ULID_PATTERN;

/** When a pending approval requested at `requestedAt` expires. */
export function approvalExpiry(requestedAt: Date, ttlHours: number): Date {
  return new Date(requestedAt.getTime() + ttlHours * 3_600_000);
}

/** Whether a promotion pending approval has expired at `now`. */
export function isApprovalExpired(promotion: Pick<Promotion, 'status' | 'expiresAt'>, now: Date): boolean {
  return (
    promotion.status === 'PENDING_APPROVAL' &&
    promotion.expiresAt !== undefined &&
    now.getTime() >= Date.parse(promotion.expiresAt)
  );
}

/**
 * Why `by` may not approve (or reject) `promotion` at `now`, or undefined when they may. Four eyes: the
 * requester can't approve their own promotion (they may withdraw it: reject). Principals compare
 * case-insensitively (IAM ARNs and e-mail-like names differ only in case for the same person).
 */
export function decisionRefusal(
  promotion: Pick<Promotion, 'id' | 'status' | 'requestedBy' | 'expiresAt' | 'approvedBy' | 'rejectedBy'>,
  decision: { action: 'approve' | 'reject'; by: string },
  now: Date,
): string | undefined {
  const approver = decision.by;
  if (promotion.status !== 'PENDING_APPROVAL') {
    const by = promotion.approvedBy ?? promotion.rejectedBy;
    return `promotion ${promotion.id} is ${promotion.status}${by ? ` (by ${by})` : ''}, not pending approval`;
  }
  if (isApprovalExpired(promotion, now)) {
    return `promotion ${promotion.id} expired at ${promotion.expiresAt}: request it again`;
  }
  if (
    decision.action === 'approve' &&
    approver.trim().toLowerCase() === promotion.requestedBy.trim().toLowerCase()
  ) {
    return `${approver} requested promotion ${promotion.id} and can't approve it: a second person must`;
  }
  return undefined;
}

/** What runs where: the digest an environment of an application got by its last completed promotion. */
export const releaseSchema = z.object({
  app: z.string(),
  environment: z.string(),
  digest: z.string(),
  version: z.string(),
  promotionId: z.string(),
  promotedAt: z.string(),
  /** Who approved it, or who requested it when no approval was needed. */
  promotedBy: z.string(),
  /** The gate's verdict when it was promoted. */
  gateStatus: z.string(),
  repositoryName: z.string(),
});

export type Release = z.output<typeof releaseSchema>;

/** The release a completed promotion makes of its target environment. */
export function releaseOf(promotion: Promotion): Release {
  return {
    app: promotion.app,
    environment: promotion.to.environment,
    digest: promotion.digest,
    version: promotion.version,
    promotionId: promotion.id,
    promotedAt: promotion.completedAt ?? promotion.updatedAt,
    promotedBy: promotion.approvedBy ?? promotion.requestedBy,
    gateStatus: promotion.gate.status,
    repositoryName: promotion.to.repositoryName,
  };
}
