import * as z from 'zod';
import { consoleUrlSchema, fittedConsoleUrl, LINK_MAX } from './links.ts';
import { truncateEnd } from './text.ts';

/**
 * The cleanup alert document: the third document type notifications renders (next to the scan verdict and the
 * promotion) into the SNS subject, the email text and Slack Block Kit. The cleanup capability maps its run report,
 * its advance notices and its refusals to it (src/cleanup/alert.ts); notifications never sees a plan or an
 * outcome. Three kinds:
 * - `summary`: one per run: totals, the repositories that gave back the most bytes, what failed, what was refused
 *   or skipped and why;
 * - `notice`: what a run announces for deletion on a later day (cleanup.noticeDays), so people can still keep it;
 * - `refused`: one repository the deletion cap kept whole (the scheduled run and the CLI send it).
 *
 * Lists are capped, never the counts: `totals` counts everything, so a rendering says how many it left out.
 * Lenient where a producer may add keys (unknown keys are dropped), strict on what a rendering needs.
 */

/** The `type` of every cleanup alert document. */
export const CLEANUP_ALERT_TYPE = 'ecr-sentinel.cleanup';

/** What a cleanup alert is about: a run's summary, an advance notice, a refused repository. */
export const CLEANUP_KINDS = ['summary', 'notice', 'refused'] as const;
export type CleanupKind = (typeof CLEANUP_KINDS)[number];

/** The label of the subject, the email's first line and the Slack header. ASCII, short. */
export const CLEANUP_LABEL = {
  summary: 'CLEANUP',
  dryRun: 'CLEANUP DRY RUN',
  notice: 'CLEANUP NOTICE',
  refused: 'CLEANUP REFUSED',
} as const;

/** Repositories a summary lists by bytes reclaimed: the issue asks for the top ten, whatever the limits. */
export const CLEANUP_TOP_REPOSITORIES = 10;

/** `YYYY-MM-DD`: the UTC day a notice's images will be deleted. */
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

const count = z.number().int().min(0);
/** USD, rounded to the cent by the producer; a rendering shows two decimals. */
const usd = z.number().min(0).finite();

/** Where and how a run ran; the CLI's refusal may have no run. */
const runSchema = z.object({
  runId: z.string().min(1),
  /** `schedule` or `cli` today; shown as is, so a new trigger needs no new schema. */
  trigger: z.string().min(1),
  /** True when nothing was deleted: the run only reports what it would do. */
  dryRun: z.boolean(),
  startedAt: z.string(),
});

/** Fields every kind carries. */
const common = {
  type: z.literal(CLEANUP_ALERT_TYPE),
  version: z.literal(1),
  /** The ready-made one-line subject ({@link cleanupSubject} in cleanup-subject.ts). */
  subject: z.string().min(1),
  accountId: z.string(),
  region: z.string(),
  /** The deployment stage (`dev`, `prod`…) when the producer knows it: several stages may share a channel. */
  stage: z.string().optional(),
  /** The registry's (or the refused repository's) page in the AWS console; rendered as a button (links.ts). */
  consoleUrl: consoleUrlSchema,
  occurredAt: z.string(),
};

/** A repository and why it was set aside (refused, skipped, or could not be planned). */
const repositoryReasonSchema = z.object({ repositoryName: z.string().min(1), reason: z.string() });

const topRepositorySchema = z.object({
  repositoryName: z.string().min(1),
  /** `cleaned`: images deleted; `dry-run`: would be; `noticed`: announced for a later day. */
  status: z.enum(['cleaned', 'dry-run', 'noticed']),
  /** Images deleted (`cleaned`), else images the plan expires. */
  images: count,
  bytes: count,
  monthlySavingsUsd: usd,
});

/** One image ECR would not delete (BatchDeleteImage `failures[]`, after one retry). */
const imageFailureSchema = z.object({
  repositoryName: z.string().min(1),
  digest: z.string().min(1),
  /** ECR's failure code, e.g. `ImageReferencedByManifestList`. */
  code: z.string(),
  message: z.string().optional(),
});

const summaryTotalsSchema = z.object({
  /** Repositories the run covers. */
  repositories: count,
  /** Repositories that recorded an outcome; fewer than `repositories` when the summary went out early. */
  reported: count,
  cleaned: count,
  dryRun: count,
  noticed: count,
  skipped: count,
  refused: count,
  /** Repositories that could not be planned (see `errors`). */
  failed: count,
  imagesDeleted: count,
  /** Images the plans of cleaned and dry-run repositories expire. */
  imagesExpiring: count,
  imagesTransitioning: count,
  /** Images ECR would not delete (see `failures`). */
  imageFailures: count,
  /** Of cleaned repositories, or of dry-run ones (what a real run would reclaim). */
  bytesReclaimed: count,
  monthlySavingsUsd: usd,
  /** Images and bytes noticed repositories announce for a later day. */
  imagesNoticed: count,
  bytesNoticed: count,
});

