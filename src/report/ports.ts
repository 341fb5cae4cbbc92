import type { ObservedStateReader } from '../compliance/index.ts';
import type { PromotionReader } from '../promotion/index.ts';
import type { CleanupRunTotals, StoredEvaluation } from './domain/sources.ts';

export type { ObservedStateReader } from '../compliance/index.ts';

/** Every stored evaluation of every image (the scan gate's verdict history). Reads only. */
export interface EvaluationReader {
  all(): Promise<StoredEvaluation[]>;
}

/** Cleanup runs started at or after a time, with their totals. Reads only. */
export interface CleanupRunReader {
  since(startedAt: Date): Promise<CleanupRunTotals[]>;
}

/** The promotion history, newest first (promotion's own reader). */
export type PromotionHistory = Pick<PromotionReader, 'list'>;

/** Where the report's facts come from: ECR (compliance) and the single table (verdicts, promotions, cleanup). */
export interface ReportSources {
  readonly observed: ObservedStateReader;
  readonly evaluations: EvaluationReader;
  readonly promotions: PromotionHistory;
  readonly cleanupRuns: CleanupRunReader;
}
