import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { groupOf } from '../repository-groups.ts';
import { SEVERITY_ORDER, type SeverityCounts } from '../severity.ts';

/**
 * Telemetry of every function: one Logger and one Metrics (CloudWatch Embedded Metric Format, namespace
 * `EcrSentinel`, default dimension `service`) per function, and the dimensioned metrics a dashboard slices by
 * repository group, severity, outcome and environment.
 *
 * Cardinality is bounded by construction: a metric's dimensions are typed to the names of {@link Dimensions},
 * and each value comes from a closed set (the config's repository groups, known severities, outcome unions,
 * configured environments, function names) — never a repository name, digest, tag or id, which belong in the
 * logs. Every distinct dimension set is a custom metric CloudWatch bills for.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/** The CloudWatch namespace of every metric ecr-sentinel emits. */
export const METRICS_NAMESPACE = 'EcrSentinel';

/** The `RepositoryGroup` of a repository that no `repositoryGroups[]` entry matches. */
export const UNGROUPED = 'ungrouped';

/** The `Severity` of a severity outside {@link SEVERITY_ORDER} (scanners may invent one; the set stays closed). */
export const OTHER_SEVERITY = 'OTHER';

/**
 * The dimensions a metric may carry, each with where its value comes from. Compliance's `Check` is a control id
 * (`scanning`, `tag-mutability`, …).
 */
export interface Dimensions {
  /** {@link repositoryGroupDimension}: a group of sentinel.config.yml, or {@link UNGROUPED}. */
  RepositoryGroup?: string;
  /** A closed union of the use case's results: verdict status, promotion outcome, cleanup status. */
  Outcome?: string;
  /** {@link severityDimension}: a known severity or {@link OTHER_SEVERITY}. */
  Severity?: string;
  /** A promotion's target environment (one of the config's `environments`). */
  TargetEnvironment?: string;
  /** The function's short name as {@link observability} was given it, e.g. `on-scan-completed`. */
  Function?: string;
  /** A compliance control id. */
  Check?: string;
}

/** One metric of {@link emitMetric}. */
export interface MetricPoint {
  name: string;
  /** Default `Count`. */
  unit?: MetricUnitName;
  value: number;
  dimensions: Dimensions;
}

/** The Metrics instance that {@link observability} made next to each Logger, for {@link logFailures}. */
const metricsOfLogger = new WeakMap<Logger, { metrics: Metrics; functionName: string }>();

/**
 * Logger and Metrics for one function; the service name groups every function's telemetry.
 * @param functionName the function's short name (`on-scan-completed`): the logs' `function` key and the
 *   `Function` dimension of `FailedEvents`
 */
export function observability(functionName: string): { logger: Logger; metrics: Metrics } {
  const logger = new Logger({ serviceName: 'ecr-sentinel', persistentKeys: { function: functionName } });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ecr-sentinel' });
  metricsOfLogger.set(logger, { metrics, functionName });
  return { logger, metrics };
}

/**
 * The `RepositoryGroup` dimension of a repository: its group (the first `repositoryGroups[]` entry matching it,
 * as every capability resolves it), or {@link UNGROUPED}. Never the repository name itself.
 */
export function repositoryGroupDimension(
  groups: readonly { name: string; repositories: readonly string[] }[],
  repositoryName: string,
): string {
  return groupOf(groups, repositoryName) ?? UNGROUPED;
}

/** The `Severity` dimension: a severity of {@link SEVERITY_ORDER} as it is, anything else {@link OTHER_SEVERITY}. */
export function severityDimension(severity: string): string {
  return (SEVERITY_ORDER as readonly string[]).includes(severity) ? severity : OTHER_SEVERITY;
}

/**
 * `Findings` per severity of one scanned image: one point per severity with findings (a zero adds nothing to a
 * sum and would only add data points), unknown severities summed under {@link OTHER_SEVERITY}.
 */
export function findingsBySeverity(counts: SeverityCounts, repositoryGroup: string): MetricPoint[] {
  const bySeverity = new Map<string, number>();
  for (const [severity, count] of Object.entries(counts)) {
    if (count <= 0) continue;
    const dimension = severityDimension(severity);
    bySeverity.set(dimension, (bySeverity.get(dimension) ?? 0) + count);
  }
  return [...bySeverity].map(([Severity, value]) => ({
    name: 'Findings',
    value,
    dimensions: { RepositoryGroup: repositoryGroup, Severity },
  }));
}

/**
 * Emit metrics, each with its own dimension set, printed at once as one EMF document each
 * (`metrics.singleMetric()`): the function's buffered metrics (flushed by `logMetrics`) keep only the `service`
 * dimension, so per-group or per-severity points never share, or overwrite, another point's dimensions.
 * Dimensions with an empty value are left out.
 */
export function emitMetric(metrics: Metrics, ...points: readonly MetricPoint[]): void {
  for (const point of points) {
    const single = metrics.singleMetric();
    for (const [name, value] of Object.entries(point.dimensions)) {
      if (typeof value === 'string' && value !== '') single.addDimension(name, value);
    }
    single.addMetric(point.name, point.unit ?? MetricUnit.Count, point.value);
  }
}

/**
 * Count failed events: `FailedEvents` with the `Function` dimension, printed at once. Used by {@link logFailures}
 * for a failed invocation and by a batch handler for each record it reports failed.
 */
export function countFailedEvents(metrics: Metrics, functionName: string, count = 1): void {
  if (count <= 0) return;
  emitMetric(metrics, { name: 'FailedEvents', value: count, dimensions: { Function: functionName } });
}

/**
 * Log a failed invocation once, with the event id, before the error propagates to Lambda (which retries
 * and then sends the payload to the onFailure destination), and count it in `FailedEvents`. The event itself is
 * not logged: it may be large and the destination keeps it. The metric is printed as it is counted (a single
 * metric), so it is out even when the invocation dies with the error and whatever the middleware order.
 * @param metrics where to count; default: the Metrics {@link observability} made with `logger`
 */
export function logFailures(
  logger: Logger,
  metrics?: Metrics,
): MiddlewareObj<{ id?: unknown }, unknown, Error, Context> {
  const made = metricsOfLogger.get(logger);
  const target = metrics ?? made?.metrics;
  const functionName = made?.functionName ?? 'unknown';
  return {
    onError: async (request) => {
      const event = request.event as { id?: unknown } | undefined;
      logger.error('invocation failed', {
        eventId: typeof event?.id === 'string' ? event.id : undefined,
        error: request.error ?? undefined,
      });
      // Telemetry must never replace the invocation's error with its own.
      try {
        if (target) countFailedEvents(target, functionName);
      } catch (error) {
        logger.warn('FailedEvents not counted', { error });
      }
    },
  };
}
