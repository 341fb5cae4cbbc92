import { Composer, type Document, isMap, LineCounter, Parser } from 'yaml';
import type * as z from 'zod';
import { SentinelError } from '../shared/errors.ts';
import { DEFAULT_CONFIG_PATH } from './default-path.ts';
import {
  boundedProblems,
  CONFIG_LIMITS,
  decodeUtf8,
  documentProblems,
  formatPath,
  nestingProblem,
  readBounded,
  sizeProblem,
} from './limits.ts';
import { type SentinelConfig, sentinelConfigSchema } from './schema.ts';

export { DEFAULT_CONFIG_PATH };

/** One problem in a configuration file: where it is and what was expected. */
export interface ConfigProblem {
  /** Key path such as `environments[2].name`, or `(file)` for problems with the file as a whole. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
}

/**
 * A configuration file that could not be read or does not validate; `problems` lists every issue found.
 * `unreadable` marks a file that is missing or cannot be opened: a missing prerequisite, not an invalid file.
 */
export class ConfigError extends SentinelError {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
    options?: { cause?: unknown; unreadable?: boolean },
  ) {
    super(`${file} is not a valid ecr-sentinel configuration:\n${formatProblems(problems)}`, {
      retryable: false,
      cause: options?.cause,
    });
    this.name = 'ConfigError';
    this.unreadable = options?.unreadable === true;
  }

  readonly unreadable: boolean;
}

/**
 * One line per problem, `line N: path: message`, bounded: at most {@link CONFIG_LIMITS.maxPrintedProblems}
 * lines of limited length, then how many more there are.
 */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const { shown, omitted } = boundedProblems(problems);
  const lines = shown.map(
    (p) => `  ${p.line === undefined ? '' : `line ${p.line}: `}${p.path}: ${p.message}`,
  );
  if (omitted > 0) lines.push(`  … and ${omitted} more problem${omitted === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/**
 * Parse and validate configuration text. Throws {@link ConfigError} naming every bad key with its line.
 * @param text YAML text of sentinel.config.yml
 * @param file name used in error messages
 */
export function parseConfig(text: string, file = DEFAULT_CONFIG_PATH): SentinelConfig {
  // Text that did not come through loadConfig is held to the same limit.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > CONFIG_LIMITS.maxBytes) throw new ConfigError(file, [sizeProblem(bytes)]);
  const lineCounter = new LineCounter();
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const tooDeep = nestingProblem(tokens, lineCounter);
  if (tooDeep) throw new ConfigError(file, [tooDeep]);
  // What parseDocument does, on tokens already checked. Its duplicate-key check is quadratic in the keys of a
  // mapping (minutes for 1 MB of keys), so documentProblems does that instead.
  const docs = Array.from(new Composer({ uniqueKeys: false }).compose(tokens, true, text.length));
  const doc = docs[0] as Document.Parsed;
  if (docs.length > 1) {
    throw new ConfigError(file, [
      {
        path: '(yaml)',
        line: lineCounter.linePos(docs[1]?.range[0] ?? 0).line,
        message: 'a second YAML document (after ---); the configuration is one document',
      },
    ]);
  }
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
  const structural = documentProblems(doc, lineCounter);
  if (structural.length > 0) throw new ConfigError(file, structural);
  // documentProblems has bounded alias expansion, naming the line; the library's own count (maxAliasCount) would
  // refuse a different, unlocated set of documents, so it is off.
  const raw: unknown = doc.toJS({ maxAliasCount: -1 });
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

function toProblem(issue: z.core.$ZodIssue, doc: Document.Parsed, lineCounter: LineCounter): ConfigProblem {
  // An unrecognised key is reported on its parent; point the path (and line) at the key itself.
  const path =
    issue.code === 'unrecognized_keys' && issue.keys.length === 1
      ? [...issue.path, issue.keys[0] as string]
      : issue.path;
  return { path: formatPath(path), message: issue.message, line: lineOf(doc, path, lineCounter) };
}

/** The line of the deepest node on `path` that exists in the document. */
function lineOf(
  doc: Document.Parsed,
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

/**
 * Read and validate a configuration file; a missing or unreadable file is a {@link ConfigError} too (marked
 * `unreadable`). A file over {@link CONFIG_LIMITS.maxBytes} is refused before it is read, and one that is not
 * UTF-8 before it is parsed.
 */
export async function loadConfig(file = DEFAULT_CONFIG_PATH): Promise<SentinelConfig> {
  let bytes: Awaited<ReturnType<typeof readBounded>>;
  try {
    bytes = await readBounded(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(file, [{ path: '(file)', message: reason }], { cause: error, unreadable: true });
  }
  if (!(bytes instanceof Uint8Array)) throw new ConfigError(file, [bytes]);
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') throw new ConfigError(file, [text]);
  return parseConfig(text, file);
}
