/**
 * Bundle benchmark: the functions as they are deployed, against a naive bundle, side by side.
 *
 * Packages the service (`serverless package`, so the bundles are exactly what deploys), unzips each function's
 * artifact and prints its code size, gzip size, source map size and cold module init: a fresh `node` process per
 * sample importing the handler module from the unzipped package, as Lambda's runtime does, with the function's
 * environment (NODE_OPTIONS included) from the packaged CloudFormation template. The naive bundle (every SDK client
 * the functions use, @middy/core and the Powertools utilities, imported whole) is built with the same esbuild
 * options (`custom.esbuild`, as serverless-esbuild passes them) and run the same way. The machine is shared and
 * noisy: samples are interleaved across every bundle and variant, and the ratio to the naive bundle is the figure
 * to read, not the milliseconds.
 *
 * The source-map choice is measured too: each bundle runs with `--enable-source-maps` on and off, and with its map
 * and `sourceMappingURL` removed (`sourcemap: none`) under the deployed NODE_OPTIONS.
 *
 *   npx tsx bench/bundles.ts [--samples 11] [--keep]
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import { PROJECT_ROOT } from '../src/shared/project-root.ts';

const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '11' },
    keep: { type: 'boolean', default: false },
  },
});
const SAMPLES = Number(values.samples);
if (!Number.isInteger(SAMPLES) || SAMPLES < 1) throw new Error('--samples must be a positive integer');

const SOURCE_MAPS_FLAG = '--enable-source-maps';
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/**
 * What a handler that imports everything "just in case" costs: each SDK client package the functions use, whole
 * (namespace re-exports keep every command and model), @middy/core and the Powertools utilities.
 */
const NAIVE_HANDLER = `
import * as idempotency from '@aws-lambda-powertools/idempotency';
import * as idempotencyDynamodb from '@aws-lambda-powertools/idempotency/dynamodb';
import * as idempotencyMiddleware from '@aws-lambda-powertools/idempotency/middleware';
import * as logger from '@aws-lambda-powertools/logger';
import * as loggerMiddleware from '@aws-lambda-powertools/logger/middleware';
import * as metrics from '@aws-lambda-powertools/metrics';
import * as metricsMiddleware from '@aws-lambda-powertools/metrics/middleware';
import * as parser from '@aws-lambda-powertools/parser';
import * as parserMiddleware from '@aws-lambda-powertools/parser/middleware';
import * as parserSchemas from '@aws-lambda-powertools/parser/schemas';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as ecr from '@aws-sdk/client-ecr';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import * as documentClient from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';

export const modules = {
  idempotency, idempotencyDynamodb, idempotencyMiddleware, logger, loggerMiddleware, metrics, metricsMiddleware,
  parser, parserMiddleware, parserSchemas, dynamodb, ecr, sns, ssm, documentClient,
};
const region = process.env.AWS_REGION;
export const clients = [
  new dynamodb.DynamoDBClient({ region }), new ecr.ECRClient({ region }), new sns.SNSClient({ region }),
  new ssm.SSMClient({ region }),
];
export const handler = middy().handler(async () => ({}));
`;

/** serverless-esbuild's own keys, which it removes before handing custom.esbuild to esbuild (its bundle.ts). */
const PLUGIN_ONLY_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

type CfnValue =
  | string
  | number
  | { Ref: string }
  | { 'Fn::GetAtt': [string, string] }
  | Record<string, unknown>;

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

interface Bundle {
  name: string;
  /** The unzipped package: Lambda's task root. */
  dir: string;
  /** The handler module, relative to `dir`. */
  module: string;
  env: Record<string, string>;
  zipBytes?: number;
}

type Variant = 'maps off' | 'maps on' | 'no map';

/** A CloudFormation value as a string of the shape the function would see (a table name, a topic ARN…). */
function resolveValue(value: CfnValue, template: Template): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if ('Ref' in value && typeof value.Ref === 'string') {
    const type = template.Resources[value.Ref]?.Type;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:bench-${value.Ref}`;
    if (type === 'AWS::SQS::Queue')
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/bench-${value.Ref}`;
    return `bench-${value.Ref}`;
  }
  if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) {
    const [logicalId, attribute] = value['Fn::GetAtt'];
    return `arn:aws:bench:${REGION}:${ACCOUNT}:${logicalId}/${attribute}`;
  }
  throw new Error(
    `bench/bundles: unsupported CloudFormation value in a function environment: ${JSON.stringify(value)}`,
  );
}

