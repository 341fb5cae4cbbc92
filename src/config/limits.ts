import { open } from 'node:fs/promises';
import {
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node as YamlNode,
} from 'yaml';
import type { ConfigProblem } from './load.ts';

/**
 * What a configuration file may cost us. sentinel.config.yml is loaded by every command and at every cold start,
 * so hostile or accidental input (a generated file, an alias bomb, a binary) must fail fast with a clear message
 * instead of eating the Lambda's time and memory or flooding a terminal.
 */
export const CONFIG_LIMITS = {
  /** A real configuration is a few kB; a parse of 1 MB takes seconds on a small Lambda. */
  maxBytes: 1024 * 1024,
  /** Real configurations nest about 5 deep; the YAML composer recurses and overflows somewhere past 1000. */
  maxDepth: 64,
  /** Values that aliases may add by expansion: enough for any sensible reuse, far below a "billion laughs". */
  maxAliasValues: 10_000,
  /** Problems printed before the rest are only counted. */
  maxPrintedProblems: 50,
  /** Characters of a problem's path or message printed; a value can be as long as the file. */
  maxProblemChars: 200,
} as const;

/** `1.05 MB`: two decimals, so a file just over the limit does not read as "1.0 MB; at most 1.0 MB". */
function megabytes(bytes: number): string {
  return `${Number((bytes / (1024 * 1024)).toFixed(2))} MB`;
}

/** The problem of a file over {@link CONFIG_LIMITS.maxBytes}; `bytes` undefined when only "more than" is known. */
export function sizeProblem(bytes: number | undefined): ConfigProblem {
  const size = bytes === undefined ? 'more than 1 MB' : `${megabytes(bytes)} (${bytes} bytes)`;
  return {
    path: '(file)',
    message: `file is ${size}; a configuration may be at most ${megabytes(CONFIG_LIMITS.maxBytes)} (${CONFIG_LIMITS.maxBytes} bytes)`,
  };
}

/**
 * Read at most {@link CONFIG_LIMITS.maxBytes} of a file. A regular file's size is checked before anything is
 * read; for anything else (a pipe, a device) reading stops one byte past the limit.
 * @returns the bytes, or the size problem
 */
export async function readBounded(file: string): Promise<Uint8Array | ConfigProblem> {
  const handle = await open(file, 'r');
  try {
    const stats = await handle.stat();
    if (stats.isFile() && stats.size > CONFIG_LIMITS.maxBytes) return sizeProblem(stats.size);
    const buffer = Buffer.alloc(CONFIG_LIMITS.maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return length > CONFIG_LIMITS.maxBytes ? sizeProblem(undefined) : buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * Offset of the first byte that starts an ill-formed UTF-8 sequence (Unicode Table 3-7, which is what a fatal
 * TextDecoder enforces), or -1 when the bytes are well formed.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let continuations: number;
    // The second byte's range is narrower after some lead bytes: no overlong forms, surrogates or > U+10FFFF.
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) continuations = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      continuations = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuations = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= continuations; k++) {
      const byte = bytes[i + k];
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += continuations + 1;
  }
  return -1;
}

/**
 * Decode a configuration file's bytes as UTF-8, refusing anything else (a Latin-1 `é` would otherwise become
 * U+FFFD silently and surface as a baffling "invalid repository name").
 * @returns the text, or the problem naming the first bad byte, its offset and line
 */
export function decodeUtf8(bytes: Uint8Array): string | ConfigProblem {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = Math.max(0, firstInvalidUtf8Offset(bytes));
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line += 1;
    const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    return {
      path: '(file)',
      line,
      message: `not UTF-8: byte 0x${byte} at byte offset ${offset} is not valid UTF-8; save the file as UTF-8`,
    };
  }
}

/**
 * The first collection nested deeper than {@link CONFIG_LIMITS.maxDepth}, found on the parser's tokens before
 * the (recursive) composer sees them. Iterative, so the check itself cannot overflow the stack.
 */
export function nestingProblem(
  tokens: readonly CST.Token[],
  lineCounter: LineCounter,
): ConfigProblem | undefined {
  const stack: Array<[CST.Token, number]> = [];
  for (const token of tokens) if (token.type === 'document' && token.value) stack.push([token.value, 0]);
  while (stack.length > 0) {
    const [token, outer] = stack.pop() as [CST.Token, number];
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')
      continue;
    const depth = outer + 1;
    if (depth > CONFIG_LIMITS.maxDepth) {
      return {
        path: '(yaml)',
        line: lineCounter.linePos(token.offset).line,
        message: `nested more than ${CONFIG_LIMITS.maxDepth} levels deep; at most ${CONFIG_LIMITS.maxDepth}`,
      };
    }
    for (const item of token.items) {
      if (item.key) stack.push([item.key, depth]);
      if (item.value) stack.push([item.value, depth]);
    }
  }
  return undefined;
}

