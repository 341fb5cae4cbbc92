/**
 * Reading serverless.yml: YAML with CloudFormation short tags, then Serverless variables (`${opt:…}`,
 * `${self:…}`, `${env:…}`, `${sls:…}`, `${aws:…}`, `${file(path):address}`). CloudFormation `${AWS::Region}` /
 * `${Logical.Attr}` placeholders (for `Fn::Sub`) are left alone, as the Serverless Framework does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, resolve as resolvePath } from 'node:path';
import { parse, YAMLMap } from 'yaml';

/** serverless.yml could not be read or resolved; the message names the key or variable. */
export class ServerlessConfigError extends Error {
  override readonly name = 'ServerlessConfigError';
}

const INTRINSICS = [
  'Ref',
  'Condition',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'Base64',
  'ImportValue',
  'GetAZs',
  'Cidr',
  'Transform',
] as const;

type CustomTag = {
  tag: string;
  collection?: 'map' | 'seq';
  resolve: (value: never) => unknown;
};

function cloudFormationTags(): CustomTag[] {
  const tags: CustomTag[] = [];
  for (const name of INTRINSICS) {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    tags.push({
      tag: `!${name}`,
      resolve: (value: string) => {
        if (name === 'GetAtt') {
          const dot = value.indexOf('.');
          return { [key]: dot > 0 ? [value.slice(0, dot), value.slice(dot + 1)] : value };
        }
        return { [key]: value };
      },
    });
    for (const collection of ['seq', 'map'] as const) {
      tags.push({
        tag: `!${name}`,
        collection,
        resolve: (node: unknown) => {
          const map = new YAMLMap();
          map.set(key, node);
          return map;
        },
      });
    }
  }
  return tags;
}

/**
 * Parse YAML text, turning CloudFormation short tags into their long forms (`!Ref X` → `{ Ref: 'X' }`), with `<<`
 * merge keys as the Serverless Framework's YAML reader (js-yaml) has them.
 */
export function parseCloudFormationYaml(text: string, source = 'serverless.yml'): unknown {
  try {
    return parse(text, { customTags: cloudFormationTags() as never, merge: true, prettyErrors: true });
  } catch (error) {
    throw new ServerlessConfigError(`${source}: invalid YAML: ${(error as Error).message}`, { cause: error });
  }
}

export interface VariableOptions {
  stage: string;
  region: string;
  accountId: string;
  env: NodeJS.ProcessEnv;
  /** Where `${file(…)}` paths are resolved: the directory of serverless.yml (default: the current directory). */
  serviceDir?: string;
}

/** `${source:address}`: a Serverless variable (source followed by one colon), not a CloudFormation `${AWS::X}`. */
const VARIABLE_SOURCE = /^\s*([A-Za-z][\w-]*)(\([^)]*\))?:(?!:)/;
/** `${file(path)}` and `${file(path):address}`: the one source that may stand without a colon. */
const FILE_SOURCE = /^\s*file\(([^)]*)\)\s*(?::(.*))?$/s;

function isVariable(inner: string): boolean {
  return VARIABLE_SOURCE.test(inner) || FILE_SOURCE.test(inner);
}

const requireFile = createRequire(import.meta.url);