/** What Lambda itself puts in a function's environment (the parts module scope may read). */
function lambdaEnvironment(
  functionName: string,
  memorySize: number,
  taskRoot: string,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    // The SDK warns on Node 20 (this machine) and not on Lambda's Node 22: don't time writing the warning.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

function withSourceMaps(nodeOptions: string, on: boolean): string {
  const rest = nodeOptions.split(/\s+/).filter((o) => o && o !== SOURCE_MAPS_FLAG);
  return (on ? [...rest, SOURCE_MAPS_FLAG] : rest).join(' ');
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const isCode = (file: string) => ['.mjs', '.js', '.cjs'].includes(extname(file));

async function sizes(dir: string) {
  let code = 0;
  let gzip = 0;
  let map = 0;
  for (const file of await filesUnder(dir)) {
    if (file.endsWith('.map')) map += (await stat(file)).size;
    else if (isCode(file)) {
      const bytes = await readFile(file);
      code += bytes.length;
      gzip += gzipSync(bytes).length;
    }
  }
  return { code, gzip, map };
}

/** A copy of the bundle as `sourcemap: none` would build it: no .map, no sourceMappingURL comment. */
async function withoutSourceMap(bundle: Bundle, root: string): Promise<Bundle> {
  const dir = join(root, 'no-map', bundle.name);
  await cp(bundle.dir, dir, { recursive: true });
  for (const file of await filesUnder(dir)) {
    if (file.endsWith('.map')) await rm(file);
    else if (isCode(file)) {
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    }
  }
  return { ...bundle, dir, env: { ...bundle.env, LAMBDA_TASK_ROOT: dir } };
}

/** One cold module init: a fresh process importing the handler module; ms from import() to its settling. */
async function coldInit(bundle: Bundle, nodeOptions: string): Promise<number> {
  const url = pathToFileURL(join(bundle.dir, bundle.module)).href;
  const code = [
    'const t0 = performance.now();',
    `const mod = await import(${JSON.stringify(url)});`,
    'const ms = performance.now() - t0;',
    "if (typeof mod.handler !== 'function') throw new Error('no handler export');",
    'process.stdout.write(String(ms));',
  ].join('\n');
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
      cwd: bundle.dir,
      env: { ...bundle.env, NODE_OPTIONS: nodeOptions },
    });
    return Number(stdout);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`bench/bundles: ${bundle.name} failed to initialise:\n${stderr}`, { cause: error });
  }
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p25: quantile(sorted, 0.25), p75: quantile(sorted, 0.75) };
}

