import { readFile } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { type SentinelConfig, sentinelConfigSchema } from './schema.ts';

/** Where the configuration is read from when no path is given. */
export const DEFAULT_CONFIG_PATH = 'sentinel.config.yml';

/** One problem in a configuration file: where it is and what was expected. */
export interface ConfigProblem {
  /** Key path such as `environments[2].name`, or `(file)` for problems with the file as a whole. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
}

/** A configuration file that could not be read or does not validate; `problems` lists every issue found. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(`${file} is not a valid ecr-sentinel configuration:\n${formatProblems(problems)}`, options);
    this.name = 'ConfigError';
  }
}

/** `environments[2].name` style path of a zod issue. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(top level)';
}

/** One line per problem, `line N: path: message`. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => `  ${p.line === undefined ? '' : `line ${p.line}: `}${p.path}: ${p.message}`)
    .join('\n');
}

/**
 * Parse and validate configuration text. Throws {@link ConfigError} naming every bad key with its line.
 * @param text YAML text of sentinel.config.yml
 * @param file name used in error messages
 */
export function parseConfig(text: string, file = DEFAULT_CONFIG_PATH): SentinelConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '(yaml)',
        message: e.message.split('\n')[0] ?? e.message,
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [
      { path: '(file)', message: 'expected a YAML mapping with at least `version: 1`' },
    ]);
  }
  const result = sentinelConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((issue) => toProblem(issue, doc, lineCounter)),
    );
  }
  return result.data;
}

function toProblem(
  issue: z.core.$ZodIssue,
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
): ConfigProblem {
  // An unrecognised key is reported on its parent; point the path (and line) at the key itself.
  const path =
    issue.code === 'unrecognized_keys' && issue.keys.length === 1
      ? [...issue.path, issue.keys[0] as string]
      : issue.path;
  return { path: formatPath(path), message: issue.message, line: lineOf(doc, path, lineCounter) };
}

/** The line of the deepest node on `path` that exists in the document. */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
  lineCounter: LineCounter,
): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth) as Array<string | number>;
    const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
    const parent = depth > 0 ? doc.getIn(keys.slice(0, -1), true) : undefined;
    // For a key of a mapping, prefer the key's own position (the value may be missing).
    if (isMap(parent)) {
      const pair = parent.items.find(
        (item) => String((item.key as { value?: unknown })?.value) === String(keys.at(-1)),
      );
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

/** Read and validate a configuration file; a missing or unreadable file is a {@link ConfigError} too. */
export async function loadConfig(file = DEFAULT_CONFIG_PATH): Promise<SentinelConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(file, [{ path: '(file)', message: reason }], { cause: error });
  }
  return parseConfig(text, file);
}
