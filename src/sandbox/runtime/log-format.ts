/**
 * How the local Lambda runtime prints a line a function logged (`sandbox --log-format`):
 *
 * - `json`: the line exactly as the function printed it (Powertools Logger's JSON, EMF metrics, console text) after
 *   `[functionName] `, as CloudWatch Logs would hold it: for tools and for piping.
 * - `pretty`: for a person at a terminal: `HH:MM:SS.mmm functionName LEVEL message key=value …`. A Powertools
 *   line gives its time (UTC), level, message and its own keys; the keys every line carries (function name, ARN,
 *   memory, request id, cold start, sampling rate, trace id, service) are left out. An EMF metrics line becomes
 *   `METRIC Name=value … (Dimension=value …)`. Other lines (START/END/REPORT, console text) keep their text, after
 *   the time and the function.
 */

export type LogFormat = 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

export interface FormatOptions {
  format: LogFormat;
  /** ANSI colours (pretty only): level and function name. */
  color?: boolean;
  /** The time of a line that carries none (default: now). */
  now?: () => Date;
}

/** Keys Powertools Logger puts on every line: noise at a terminal. */
const CONTEXT_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

const LEVEL_COLORS: Record<string, string> = {
  CRITICAL: '\u001b[1;31m',
  ERROR: '\u001b[31m',
  WARN: '\u001b[33m',
  INFO: '\u001b[32m',
  DEBUG: '\u001b[2m',
  TRACE: '\u001b[2m',
  METRIC: '\u001b[35m',
};
const BOLD = '\u001b[1m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';
/** Longest value printed whole; a longer one is cut with an ellipsis. */
const VALUE_MAX = 200;

/** One line a function logged, as `options.format` prints it (without a trailing newline). */
export function formatFunctionLine(functionName: string, line: string, options: FormatOptions): string {
  if (options.format === 'json') return `[${functionName}] ${line}`;
  const paint = (code: string | undefined, text: string) =>
    options.color && code ? `${code}${text}${RESET}` : text;
  const time = (iso: string) => paint(DIM, iso.slice(11, 23));
  const head = (iso: string, level: string) =>
    `${time(iso)} ${paint(BOLD, functionName)} ${paint(LEVEL_COLORS[level], level.padEnd(5))}`;
  const nowIso = () => (options.now ?? (() => new Date()))().toISOString();

  const record = parseObject(line);
  if (record) {
    const metrics = metricLine(record);
    if (metrics) {
      const at = isoOf((record._aws as { Timestamp?: unknown }).Timestamp) ?? nowIso();
      return `${head(at, 'METRIC')} ${metrics}`;
    }
    if (typeof record.level === 'string' && 'message' in record) {
      const fields = Object.entries(record)
        .filter(([key, value]) => !CONTEXT_KEYS.has(key) && value !== undefined)
        .map(([key, value]) => `${key}=${renderValue(key, value)}`);
      const message = typeof record.message === 'string' ? record.message : JSON.stringify(record.message);
      return [head(isoOf(record.timestamp) ?? nowIso(), record.level.toUpperCase()), message, ...fields].join(
        ' ',
      );
    }
  }
  return `${time(nowIso())} ${paint(BOLD, functionName)} ${line}`;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An ISO time from Powertools' `timestamp` (ISO string) or EMF's `Timestamp` (epoch ms), in UTC. */
function isoOf(value: unknown): string | undefined {
  const date =
    typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/** `Name=value … (Dimension=value …)` of an EMF line, or undefined for any other object. */
function metricLine(record: Record<string, unknown>): string | undefined {
  const aws = record._aws as { CloudWatchMetrics?: unknown } | undefined;
  const directives = Array.isArray(aws?.CloudWatchMetrics) ? aws.CloudWatchMetrics : undefined;
  if (!directives) return undefined;
  const names: string[] = [];
  const dimensions = new Set<string>();
  for (const directive of directives as { Metrics?: { Name?: unknown }[]; Dimensions?: unknown[][] }[]) {
    for (const metric of directive.Metrics ?? [])
      if (typeof metric.Name === 'string') names.push(metric.Name);
    for (const set of directive.Dimensions ?? []) {
      for (const name of set) if (typeof name === 'string') dimensions.add(name);
    }
  }
  const values = [...new Set(names)].map((name) => `${name}=${renderValue(name, record[name])}`);
  const dims = [...dimensions].map((name) => `${name}=${renderValue(name, record[name])}`);
  return `${values.join(' ')}${dims.length > 0 ? ` (${dims.join(' ')})` : ''}`;
}

/** A field's value: bare when it is a simple word or number, JSON otherwise; errors as `Name: message`. */
function renderValue(key: string, value: unknown): string {
  if (key === 'error' && typeof value === 'object' && value !== null) {
    const error = value as { name?: unknown; message?: unknown };
    if (typeof error.message === 'string') {
      return JSON.stringify(`${typeof error.name === 'string' ? `${error.name}: ` : ''}${error.message}`);
    }
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string' && /^[\w.:/@+-]+$/.test(value)) return cut(value);
  return cut(JSON.stringify(value) ?? String(value));
}

function cut(text: string): string {
  return text.length > VALUE_MAX ? `${text.slice(0, VALUE_MAX - 1)}…` : text;
}