const summarySchema = z.object({
  ...common,
  kind: z.literal('summary'),
  run: runSchema,
  totals: summaryTotalsSchema,
  /** Largest first, at most {@link CLEANUP_TOP_REPOSITORIES}. */
  topRepositories: z.array(topRepositorySchema),
  /** Capped; `totals.imageFailures` counts them all. */
  failures: z.array(imageFailureSchema),
  /** Capped; `totals.refused` counts them all. */
  refusals: z.array(repositoryReasonSchema),
  /** Capped; `totals.skipped` counts them all. */
  skips: z.array(repositoryReasonSchema),
  /** Repositories that could not be planned; capped, `totals.failed` counts them all. */
  errors: z.array(repositoryReasonSchema),
});

const noticeImageSchema = z.object({
  repositoryName: z.string().min(1),
  digest: z.string().min(1),
  /** Capped; `tagCount` counts them all. */
  tags: z.array(z.string()),
  tagCount: count,
  sizeBytes: count,
  pushedAt: z.string().optional(),
});

const noticeSchema = z.object({
  ...common,
  kind: z.literal('notice'),
  run: runSchema,
  /** The UTC day the images will be deleted. */
  deleteOn: z.string().regex(DAY_PATTERN, 'expected a day as YYYY-MM-DD'),
  totals: z.object({ repositories: count, images: count, bytes: count, monthlySavingsUsd: usd }),
  /** Most bytes first; capped, `totals.repositories` counts them all. */
  repositories: z.array(z.object({ repositoryName: z.string().min(1), images: count, bytes: count })),
  /** Largest first; capped, `totals.images` counts them all. */
  topImages: z.array(noticeImageSchema),
});

const refusedSchema = z.object({
  ...common,
  kind: z.literal('refused'),
  run: runSchema.optional(),
  repositoryName: z.string().min(1),
  /** The cap's own words, e.g. `would delete 600 of 800 images, over the cap of 500 per run`. */
  reason: z.string().min(1),
  imageCount: count,
  /** What the plan would have expired: nothing was deleted. */
  expiringCount: count,
  bytes: count,
  monthlySavingsUsd: usd,
});

/**
 * A cleanup alert of any kind. A discriminated union on `kind`, so an issue names the field that is wrong (an
 * unknown kind names `kind`).
 */
export const cleanupAlertSchema = z.discriminatedUnion('kind', [summarySchema, noticeSchema, refusedSchema]);

/** A cleanup alert of any kind, as validated (`kind` tells them apart). */
export type CleanupAlert = z.output<typeof cleanupAlertSchema>;
/** The summary of one run. */
export type CleanupSummaryAlert = z.output<typeof summarySchema>;
/** The advance notice of what a run will delete on `deleteOn`. */
export type CleanupNoticeAlert = z.output<typeof noticeSchema>;
/** One repository the deletion cap refused. */
export type CleanupRefusedAlert = z.output<typeof refusedSchema>;
/** The run an alert is about. */
export type CleanupAlertRun = z.output<typeof runSchema>;
/** Every count of a summary: what its lists leave out is counted here. */
export type CleanupSummaryTotals = z.output<typeof summaryTotalsSchema>;
/** A repository of a summary's top list (by bytes). */
export type CleanupTopRepository = z.output<typeof topRepositorySchema>;
/** An image ECR would not delete. */
export type CleanupImageFailure = z.output<typeof imageFailureSchema>;
/** A repository set aside (refused, skipped, not planned) and why. */
export type CleanupRepositoryReason = z.output<typeof repositoryReasonSchema>;
/** An image a notice announces. */
export type CleanupNoticeImage = z.output<typeof noticeImageSchema>;

/** Caps that keep a cleanup alert and its renderings bounded whatever a run produced. */
export interface CleanupAlertLimits {
  /** Entries of each list (failures, refusals, skips, errors, notice repositories and images). */
  lists: number;
  /** Tags listed per image. */
  tags: number;
  /** Characters of one free-text field (reason, failure message). */
  text: number;
  /** Characters of a name that AWS does not bound (stage, trigger…). */
  field: number;
}

/** What subscribers get. */
export const FULL_CLEANUP_LIMITS: CleanupAlertLimits = { lists: 50, tags: 10, text: 1000, field: 200 };
/** What they get when the full alert would not fit in one SNS message. */
export const COMPACT_CLEANUP_LIMITS: CleanupAlertLimits = { lists: 10, tags: 3, text: 300, field: 100 };
/**
 * The last resort when even the compact alert exceeds SNS's 256 KiB: no lists, only totals. Still a complete,
 * valid document (unlike the other types' truncated forms), since the totals are what a run summary is about.
 */
