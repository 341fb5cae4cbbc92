import { z } from 'zod';

/**
 * Reading CloudWatch Embedded Metric Format documents as CloudWatch does: a JSON log line whose `_aws` holds
 * `CloudWatchMetrics` directives; each directive names a namespace, dimension sets (lists of keys of the
 * document) and metrics (keys of the document holding the value).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

const emfSchema = z.looseObject({
  _aws: z.object({
    Timestamp: z.number(),
    CloudWatchMetrics: z.array(
      z.object({
        Namespace: z.string(),
        Dimensions: z.array(z.array(z.string())),
        Metrics: z.array(z.object({ Name: z.string(), Unit: z.string().optional() })),
      }),
    ),
  }),
});

/** One data point CloudWatch would extract: a metric under one dimension set. */
export interface EmfPoint {
  namespace: string;
  name: string;
  unit: string | undefined;
  value: number;
  /** The dimension set's keys with their values in the document. */
  dimensions: Record<string, string>;
  /** The dimension set as the directive declares it. */
  declared: string[];
}

/**
 * Every data point of the EMF documents among `lines` (as the local runtime logs them: `[function] text`),
 * keeping only the lines of `prefix` when given. A metric with several values yields one point per value.
 */
export function emfPoints(lines: readonly string[], prefix?: string): EmfPoint[] {
  const points: EmfPoint[] = [];
  for (const line of lines) {
    if (prefix !== undefined && !line.startsWith(`${prefix} `)) continue;
    const text = prefix === undefined ? line.replace(/^\[[^\]]+\] /, '') : line.slice(prefix.length + 1);
    if (!text.startsWith('{') || !text.includes('"_aws"')) continue;
    const parsed = emfSchema.safeParse(JSON.parse(text));
    if (!parsed.success) continue;
    const doc = parsed.data as Record<string, unknown> & z.infer<typeof emfSchema>;
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((key) => [key, String(doc[key])]));
        for (const metric of directive.Metrics) {
          const raw = doc[metric.Name];
          for (const value of Array.isArray(raw) ? raw : [raw]) {
            points.push({
              namespace: directive.Namespace,
              name: metric.Name,
              unit: metric.Unit,
              value: Number(value),
              dimensions,
              declared: [...set],
            });
          }
        }
      }
    }
  }
  return points;
}
