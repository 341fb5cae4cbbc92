/**
 * The audit report's model: every fact the HTML, Markdown and JSON renderings show, as one zod schema. The JSON
 * format is this schema serialised, so its shape is documented (and checked) here; `version` changes only when a
 * field changes meaning or goes away (adding a field does not).
 */
import * as z from 'zod';
import { CONTROL_IDS, FINDING_STATUSES } from '../../compliance/index.ts';

/** The JSON rendering's `version`. */
export const REPORT_VERSION = 1;

const count = z.number().int().min(0);
const isoTime = z.string();
/** `YYYY-MM-DD`, UTC. */
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** One check's result for a repository or a registry item, with the fix when it drifts. */
export const checkResultSchema = z.object({
  controlId: z.enum(CONTROL_IDS),
  status: z.enum(FINDING_STATUSES),
  expected: z.string(),
  actual: z.string(),
  /** What to do about a drift (also for drift enforce can't fix); null otherwise. */
  fix: z.string().nullable(),
  /** For `unknown`: the read that failed and why; null otherwise. */
  error: z.string().nullable(),
  details: z.array(z.string()),
});

export const complianceSectionSchema = z.object({
  /** The checks that apply to some repository: the table's columns, in report order. */
  checks: z.array(z.enum(CONTROL_IDS)),
  repositories: z.array(
    z.object({
      repositoryName: z.string(),
      /** The repository group whose settings applied; null: the defaults. */
      group: z.string().nullable(),
      findings: z.array(checkResultSchema),
    }),
  ),
  /** Registry-level checks (replication, creation templates), each about `item`. */
  registry: z.array(checkResultSchema.extend({ item: z.string() })),
  summary: z.object({
    repositories: count,
    checks: count,
    pass: count,
    drift: count,
    fixed: count,
    unknown: count,
  }),
});

const verdictStatus = z.enum(['PASS', 'FAIL', 'ERROR']);

/** A repository's most recent scan verdict (of whichever of its images was scanned last). */
export const latestVerdictSchema = z.object({
  repositoryName: z.string(),
  status: verdictStatus,
  reason: z.string(),
  imageDigest: z.string(),
  imageTags: z.array(z.string()),
  /** When the judged scan finished (when the verdict was made, if unknown). */
  scannedAt: isoTime,
  evaluatedAt: isoTime,
  /** Every finding of that scan per severity, worst first (before exceptions). */
  findings: z.record(z.string(), count),
  blocking: z.array(z.string()),
  /** The repository's images by their own latest verdict. */
  images: z.object({ PASS: count, FAIL: count, ERROR: count }),
});

/** An open (unexpired) CVE exception of `exceptions:` in sentinel.config.yml. */
export const openExceptionSchema = z.object({
  cve: z.string(),
  repositories: z.array(z.string()),
  owner: z.string(),
  reason: z.string(),
  ticket: z.string().nullable(),
  /** The last day it applies (UTC). */
  expires: isoDay,
  /** Whole days from today (UTC) to `expires`: 0 on its last day. */
  daysLeft: count,
  /** `daysLeft` ≤ the report's `expiryWarningDays`: highlighted. */
  expiringSoon: z.boolean(),
});

export const promotionRowSchema = z.object({
  id: z.string(),
  app: z.string(),
  version: z.string(),
  digest: z.string(),
  from: z.string(),
  to: z.string(),
  targetRepository: z.string(),
  status: z.string(),
  gate: verdictStatus,
  requestedBy: z.string(),
  requestedAt: isoTime,
  /** Who approved or rejected it, when someone did. */
  decidedBy: z.string().nullable(),
  completedAt: isoTime.nullable(),
});

const savingsSchema = z.object({
  runs: count,
  images: count,
  bytes: count,
  /** Storage no longer paid for, per month, at `cleanup.pricePerGbMonth` when the run was made. */
  monthlyUsd: z.number().min(0),
});

export const cleanupRunRowSchema = z.object({
  runId: z.string(),
  startedAt: isoTime,
  trigger: z.string(),
  dryRun: z.boolean(),
  repositories: count,
  /** Every repository of the run recorded its outcome. */
  complete: z.boolean(),
  deletedImages: count,
  /** Deleted, or for a dry run what it would have deleted. */
  bytes: count,
  monthlyUsd: z.number().min(0),
  failures: count,
});

export const reportSchema = z.object({
  format: z.literal('ecr-sentinel-report'),
  version: z.literal(REPORT_VERSION),
  generatedAt: isoTime,
  registryId: z.string(),
  /** Promotions, cleanup runs and the chart cover the days since `since` (00:00 UTC of the first day). */
  windowDays: count,
  since: isoTime,
  expiryWarningDays: count,
  compliance: complianceSectionSchema,
  verdicts: z.object({
    repositories: z.array(latestVerdictSchema),
    /** Audited repositories the table holds no verdict for. */
    withoutVerdict: z.array(z.string()),
  }),
  exceptions: z.object({
    /** Soonest expiry first. */
    open: z.array(openExceptionSchema),
    /** Configured exceptions that no longer apply. */
    expired: count,
  }),
  promotions: z.object({
    /** Newest first. */
    items: z.array(promotionRowSchema),
    /** More promotions were requested in the window than the report reads: the oldest are missing. */
    truncated: z.boolean(),
  }),
  cleanup: z.object({
    /** Newest first. */
    runs: z.array(cleanupRunRowSchema),
    /** What runs that deleted (not dry runs) reclaimed. */
    reclaimed: savingsSchema,
    /** What dry runs found to delete. */
    identified: savingsSchema,
  }),
  /**
   * Findings per severity on each day of the window: for every image with a stored verdict, its latest scan by
   * the end of that day (now, for today), summed. One series per severity, worst first.
   */
  findingsOverTime: z.object({
    days: z.array(isoDay),
    series: z.array(z.object({ severity: z.string(), counts: z.array(count) })),
  }),
});

/** The report, as every format renders it. */
export type ReportModel = z.output<typeof reportSchema>;
export type CheckResult = z.output<typeof checkResultSchema>;
export type LatestVerdict = z.output<typeof latestVerdictSchema>;
export type OpenException = z.output<typeof openExceptionSchema>;
export type PromotionRow = z.output<typeof promotionRowSchema>;
export type CleanupRunRow = z.output<typeof cleanupRunRowSchema>;