/** Run `work` with `env` as the process environment (what `${file(x.js)}` functions read), then restore it. */
function withEnvironment<T>(env: NodeJS.ProcessEnv, work: () => T): T {
  if (env === process.env) return work();
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || process.env[key] === value) continue;
    saved.set(key, process.env[key]);
    process.env[key] = value;
  }
  try {
    return work();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathLabel(path: Array<string | number>): string {
  return path.reduce<string>(
    (label, part) => (typeof part === 'number' ? `${label}[${part}]` : label ? `${label}.${part}` : part),
    '',
  );
}

/** Split `a, 'b, c'` at top-level commas (outside quotes and nested `${}`). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '{') depth++;
    else if (char === '}') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim());
}

/**
 * Resolve every Serverless variable in a parsed serverless.yml. `${self:a.b}` reads the (resolved) document;
 * a string that is exactly one variable takes the variable's value as is (object, number…).
 */
export function resolveServerlessVariables(
  document: unknown,
  options: VariableOptions,
): Record<string, unknown> {
  if (!isPlainObject(document))
    throw new ServerlessConfigError('serverless.yml: the document must be a mapping');
  const resolving = new Set<string>();

  const lookupSelf = (address: string, at: string): unknown => {
    const parts = address.split('.').filter((part) => part !== '');
    if (resolving.has(address)) {
      throw new ServerlessConfigError(
        `serverless.yml: ${at}: circular reference through \${self:${address}}`,
      );
    }
    resolving.add(address);
    try {
      let node: unknown = document;
      const path: Array<string | number> = [];
      for (const part of parts) {
        path.push(part);
        if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
        else if (isPlainObject(node)) node = node[part];
        else return undefined;
        if (typeof node === 'string') node = resolveString(node, path);
      }
      return resolveNode(node, [...path]);
    } finally {
      resolving.delete(address);
    }
  };

  const fileContents = new Map<string, { value: unknown; byFunction: boolean }>();
  const serviceDir = options.serviceDir ?? process.cwd();
  const functionArguments = () => ({
    options: { stage: options.stage, region: options.region },
    // Serverless's resolvers are asynchronous: a file function that awaits them is rejected below.
    resolveVariable: (text: string) => Promise.resolve(evaluate(text, [])),
    resolveConfigurationProperty: (keys: string[]) => Promise.resolve(lookupSelf(keys.join('.'), 'file')),
  });
  const callFileFunction = (fn: (...args: unknown[]) => unknown, label: string, at: string): unknown => {
    let result: unknown;
    try {
      result = withEnvironment(options.env, () => fn(functionArguments()));
    } catch (error) {
      throw new ServerlessConfigError(
        `serverless.yml: ${at}: ${label}: the exported function failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (isPromise(result)) {
      result.catch(() => {});
      throw new ServerlessConfigError(
        `serverless.yml: ${at}: ${label}: the exported function returned a promise; the local runtime resolves files synchronously`,
      );
    }
    return result;
  };

  /** `${file(path):address}` as the Serverless Framework (v3/osls) resolves it; undefined when the file is missing. */
  const readFileVariable = (
    given: string,
    address: string,
    at: string,
    path: Array<string | number>,
  ): unknown => {
    const relative = given.replace(/^(['"])(.*)\1$/, '$2');
    if (!relative) throw new ServerlessConfigError(`serverless.yml: ${at}: \${file()} needs a path`);
    const file = resolvePath(serviceDir, relative);
    const label = `file(${relative})`;
    let content = fileContents.get(file);
    if (!content) {
      const extension = extname(file);
      let value: unknown;
      let byFunction = false;
      if (extension === '.js' || extension === '.cjs') {
        let exported: unknown;
        try {
          exported = requireFile(file);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && !existsSync(file))
            return undefined;
          throw new ServerlessConfigError(
            `serverless.yml: ${at}: cannot load ${label}: ${(error as Error).message}`,
            { cause: error },
          );
        }
        if (typeof exported === 'function') {
          byFunction = true;
          value = callFileFunction(exported as (...args: unknown[]) => unknown, label, at);
        } else value = exported;
      } else {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw new ServerlessConfigError(
            `serverless.yml: ${at}: cannot read ${label}: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        if (extension === '.yml' || extension === '.yaml') value = parseCloudFormationYaml(text, relative);
        else if (extension === '.json') {
          try {
            value = JSON.parse(text);
          } catch (error) {
            throw new ServerlessConfigError(
              `serverless.yml: ${at}: ${label}: invalid JSON: ${(error as Error).message}`,
              { cause: error },
            );
          }
        } else value = text;
      }
      content = { value, byFunction };
      fileContents.set(file, content);
    }
    let value = content.value;
    let byFunction = content.byFunction;
    if (address) {
      for (const key of address.split('.')) {
        if (typeof value === 'string') value = resolveString(value, path);
        if (value === null || value === undefined || typeof value !== 'object') return undefined;
        value = (value as Record<string, unknown>)[key];
        if (value === null || value === undefined) return undefined;
        if (!byFunction && typeof value === 'function') {
          byFunction = true;
          value = callFileFunction(value as (...args: unknown[]) => unknown, `${label}:${address}`, at);
        }
      }
    }
    // Variables inside the file's content resolve like those of serverless.yml itself.
    return resolveNode(value, path);
  };

  const literal = (text: string, path: Array<string | number>): unknown => {
    const trimmed = text.trim();
    if (/^'.*'$/s.test(trimmed) || /^".*"$/s.test(trimmed)) return trimmed.slice(1, -1);
    if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
    if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
    if (trimmed === 'null') return null;
    if (isVariable(trimmed)) return evaluate(trimmed, path);
    throw new ServerlessConfigError(
      `serverless.yml: ${pathLabel(path)}: cannot read fallback value ${JSON.stringify(trimmed)} (quote strings)`,
    );
  };

  /** Evaluate the inside of one `${…}` (no nested `${` left). */
  const evaluate = (inner: string, path: Array<string | number>): unknown => {
    const [reference = '', ...fallbacks] = splitTopLevel(inner);
    const at = pathLabel(path);
    const fileMatch = FILE_SOURCE.exec(reference);
    const match = fileMatch ? null : VARIABLE_SOURCE.exec(reference);
    if (!fileMatch && !match) return literal(reference, path);
    const source = fileMatch ? 'file' : (match?.[1] as string);
    const address = fileMatch ? (fileMatch[2] ?? '').trim() : reference.slice(match?.[0].length).trim();
    let value: unknown;
    switch (fileMatch ? 'file' : source) {
      case 'file':
        value = readFileVariable((fileMatch?.[1] ?? '').trim(), address, at, path);
        break;
      case 'opt':
        value = address === 'stage' ? options.stage : address === 'region' ? options.region : undefined;
        break;
      case 'sls':
        if (address === 'stage') value = options.stage;
        else if (address === 'instanceId') value = 'local';
        else
          throw new ServerlessConfigError(`serverless.yml: ${at}: unsupported variable \${sls:${address}}`);
        break;
      case 'aws':
        if (address === 'region') value = options.region;
        else if (address === 'accountId') value = options.accountId;
        else
          throw new ServerlessConfigError(`serverless.yml: ${at}: unsupported variable \${aws:${address}}`);
        break;
      case 'env':
        value = options.env[address];
        break;
      case 'self':
        value = lookupSelf(address, at);
        break;
      default:
        throw new ServerlessConfigError(
          `serverless.yml: ${at}: variable source "${source}${match?.[2] ?? ''}" in \${${inner}} is not supported by the local runtime (supported: opt, self, env, sls, aws, file)`,
        );
    }
    if (value === undefined || value === null) {
      for (const fallback of fallbacks) {
        const fallbackValue = literal(fallback, path);
        if (fallbackValue !== undefined && fallbackValue !== null) return fallbackValue;
      }
      throw new ServerlessConfigError(
        `serverless.yml: ${at}: value not found for \${${inner}} (no such ${source} value and no fallback)`,
      );
    }
    return value;
  };

  const resolveString = (text: string, path: Array<string | number>): unknown => {
    let current: unknown = text;
    for (let guard = 0; guard < 100 && typeof current === 'string'; guard++) {
      const value: string = current;
      // Innermost `${…}` that is a Serverless variable (CloudFormation placeholders are skipped).
      const pattern = /\$\{([^${}]*)\}/g;
      let found: RegExpExecArray | null = null;
      for (let m = pattern.exec(value); m; m = pattern.exec(value)) {
        if (isVariable(m[1] as string)) {
          found = m;
          break;
        }
      }
      if (!found) return value;
      const resolved = evaluate(found[1] as string, path);
      if (found[0].length === value.length) {
        current = resolved;
      } else {
        if (typeof resolved === 'object' && resolved !== null) {
          throw new ServerlessConfigError(
            `serverless.yml: ${pathLabel(path)}: ${found[0]} resolves to an object inside a string`,
          );
        }
        const before = value.slice(0, found.index);
        const nested = (before.match(/\$\{/g)?.length ?? 0) > (before.match(/\}/g)?.length ?? 0);
        const text = String(resolved);
        // Inside another variable (a fallback), the value becomes a quoted literal.
        const replacement = nested ? (text.includes("'") ? `"${text}"` : `'${text}'`) : text;
        current = before + replacement + value.slice(found.index + found[0].length);
      }
    }
    return current;
  };

  const resolveNode = (node: unknown, path: Array<string | number>): unknown => {
    if (typeof node === 'string') return node.includes('${') ? resolveString(node, path) : node;
    if (Array.isArray(node)) return node.map((item, index) => resolveNode(item, [...path, index]));
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) out[key] = resolveNode(value, [...path, key]);
      return out;
    }
    return node;
  };

  return resolveNode(document, []) as Record<string, unknown>;
}
