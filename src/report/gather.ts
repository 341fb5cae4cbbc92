/**
 * The report use case: read what the report shows (ECR's state for the audit, the table's verdicts, promotions
 * and cleanup runs) at once, audit, and build the model. Every read is a port, so this runs the same on AWS,
 * on the sandbox and in tests.
 */
import { audit, type ComplianceSettings } from '../compliance/index.ts';
import type { ScanException } from '../scan-gate/index.ts';
import { buildReport, windowStart } from './domain/build.ts';
import type { ReportModel } from './domain/model.ts';
import type { ReportSources } from './ports.ts';

/**
 * Promotions read for the window at most. One Query without paging (promotion's reader), so it stays well under
 * DynamoDB's 1 MB per response (a promotion is 1–2 KB); more in the window is reported as truncated.
 */
export const PROMOTIONS_READ_MAX = 400;

/** What the configuration says the report needs. */
export interface ReportSettings {
  readonly compliance: ComplianceSettings;
  readonly repositoryGroups: readonly { readonly name: string; readonly repositories: readonly string[] }[];
  readonly exceptions: readonly ScanException[];
}

/** Gather every fact and build the report as of `now`. */
export async function gatherReport(
  sources: ReportSources,
  settings: ReportSettings,
  now: Date,
): Promise<ReportModel> {
  const since = windowStart(now);
  const [observed, evaluations, promotions, cleanupRuns] = await Promise.all([
    sources.observed.read({}),
    sources.evaluations.all(),
    sources.promotions.list({ limit: PROMOTIONS_READ_MAX }),
    sources.cleanupRuns.since(since),
  ]);
  const oldest = promotions.at(-1);
  return buildReport({
    now,
    audit: audit({
      now,
      settings: settings.compliance,
      repositoryGroups: settings.repositoryGroups,
      repositories: observed.repositories,
      registry: observed.registry,
    }),
    evaluations,
    exceptions: settings.exceptions,
    promotions,
    promotionsTruncated:
      promotions.length >= PROMOTIONS_READ_MAX &&
      oldest !== undefined &&
      Date.parse(oldest.requestedAt) >= since.getTime(),
    cleanupRuns,
  });
}
