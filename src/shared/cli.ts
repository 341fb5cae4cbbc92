import { once } from 'node:events';
/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** A check ran and failed (invalid config, failing gate). */
  failed: 1,
  /** Bad arguments, or something the command needs is unavailable. */
  usage: 2,
} as const;

/** Bad arguments: reported naming the option, exit code {@link EXIT.usage}. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Already reported on stderr (e.g. an invalid configuration, with its located problems); exit code as set. */
export class ConfigReported extends Error {
  override readonly name = 'ConfigError';
}

/** Prints a value as indented JSON on stdout. */
export function writeJson(value: unknown): void {
  for (const piece of jsonPieces(value)) process.stdout.write(piece);
}

/**
 * Prints pieces of text on stdout, each after the previous one is taken (a pipe's reader may be slower): what is
 * waiting to be written stays one piece, not the whole document (~40 MB for a plan of 100,000 images).
 */
export async function writePieces(pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
}

/**
 * A long list in a JSON document, made a slice at a time when {@link jsonPieces} prints it and whole only when
 * something else serialises it (`toJSON`): the same text either way, without every element in memory at once.
 */
export class JsonSlices<T> {
  constructor(
    readonly length: number,
    private readonly make: (start: number, end: number) => T[],
  ) {}

  slice(start: number, end: number): T[] {
    return this.make(start, Math.min(end, this.length));
  }

  toJSON(): T[] {
    return this.make(0, this.length);
  }
}

/**
 * Elements of a long array stringified at once: for a cleanup plan's images, pieces of ~80 KB, under V8's
 * large-object size (128 KiB), which measured twice as fast to make and write as 1,000 at once.
 */
const SLICE = 200;

/**
 * `JSON.stringify(value, null, 2)` and a newline, in pieces: a plan of 100,000 images is ~40 MB of text, which
 * as one string and then one buffer cost as much as making it. A plain object's properties, and a long array's
 * elements a slice at a time, are each stringified inside a one-key wrapper (`{"key": …}`), so JSON.stringify
 * itself indents them as at their depth; the wrapper's own lines are cut off. The pieces join to exactly what
 * one JSON.stringify prints.
 */
export function* jsonPieces(value: unknown): Generator<string> {
  if (!isPlainObject(value)) {
    yield `${JSON.stringify(value, null, 2)}\n`;
    return;
  }
  let first = true;
  for (const key of Object.keys(value)) {
    const property = value[key];
    const name = JSON.stringify(key);
    const list =
      property instanceof JsonSlices || (Array.isArray(property) && !('toJSON' in property))
        ? (property as { length: number; slice(start: number, end: number): unknown[] })
        : undefined;
    if (list !== undefined && list.length > SLICE) {
      yield `${first ? '{\n' : ',\n'}  ${name}: [\n`;
      // In `{\n  "key": [\n<elements>\n  ]\n}`, the elements are what the array prints inside the document.
      const head = `{\n  ${name}: [\n`.length;
      const tail = '\n  ]\n}'.length;
      for (let start = 0; start < list.length; start += SLICE) {
        const text = JSON.stringify({ [key]: list.slice(start, start + SLICE) }, null, 2);
        yield `${start === 0 ? '' : ',\n'}${text.slice(head, text.length - tail)}`;
      }
      yield '\n  ]';
    } else {
      // `{\n  "key": value\n}`, or `{}` when the value is one JSON.stringify leaves out (undefined, a function).
      const text = JSON.stringify({ [key]: property }, null, 2);
      if (text === '{}') continue;
      yield `${first ? '{\n' : ',\n'}${text.slice(2, text.length - 2)}`;
    }
    first = false;
  }
  yield first ? '{}\n' : '\n}\n';
}

/** An object JSON.stringify prints as its own enumerable keys (no toJSON, not an array, Map or class). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || 'toJSON' in value) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** How a command's own errors are reported; undefined leaves an error to the generic rules. */
export type ErrorClassifier = (error: unknown) => { type: string; message: string; exit: number } | undefined;

/**
 * Runs a command body and turns what it throws into the one error format: `ecr-sentinel: message` on stderr
 * and, with --json, `{"error": {"type", "message"}}` on stdout; the exit code says which kind (usage errors and
 * unknown failures {@link EXIT.usage}, unless `classify` says otherwise).
 */
export async function runCommand(
  options: { json?: boolean | undefined },
  body: () => Promise<number>,
  classify: ErrorClassifier = () => undefined,
): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    const { type, message, exit } =
      (error instanceof UsageError || error instanceof ConfigReported ? undefined : classify(error)) ??
      (error instanceof Error
        ? { type: error.name || 'Error', message: error.message, exit: EXIT.usage }
        : { type: 'Error', message: String(error), exit: EXIT.usage });
    if (!(error instanceof ConfigReported)) process.stderr.write(`ecr-sentinel: ${message}\n`);
    if (options.json) writeJson({ error: { type, message } });
    process.exitCode = error instanceof ConfigReported ? (process.exitCode ?? exit) : exit;
  }
}

/**
 * Report a usage error the one way every command does: `ecr-sentinel: <message>` on stderr, with --json also
 * `{"error": {"type": "UsageError", "message"}}` on stdout (as {@link runCommand} reports errors), and exit code
 * {@link EXIT.usage}. The message names the bad option or the missing dependency; the command then returns.
 */
export function usageError(message: string, options: { json?: boolean | undefined } = {}): void {
  process.stderr.write(`ecr-sentinel: ${message}\n`);
  if (options.json) writeJson({ error: { type: 'UsageError', message } });
  process.exitCode = EXIT.usage;
}

/**
 * Columns separated by two spaces, left-aligned unless `align` says `right` (numbers); the last column is not
 * padded. Widths count UTF-16 units, enough for the names, digests and figures printed.
 */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly ('left' | 'right')[] = [],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        align[i] === 'right'
          ? c.padStart(widths[i] ?? 0)
          : i === cells.length - 1
            ? c
            : c.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The options every AWS-facing command takes for where AWS is and which deployed stage's table to use. */
export interface AwsCommandOptions {
  stage: string;
  table?: string | undefined;
  region?: string | undefined;
  endpointUrl?: string | undefined;
}

/** The deployed single table of `--stage` (serverless.yml names it `ecr-sentinel-STAGE`), unless `--table`. */
export function commandTableName(options: AwsCommandOptions): string {
  return options.table ?? `ecr-sentinel-${options.stage}`;
}

/** Where a command's clients go: `--region` (else AWS_REGION, else us-east-1) and `--endpoint-url`. */
export function commandClientBase(options: AwsCommandOptions): { region: string; endpoint?: string } {
  return {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
  };
}