const kB = (bytes: number | undefined) => (bytes === undefined ? '-' : (bytes / 1000).toFixed(0));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'sentinel-bundles-'));
  try {
    // Arrange: package as deployed; unzip each function as Lambda would lay it out in its task root.
    const out = join(root, 'package');
    process.stderr.write('packaging the service (serverless package)…\n');
    await run('npx', ['serverless', 'package', '--stage', 'bench', '--package', out], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
    });
    const template = JSON.parse(
      await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    const state = JSON.parse(await readFile(join(out, 'serverless-state.json'), 'utf8')) as {
      service: {
        custom?: { esbuild?: Record<string, unknown> };
        provider: { environment?: Record<string, string> };
      };
    };

    const bundles: Bundle[] = [];
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const props = resource.Properties as {
        Handler: string;
        MemorySize?: number;
        Code: { S3Key: string };
        Environment?: { Variables?: Record<string, CfnValue> };
      };
      const zip = join(out, basename(props.Code.S3Key));
      const dir = join(root, 'functions', logicalId);
      await mkdir(dir, { recursive: true });
      await run('unzip', ['-q', zip, '-d', dir]);
      const variables = Object.fromEntries(
        Object.entries(props.Environment?.Variables ?? {}).map(([k, v]) => [k, resolveValue(v, template)]),
      );
      const moduleBase = props.Handler.slice(0, props.Handler.lastIndexOf('.'));
      const module = (await filesUnder(dir))
        .map((f) => f.slice(dir.length + 1))
        .find((f) => f.startsWith(`${moduleBase}.`) && isCode(f));
      if (!module) throw new Error(`bench/bundles: no module for handler ${props.Handler} in ${zip}`);
      bundles.push({
        name: basename(moduleBase),
        dir,
        module,
        env: {
          ...lambdaEnvironment(`ecr-sentinel-bench-${logicalId}`, props.MemorySize ?? 1024, dir),
          ...variables,
        },
        zipBytes: (await stat(zip)).size,
      });
    }
    bundles.sort((a, b) => a.name.localeCompare(b.name));

    // The naive bundle, built as serverless-esbuild builds a function from custom.esbuild.
    const custom = state.service.custom?.esbuild ?? {};
    const options = Object.fromEntries(
      Object.entries(custom).filter(([k]) => !PLUGIN_ONLY_OPTIONS.includes(k)),
    ) as BuildOptions;
    const exclude = (custom.exclude as string[] | undefined) ?? [];
    const extension = (custom.outputFileExtension as string | undefined) ?? '.js';
    const naiveDir = join(root, 'naive');
    await build({
      bundle: true,
      platform: 'node',
      ...options,
      external: [...(options.external ?? []), ...(exclude.includes('*') ? [] : exclude)],
      stdin: { contents: NAIVE_HANDLER, resolveDir: PROJECT_ROOT, sourcefile: 'naive.ts', loader: 'ts' },
      outfile: join(naiveDir, `handlers/naive${extension}`),
      logLevel: 'error',
    });
    const deployedNodeOptions = state.service.provider.environment?.NODE_OPTIONS ?? '';
    bundles.push({
      name: 'naive',
      dir: naiveDir,
      module: `handlers/naive${extension}`,
      env: {
        ...lambdaEnvironment('ecr-sentinel-bench-naive', 256, naiveDir),
        NODE_OPTIONS: deployedNodeOptions,
      },
    });

    // Each cell: a bundle under one source-map variant.
    const cells: { bundle: Bundle; variant: Variant; nodeOptions: string; samples: number[] }[] = [];
    for (const bundle of bundles) {
      const deployed = bundle.env.NODE_OPTIONS ?? '';
      const stripped = await withoutSourceMap(bundle, root);
      cells.push(
        { bundle, variant: 'maps off', nodeOptions: withSourceMaps(deployed, false), samples: [] },
        { bundle, variant: 'maps on', nodeOptions: withSourceMaps(deployed, true), samples: [] },
        { bundle: stripped, variant: 'no map', nodeOptions: deployed, samples: [] },
      );
    }

    // Act: one warm-up round (file cache), then SAMPLES rounds, each in a rotated order.
    process.stderr.write(`timing ${cells.length} cells × ${SAMPLES} samples…\n`);
    for (const cell of cells) await coldInit(cell.bundle, cell.nodeOptions);
    for (let round = 0; round < SAMPLES; round++) {
      for (let i = 0; i < cells.length; i++) {
        const cell = cells[(i + round) % cells.length] as (typeof cells)[number];
        cell.samples.push(await coldInit(cell.bundle, cell.nodeOptions));
      }
    }

    // Assess.
    const cell = (name: string, variant: Variant) => {
      const found = cells.find((c) => c.bundle.name === name && c.variant === variant);
      if (!found) throw new Error(`no cell ${name}/${variant}`);
      return summary(found.samples);
    };
    const deployedVariant = (bundle: Bundle): Variant =>
      (bundle.env.NODE_OPTIONS ?? '').split(/\s+/).includes(SOURCE_MAPS_FLAG) ? 'maps on' : 'maps off';
    const naive = bundles.find((b) => b.name === 'naive') as Bundle;
    const naiveInit = cell('naive', deployedVariant(naive)).median;
    const ms = (s: { median: number; p25: number; p75: number }) =>
      `${s.median.toFixed(0)} (${s.p25.toFixed(0)}–${s.p75.toFixed(0)})`;

    const sizeRows: string[][] = [];
    const mapRows: string[][] = [];
    const ratios: Record<string, number> = {};
    const codeBytes: Record<string, number> = {};
    for (const bundle of bundles) {
      const size = await sizes(bundle.dir);
      const init = cell(bundle.name, deployedVariant(bundle));
      ratios[bundle.name] = init.median / naiveInit;
      codeBytes[bundle.name] = size.code;
      sizeRows.push([
        bundle.name,
        kB(size.code),
        kB(size.gzip),
        kB(size.map),
        kB(bundle.zipBytes),
        ms(init),
        (init.median / naiveInit).toFixed(2),
      ]);
      const off = cell(bundle.name, 'maps off');
      const on = cell(bundle.name, 'maps on');
      mapRows.push([
        bundle.name,
        ms(off),
        ms(on),
        ms(cell(bundle.name, 'no map')),
        `+${(on.median - off.median).toFixed(0)} (×${(on.median / off.median).toFixed(2)})`,
      ]);
    }

    const functions = bundles.filter((b) => b.name !== 'naive');
    const worst = Math.max(...functions.map((b) => ratios[b.name] ?? Number.POSITIVE_INFINITY));
    const slack = codeBytes['notify-slack'];
    const lines = [
      `bundles benchmark — node ${process.version}, ${SAMPLES} samples per cell, interleaved; sizes in kB (1000 bytes)`,
      `esbuild (custom.esbuild): ${JSON.stringify(custom)}`,
      `deployed NODE_OPTIONS: ${JSON.stringify(deployedNodeOptions)}`,
      '',
      'cold module init as deployed, ms median (p25–p75), and its ratio to the naive bundle:',
      table(['function', 'code', 'gzip', 'map', 'zip', 'init ms', 'init/naive'], sizeRows),
      '',
      `source maps: init ms median (p25–p75) with ${SOURCE_MAPS_FLAG} off and on (linked .map shipped), and with`,
      'no map at all under the deployed NODE_OPTIONS; the last column is what the flag costs every cold start:',
      table(['function', 'maps off', 'maps on', 'no map', 'flag costs'], mapRows),
      '',
      `targets: every function's init ≤ 0.70× naive: worst ${worst.toFixed(2)} ${worst <= 0.7 ? 'met' : 'MISSED'}; ` +
        `notify-slack code ≤ 500 kB: ${kB(slack)} kB ${slack !== undefined && slack <= 500_000 ? 'met' : 'MISSED'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (values.keep) process.stderr.write(`kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
