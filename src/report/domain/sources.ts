/**
 * The shapes the report reads from the single table, as zod schemas (the adapters parse stored items with them):
 * a stored evaluation of the scan gate, narrowed to what the report shows, and a cleanup run's item with the
 * running totals the run keeps on it. Each is checked at compile time against its owner's type, so a change to
 * what scan-gate or cleanup store that the report can't read fails to compile here rather than at an auditor's.
 */
import * as z from 'zod';
import type { CleanupRun } from '../../cleanup/index.ts';
import type { Verdict } from '../../scan-gate/index.ts';

const counts = z.record(z.string(), z.number());

/** One evaluation of one image (a verdict history item's `verdict`), as far as the report uses it. */
export const storedEvaluationSchema = z.object({
  status: z.enum(['PASS', 'FAIL', 'ERROR']),
  reason: z.string(),
  repositoryName: z.string(),
  imageDigest: z.string(),
  imageTags: z.array(z.string()),
  /** Every finding per severity (before exceptions): what the chart counts. */
  countsBefore: counts,
  blocking: z.object({ ids: z.array(z.string()) }),
  scanCompletedAt: z.string().optional(),
  evaluatedAt: z.string(),
});
export type StoredEvaluation = z.output<typeof storedEvaluationSchema>;

/** Compile-time: every stored verdict is a {@link StoredEvaluation} (the schema asks nothing a verdict lacks). */
const _verdictReadable = (verdict: Verdict): StoredEvaluation => verdict;
void _verdictReadable;

/** A cleanup run's item: the run and the totals its repositories' outcomes added to it. */
export const cleanupRunTotalsSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  trigger: z.enum(['schedule', 'cli']),
  dryRun: z.boolean(),
  repositoryCount: z.number().int().min(0),
  /** Repositories still without an outcome: 0 when the run is complete. */
  remaining: z.number().int(),
  deletedCount: z.number(),
  /** Bytes deleted; for a dry run, what it would have deleted. */
  bytesReclaimed: z.number(),
  monthlySavingsUsd: z.number(),
  failureCount: z.number(),
});
export type CleanupRunTotals = z.output<typeof cleanupRunTotalsSchema>;

/** Compile-time: the run part of the item reads back as cleanup's own {@link CleanupRun}. */
const _runReadable = (run: CleanupRunTotals): CleanupRun => run;
void _runReadable;

/** When an evaluation's scan finished (its evaluation time when unknown): the time the chart places it at. */
export function evaluationTime(evaluation: StoredEvaluation): string {
  return evaluation.scanCompletedAt ?? evaluation.evaluatedAt;
}