type KeyPath = ReadonlyArray<string | number>;

const ALIAS_LIMIT = 'too many alias expansions';

/** True for the problem {@link documentProblems} stops at: aliases over the limit (the value must not be built). */
export function isAliasLimitProblem(problem: ConfigProblem): boolean {
  return problem.message.startsWith(ALIAS_LIMIT);
}

/** `environments[2].name` style path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(top level)';
}

/**
 * Walk the composed document once, in document order and without recursion, for what the YAML library would let
 * through: keys that appear twice in a mapping (its own check is quadratic, so it is off) and aliases that
 * expand to more than {@link CONFIG_LIMITS.maxAliasValues} values. An alias's cost is the number of values its
 * anchor expands to, aliases inside it included, so "billion laughs" is caught at the alias where the total
 * passes the limit, with its line.
 * @returns every duplicate key, or the one alias that went over the limit
 */
export function documentProblems(doc: Document, lineCounter: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const positionAt = (node: unknown): { line: number; column: number } | undefined => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (!range) return undefined;
    const { line, col } = lineCounter.linePos(range[0]);
    return { line, column: col };
  };
  const lineAt = (node: unknown): number | undefined => positionAt(node)?.line;
  // Values each finished node expands to; an anchor defined later with the same name replaces the earlier one.
  const size = new Map<YamlNode, number>();
  const anchors = new Map<string, YamlNode>();
  let aliasValues = 0;
  type Entry = { node: unknown; path: KeyPath; done: boolean };
  const stack: Entry[] = [{ node: doc.contents, path: [], done: false }];
  const valuesOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      // An alias inside its own anchor is not finished yet; it counts as one value.
      return (target && size.get(target)) ?? 1;
    }
    return size.get(node as YamlNode) ?? 1;
  };
  while (stack.length > 0) {
    const entry = stack.pop() as Entry;
    const { node, path } = entry;
    if (isMap(node) || isSeq(node)) {
      if (entry.done) {
        let total = 1;
        for (const item of node.items) {
          if (isMap(node)) {
            const pair = item as { key: unknown; value: unknown };
            total += valuesOf(pair.key) + valuesOf(pair.value);
          } else total += valuesOf(item);
        }
        size.set(node, total);
        continue;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      stack.push({ ...entry, done: true });
      const children: Entry[] = [];
      if (isMap(node)) {
        const seen = new Map<string, number | undefined>();
        for (const pair of node.items) {
          const keyNode = isAlias(pair.key) ? anchors.get(pair.key.source) : pair.key;
          const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
          if (key !== undefined) {
            if (seen.has(key)) {
              const first = seen.get(key);
              problems.push({
                path: formatPath([...path, key]),
                ...positionAt(pair.key),
                message: `key appears more than once in this mapping${first === undefined ? '' : ` (first on line ${first})`}`,
              });
            } else seen.set(key, lineAt(pair.key));
          }
          const childPath = [...path, key ?? '(key)'];
          children.push({ node: pair.key, path: childPath, done: false });
          children.push({ node: pair.value, path: childPath, done: false });
        }
      } else {
        node.items.forEach((item, index) => {
          children.push({ node: item, path: [...path, index], done: false });
        });
      }
      // Reversed onto the stack so they are popped, and anchors defined, in document order.
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Entry);
    } else if (isAlias(node)) {
      aliasValues += valuesOf(node);
      if (aliasValues > CONFIG_LIMITS.maxAliasValues) {
        return [
          {
            path: formatPath(path),
            line: lineAt(node),
            message:
              `${ALIAS_LIMIT} (YAML anchors, at *${node.source}): the aliases so far expand to ` +
              `${aliasValues} values; at most ${CONFIG_LIMITS.maxAliasValues}`,
          },
        ];
      }
    } else if (isScalar(node)) {
      if (node.anchor) anchors.set(node.anchor, node);
    }
  }
  // A mapping's duplicates are found before its children's: report them in the order of the file.
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function clip(text: string): string {
  return text.length > CONFIG_LIMITS.maxProblemChars
    ? `${text.slice(0, CONFIG_LIMITS.maxProblemChars)}… (${text.length} characters)`
    : text;
}

/**
 * The problems worth printing: the first {@link CONFIG_LIMITS.maxPrintedProblems}, each path and message cut to
 * {@link CONFIG_LIMITS.maxProblemChars}, and how many were left out, so a huge bad file gets a short answer.
 */
export function boundedProblems(problems: readonly ConfigProblem[]): {
  shown: ConfigProblem[];
  omitted: number;
} {
  const shown = problems
    .slice(0, CONFIG_LIMITS.maxPrintedProblems)
    .map((p) => ({ ...p, path: clip(p.path), message: clip(p.message) }));
  return { shown, omitted: problems.length - shown.length };
}
