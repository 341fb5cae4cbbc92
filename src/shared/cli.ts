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

/** The options of an AWS-facing command: where AWS is and as whom (`withAwsOptions` in cli-options.ts). */
export interface AwsCommandOptions {
  region?: string | undefined;
  profile?: string | undefined;
  endpointUrl?: string | undefined;
}

/** The options of a command that uses the deployed table (`withTableOptions` in cli-options.ts). */
export interface TableCommandOptions {
  stage: string;
  table?: string | undefined;
}

/** The deployed single table of `--stage` (serverless.yml names it `ecr-sentinel-STAGE`), unless `--table`. */
export function commandTableName(options: TableCommandOptions): string {
  return options.table ?? `ecr-sentinel-${options.stage}`;
}

/** What every SDK client of a command is built with (spread into the client's configuration). */
export interface CommandClientBase {
  region: string;
  /** `--profile`: credentials and settings of that profile (also AWS_PROFILE for this process, see below). */
  profile?: string;
  endpoint?: string;
}

/**
 * Where a command's clients go and as whom, resolved as the AWS CLI does:
 * - the Region: `--region`, else AWS_REGION, else AWS_DEFAULT_REGION (the AWS CLI reads it, the JS SDK does
 *   not), else the `region` of the profile in the shared config files, read by the SDK's own loader (the
 *   profile: `--profile`, else AWS_PROFILE, else `default`; the files: AWS_CONFIG_FILE and
 *   AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials). None of them: a
 *   {@link UsageError} naming the three ways to set one, never a Region picked silently.
 * - `--profile P`: that profile's credentials and settings. As with the AWS CLI it wins over AWS_PROFILE and
 *   over AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: it becomes AWS_PROFILE for this process (and those keys are
 *   dropped), so every client of the command, also those composed from part of this base, uses it. A profile
 *   in neither file is a {@link UsageError}.
 * - `--endpoint-url`: every client's endpoint (else the SDK's: AWS_ENDPOINT_URL, else AWS's).
 * The SDK's loader is imported here, on use: `--help` and offline commands never load it.
 */
export async function awsClientBase(options: AwsCommandOptions): Promise<CommandClientBase> {
  const settings = awsSettings(options);
  if (settings.profile !== undefined) await requireProfile(settings.profile);
  const region = settings.region ?? (await profileRegion(settings.profile));
  return withSettings(region, settings);
}

function withSettings(region: string, settings: AwsSettings): CommandClientBase {
  return {
    region,
    ...(settings.profile === undefined ? {} : { profile: settings.profile }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
  };
}

interface AwsSettings {
  region?: string;
  profile?: string;
  endpoint?: string;
}

/** An AWS Region's name as the SDK accepts it in a host name: a DNS label (us-east-1, eu-central-2, …). */
const REGION_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What the options and the environment say without reading a file; validated, each problem naming where the
 * bad value came from. `--profile` is applied to this process's environment here (see {@link awsClientBase}).
 */
function awsSettings(options: AwsCommandOptions): AwsSettings {
  const env = process.env;
  const given = (value: string | undefined) =>
    value === undefined || value.trim() === '' ? undefined : value;
  const sources: [string, string | undefined][] = [
    ['--region', options.region],
    ['AWS_REGION', given(env.AWS_REGION)],
    ['AWS_DEFAULT_REGION', given(env.AWS_DEFAULT_REGION)],
  ];
  const [source, region] = sources.find(([, value]) => value !== undefined) ?? [];
  if (source !== undefined && region !== undefined) checkRegion(region, source);
  if (options.endpointUrl !== undefined) checkEndpoint(options.endpointUrl);
  if (options.profile !== undefined) {
    if (options.profile.trim() === '') throw new UsageError('--profile: expected a profile name');
    env.AWS_PROFILE = options.profile;
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    delete env.AWS_SESSION_TOKEN;
  }
  return {
    ...(region === undefined ? {} : { region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.endpointUrl === undefined ? {} : { endpoint: options.endpointUrl }),
  };
}

function checkRegion(region: string, source: string): void {
  if (!REGION_PATTERN.test(region))
    throw new UsageError(`${source}: "${region}" is not an AWS Region name such as eu-west-1`);
}

function checkEndpoint(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    throw new UsageError(
      `--endpoint-url: expected an http(s) URL such as http://127.0.0.1:4566, got "${url}"`,
    );
}

/** The shared config file the SDK reads (for messages). */
function configFilePath(): string {
  return process.env.AWS_CONFIG_FILE ?? '~/.aws/config';
}

/** `--profile P` names a profile of the shared config or credentials file, or is a {@link UsageError}. */
async function requireProfile(profile: string): Promise<void> {
  const { loadSharedConfigFiles } = await import('@smithy/core/config');
  const { configFile, credentialsFile } = await loadSharedConfigFiles();
  if (configFile[profile] === undefined && credentialsFile[profile] === undefined)
    throw new UsageError(
      `--profile: no profile "${profile}" in ${configFilePath()} or ${process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'}`,
    );
}

/** The profile's `region`, as the SDK's clients read it when given none; none: the {@link UsageError}. */
async function profileRegion(profile: string | undefined): Promise<string> {
  const { getProfileName, loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } =
    await import('@smithy/core/config');
  const init = { ...NODE_REGION_CONFIG_FILE_OPTIONS, ...(profile === undefined ? {} : { profile }) };
  const name = getProfileName(init);
  let region: string | undefined;
  try {
    region = await loadConfig(NODE_REGION_CONFIG_OPTIONS, init)();
  } catch {
    region = undefined;
  }
  if (region === undefined || region.trim() === '')
    throw new UsageError(
      `no AWS Region: give --region REGION, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in profile "${name}" of ${configFilePath()} (aws configure set region REGION${name === 'default' ? '' : ` --profile ${name}`})`,
    );
  checkRegion(region, `region of profile "${name}" in ${configFilePath()}`);
  return region;
}