export const MINIMAL_CLEANUP_LIMITS: CleanupAlertLimits = { lists: 0, tags: 0, text: 100, field: 100 };

/** ECR bounds repository names to 256 characters and tags to 300: real ones are never cut. */
const NAME_MAX = 256;
const TAG_MAX = 300;
/** Digests, account ids, Regions, run ids, times, failure codes: short when real. */
const ID_MAX = 100;

const SUMMARY_TOTAL_KEYS = Object.keys(summaryTotalsSchema.shape) as (keyof CleanupSummaryTotals)[];
const NOTICE_TOTAL_KEYS = Object.keys(
  noticeSchema.shape.totals.shape,
) as (keyof CleanupNoticeAlert['totals'])[];

/** The counts in the schema's order, whatever order the producer built them in (the JSON stays the same). */
function inOrder<T extends object>(totals: T, keys: readonly (keyof T)[]): T {
  return Object.fromEntries(keys.map((key) => [key, totals[key]])) as T;
}

/**
 * The document cut to `limits`, as subscribers receive it: every field bounded, lists capped (the totals still
 * count everything), keys in the published order, the console URL fitted.
 */
export function limitCleanupAlert(alert: CleanupAlert, limits: CleanupAlertLimits): CleanupAlert {
  const name = (s: string) => truncateEnd(s, NAME_MAX);
  const id = (s: string) => truncateEnd(s, ID_MAX);
  const text = (s: string) => truncateEnd(s, limits.text);
  const reasons = (list: readonly CleanupRepositoryReason[]) =>
    list
      .slice(0, limits.lists)
      .map((r) => ({ repositoryName: name(r.repositoryName), reason: text(r.reason) }));
  const run = (r: CleanupAlertRun): CleanupAlertRun => ({
    runId: id(r.runId),
    trigger: truncateEnd(r.trigger, limits.field),
    dryRun: r.dryRun,
    startedAt: id(r.startedAt),
  });
  const head = {
    subject: truncateEnd(alert.subject, 200),
    accountId: id(alert.accountId),
    region: id(alert.region),
    ...(alert.stage === undefined ? {} : { stage: truncateEnd(alert.stage, limits.field) }),
    consoleUrl: fittedConsoleUrl(alert.consoleUrl, LINK_MAX),
    occurredAt: id(alert.occurredAt),
  };
  switch (alert.kind) {
    case 'summary':
      return {
        type: alert.type,
        version: alert.version,
        kind: alert.kind,
        ...head,
        run: run(alert.run),
        totals: inOrder(alert.totals, SUMMARY_TOTAL_KEYS),
        topRepositories: alert.topRepositories
          .slice(0, Math.min(CLEANUP_TOP_REPOSITORIES, limits.lists))
          .map((r) => ({ ...r, repositoryName: name(r.repositoryName) })),
        failures: alert.failures.slice(0, limits.lists).map((f) => ({
          repositoryName: name(f.repositoryName),
          digest: id(f.digest),
          code: id(f.code),
          ...(f.message === undefined ? {} : { message: text(f.message) }),
        })),
        refusals: reasons(alert.refusals),
        skips: reasons(alert.skips),
        errors: reasons(alert.errors),
      };
    case 'notice':
      return {
        type: alert.type,
        version: alert.version,
        kind: alert.kind,
        ...head,
        run: run(alert.run),
        deleteOn: alert.deleteOn,
        totals: inOrder(alert.totals, NOTICE_TOTAL_KEYS),
        repositories: alert.repositories
          .slice(0, limits.lists)
          .map((r) => ({ repositoryName: name(r.repositoryName), images: r.images, bytes: r.bytes })),
        topImages: alert.topImages.slice(0, limits.lists).map((i) => ({
          repositoryName: name(i.repositoryName),
          digest: id(i.digest),
          tags: i.tags.slice(0, limits.tags).map((t) => truncateEnd(t, TAG_MAX)),
          tagCount: Math.max(i.tagCount, i.tags.length),
          sizeBytes: i.sizeBytes,
          ...(i.pushedAt === undefined ? {} : { pushedAt: id(i.pushedAt) }),
        })),
      };
    case 'refused':
      return {
        type: alert.type,
        version: alert.version,
        kind: alert.kind,
        ...head,
        ...(alert.run === undefined ? {} : { run: run(alert.run) }),
        repositoryName: name(alert.repositoryName),
        reason: text(alert.reason),
        imageCount: alert.imageCount,
        expiringCount: alert.expiringCount,
        bytes: alert.bytes,
        monthlySavingsUsd: alert.monthlySavingsUsd,
      };
  }
}
