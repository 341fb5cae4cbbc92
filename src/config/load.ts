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
  isAliasLimitProblem,
  nestingProblem,
  readBounded,
  sizeProblem,
} from './limits.ts';
import { configErrorMap, didYouMean, knownKeysAt } from './messages.ts';
import { type SentinelConfig, sentinelConfigSchema } from './schema.ts';
import { configWarnings } from './warnings.ts';

export { DEFAULT_CONFIG_PATH };

/** One problem in a configuration file: where it is and what was expected. */
export interface ConfigProblem {
  /** Key path such as `environments[2].name`, or `(file)` for problems with the file as a whole. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** 1-based column of the key or value the problem is about, when known. */
  column?: number;
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

/** A parsed document and a way to find where a key path is in it. */
interface Analysis {
  config: SentinelConfig | undefined;
  errors: ConfigProblem[];
  /** Line and column of the deepest node on a key path; undefined when the text did not parse. */
  locate?: (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;
}

/** Problems in the order of the file: by line, then column; unlocated ones (the file as a whole) first. */
function byPosition(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/**
 * Every problem of configuration text that can be found in one pass. YAML that does not parse (or would cost
 * too much to compose) stops there; otherwise duplicate keys and every schema issue are reported together.
 */
function analyse(text: string): Analysis {
  // Text that did not come through loadConfig is held to the same limit.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > CONFIG_LIMITS.maxBytes) return { config: undefined, errors: [sizeProblem(bytes)] };
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const tooDeep = nestingProblem(tokens, lineCounter);
  if (tooDeep) return { config: undefined, errors: [tooDeep] };
  // What parseDocument does, on tokens already checked. Its duplicate-key check is quadratic in the keys of a
  // mapping (minutes for 1 MB of keys), so documentProblems does that instead.
  const docs = Array.from(new Composer({ uniqueKeys: false }).compose(tokens, true, text.length));
  const doc = docs[0] as Document.Parsed;
  if (docs.length > 1) {
    const second = at(docs[1]?.range[0] ?? 0);
    return {
      config: undefined,
      errors: [
        {
          path: '(yaml)',
          ...second,
          message: 'a second YAML document (after ---); the configuration is one document',
        },
      ],
    };
  }
  if (doc.errors.length > 0) {
    return {
      config: undefined,
      errors: byPosition(
        doc.errors.map((e) => ({
          path: '(yaml)',
          message: e.message.split('\n')[0] ?? e.message,
          ...at(e.pos[0]),
        })),
      ),
    };
  }
  const structural = documentProblems(doc, lineCounter);
  // An alias over the limit is the one structural problem that stops: expanding it is the harm.
  if (structural.some(isAliasLimitProblem)) {
    return { config: undefined, errors: structural };
  }
  const locate = (path: readonly PropertyKey[]) => {
    const offset = offsetOf(doc, path);
    return offset === undefined ? undefined : at(offset);
  };
  // documentProblems has bounded alias expansion, naming the line; the library's own count (maxAliasCount) would
  // refuse a different, unlocated set of documents, so it is off.
  const raw: unknown = doc.toJS({ maxAliasCount: -1 });
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      config: undefined,
      errors: [{ path: '(file)', message: 'expected a YAML mapping with at least `version: 1`' }],
      locate,
    };
  }
  // Parsed once per process: zod's fast path compiles a parser per object schema first (new Function), which
  // costs a one-off parse more than it saves (~20 ms of every CLI command and cold start, measured).
  const result = sentinelConfigSchema.safeParse(raw, { error: configErrorMap, jitless: true });
  const errors = [...structural];
  if (!result.success) {
    for (const issue of result.error.issues) errors.push(...toProblems(issue, locate));
  }
  return {
    config: result.success && structural.length === 0 ? result.data : undefined,
    errors: byPosition(errors),
    locate,
  };
}

/**
 * Parse and validate configuration text. Throws {@link ConfigError} naming every bad key with its line.
 * @param text YAML text of sentinel.config.yml
 * @param file name used in error messages
 */
export function parseConfig(text: string, file = DEFAULT_CONFIG_PATH): SentinelConfig {
  const { config, errors } = analyse(text);
  if (!config) throw new ConfigError(file, errors);
  return config;
}

/** What `config validate` reports of a file: the configuration when valid, every error, every warning. */
export interface ConfigCheck {
  config: SentinelConfig | undefined;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
  /** The file could not be read at all (missing, a directory, no permission): nothing was checked. */
  unreadable: boolean;
}

/**
 * Check configuration text: its errors and, when it is valid, its warnings ({@link configWarnings}), each with
 * line and column, sorted by position.
 * @param now the moment exception expiry is judged at
 */
export function checkConfigText(text: string, now: Date): ConfigCheck {
  const { config, errors, locate } = analyse(text);
  const warnings = config
    ? byPosition(
        configWarnings(config, now).map((w) => ({
          path: formatPath(w.path),
          message: w.message,
          ...locate?.(w.path),
        })),
      )
    : [];
  return { config, errors, warnings, unreadable: false };
}

/**
 * {@link checkConfigText} for a file, read with the limits of {@link loadConfig}; a file that cannot be read is
 * one error and `unreadable`.
 */
export async function checkConfigFile(file: string, now: Date): Promise<ConfigCheck> {
  try {
    return checkConfigText(await readConfigText(file), now);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { config: undefined, errors: error.problems, warnings: [], unreadable: error.unreadable };
  }
}

/**
 * zod's issue as located problems. An unknown key is reported at the key itself (one problem per key, with the
 * closest key the schema knows at that place); zod reports it on the mapping that holds it.
 */
function toProblems(issue: z.core.$ZodIssue, locate: NonNullable<Analysis['locate']>): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(sentinelConfigSchema, issue.path);
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return {
        path: formatPath(path),
        message: `unknown key "${key}"${didYouMean(key, known)}`,
        ...locate(path),
      };
    });
  }
  return [{ path: formatPath(issue.path), message: issue.message, ...locate(issue.path) }];
}

/** The offset of the deepest node on `path` that exists in the document (a mapping key's own, if a key). */
function offsetOf(doc: Document.Parsed, path: readonly PropertyKey[]): number | undefined {
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
      if (range) return range[0];
    }
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return range[0];
  }
  return undefined;
}

/**
 * The text of a configuration file, read with the limits: over {@link CONFIG_LIMITS.maxBytes} refused before it
 * is read, not UTF-8 refused before it is parsed; missing or unreadable is a {@link ConfigError} marked
 * `unreadable`.
 */
export async function readConfigText(file: string): Promise<string> {
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
  return text;
}

/**
 * Read and validate a configuration file; a missing or unreadable file is a {@link ConfigError} too (marked
 * `unreadable`). A file over {@link CONFIG_LIMITS.maxBytes} is refused before it is read, and one that is not
 * UTF-8 before it is parsed.
 */
export async function loadConfig(file = DEFAULT_CONFIG_PATH): Promise<SentinelConfig> {
  return parseConfig(await readConfigText(file), file);
}
