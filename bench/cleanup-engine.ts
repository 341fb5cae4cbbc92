/**
 * Part (a) of the cleanup benchmark (bench/cleanup.ts): the pure engine on 100,000 images × 10 rules, in a child
 * process of its own (so its RSS is the engine's and its input's alone), then the offline CLI end to end on a
 * 100,000-image `aws ecr describe-images` snapshot, with its startup measured apart.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { bundleIsFresh } from '../bin/cli-bundle.js';
import { parseLifecyclePolicyOrThrow } from '../src/cleanup/domain/lifecycle-policy.ts';
import { planRepository, type RepositoryPlan } from '../src/cleanup/domain/plan.ts';
import { fileReader } from '../src/cleanup/snapshot-file.ts';
import { PROJECT_ROOT } from '../src/shared/project-root.ts';
import { describeImagesDocument, syntheticRepository, TEN_RULE_POLICY } from './cleanup-data.ts';

const MIB = 1024 * 1024;
const REGISTRY = '123456789012';
const REPOSITORY = 'bench-cleanup/engine';

export interface EngineTask {
  images: number;
  runs: number;
  now: string;
  snapshotFile: string;
}

export interface EngineResult {
  counts: Record<string, number>;
  plan: { expiring: number; transitioning: number; protected: number; kept: number };
  /** The timed runs, back to back (no collection forced between them). */
  wallMs: number[];
  cpuMs: number[];
  /** The RSS runs' times: each right after a forced full collection. */
  afterGcWallMs: number[];
  /** RSS with the 100,000 images in memory, after a GC, before planning. */
  inputRss: number;
  /** The kernel's high-water mark: the highest of the counted runs (reset before each), or over the child's life. */
  planHighWater: number | undefined;
  lifeHighWater: number | undefined;
  /** The CLI's work minus startup, in this process: read + parse the snapshot, plan, JSON out. */
  cli: { readMs: number; planMs: number; jsonMs: number; jsonBytes: number; expiring: number };
}

const median = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

function statusKb(field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (Linux: `5` to /proc/self/clear_refs); false when not allowed. */
function resetHighWater(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function cleanupSettings(maxImages: number) {
  const z = await import('zod');
  const { cleanupConfigShape } = await import('../src/cleanup/config-schema.ts');
  return z.object(cleanupConfigShape).parse({
    cleanup: {
      maxDeletions: { images: maxImages, percent: 100 },
      defaults: { protect: { minAgeDays: 7, keepTagPatterns: ['prod-*', 'latest'] } },
    },
  }).cleanup;
}

/** The child: everything measured here belongs to the engine and its input. */
export async function engineChild(task: EngineTask): Promise<EngineResult> {
  const now = new Date(task.now);
  const repo = syntheticRepository(REPOSITORY, task.images, now);
  const policy = parseLifecyclePolicyOrThrow(TEN_RULE_POLICY);
  const input = {
    repositoryName: REPOSITORY,
    images: repo.images,
    policy,
    protect: { minAgeDays: 7, keepTagPatterns: ['prod-*', 'latest'] },
    uses: repo.uses,
    doubts: [],
    maxDeletions: { images: 1_000_000, percent: 100 },
    pricePerGbMonth: 0.1,
    now,
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const inputRss = process.memoryUsage.rss();
  let plan: RepositoryPlan | undefined;
  const afterGcWallMs: number[] = [];
  /** VmHWM of each RSS run, reset (after a GC) just before it: one plan's peak, not earlier runs' garbage. */
  const highWaters: number[] = [];
  let resettable = true;
  // The RSS runs first (after 2 warm-up), as a fresh process meets them: the timed runs' garbage would grow the
  // heap the high-water includes.
  for (let run = -2; run < task.runs; run++) {
    plan = undefined;
    gc?.();
    resettable = resetHighWater() && resettable;
    const started = performance.now();
    plan = planRepository(input);
    const wall = performance.now() - started;
    if (run < 0) continue;
    afterGcWallMs.push(wall);
    const hwm = statusKb('VmHWM');
    if (hwm !== undefined) highWaters.push(hwm);
  }
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  // Timed back to back, as a warm function plans one repository after another: a collection forced right before
  // a run (as the RSS runs above need) leaves the collector's sweeping and the re-growth of the young generation
  // to run inside the timed plan, which nothing but a benchmark does; those runs' times are printed too.
  for (let run = 0; run < task.runs; run++) {
    plan = undefined;
    const cpu = process.cpuUsage();
    const started = performance.now();
    plan = planRepository(input);
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    wallMs.push(wall);
    cpuMs.push((used.user + used.system) / 1000);
  }
  const planHighWater = resettable && highWaters.length > 0 ? Math.max(...highWaters) : undefined;
  const lifeHighWater = resettable ? undefined : statusKb('VmHWM');

  // What the CLI does after startup, timed here (same process, warm): read, plan, print. Loaded only now, so the
  // engine's RSS above is the engine's and its input's (and node's and zod's).
  const { readSnapshotBytes } = await import('../src/cleanup/snapshot.ts');
  const { planCleanup } = await import('../src/cleanup/plan-cleanup.ts');
  const { planJsonPieces } = await import('../src/cleanup/plan-report.ts');
  const settings = await cleanupSettings(1_000_000);
  let t = performance.now();
  const snapshot = readSnapshotBytes(() => fileReader(task.snapshotFile), task.snapshotFile);
  const readMs = performance.now() - t;
  t = performance.now();
  const planned = await planCleanup(
    { settings, repositoryGroups: [], signals: [] },
    { policy, snapshots: [snapshot], now },
  );
  const planMs = performance.now() - t;
  t = performance.now();
  let jsonBytes = 0;
  for (const piece of planJsonPieces(planned)) jsonBytes += Buffer.byteLength(piece);
  const jsonMs = performance.now() - t;
  const p = plan as RepositoryPlan;
  return {
    counts: repo.counts,
    plan: {
      expiring: p.expiring.length,
      transitioning: p.transitioning.length,
      protected: p.protected.length,
      kept: p.keptCount,
    },
    wallMs,
    cpuMs,
    afterGcWallMs,
    inputRss,
    planHighWater,
    lifeHighWater,
    cli: {
      readMs,
      planMs,
      jsonMs,
      jsonBytes,
      expiring: planned.repositories[0]?.plan.expiring.length ?? -1,
    },
  };
}

/**
 * The child runs this file bundled by esbuild under plain node, as the deployed functions run (serverless-esbuild
 * bundles them): tsx, which compiles the TypeScript here on the fly, holds ~45 MB of its own (its loader thread).
 */
async function bundleEngineChild(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(dir, 'engine-child.mjs');
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    // Loaded (dynamically) by the parent's part of this file only.
    external: ['esbuild'],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return outfile;
}

function runEngineChild(script: string, task: EngineTask): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(script, ['--engine-child'], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: EngineResult | undefined;
    proc.on('message', (message: { result?: EngineResult; error?: string }) => {
      if (message.error) reject(new Error(`engine child: ${message.error}`));
      else result = message.result;
    });
    proc.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`engine child exited with ${code}`)),
    );
    proc.send(task);
  });
}

/** Runs `node bin/ecr-sentinel.js ARGS` and times it to exit; stdout is counted, not kept (unless asked). */
function timeCli(
  args: string[],
  keep = false,
): Promise<{ ms: number; code: number; bytes: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(process.execPath, ['bin/ecr-sentinel.js', ...args], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bytes = 0;
    const chunks: Buffer[] = [];
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (keep) chunks.push(chunk);
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0)
        reject(new Error(`ecr-sentinel ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
      else resolve({ ms, code: code ?? 0, bytes, stdout: keep ? Buffer.concat(chunks).toString() : '' });
    });
  });
}

export async function engineBench(options: {
  dir: string;
  images: number;
  runs: number;
  cliRuns: number;
}): Promise<string[]> {
  const lines: string[] = [];
  const now = new Date();
  const nowIso = now.toISOString();
  // The files the CLI reads: the snapshot (the images the child plans, as describe-images prints them), the
  // policy, and a config whose cap lets a 100,000-image plan through (the default cap would refuse it).
  const repo = syntheticRepository(REPOSITORY, options.images, now);
  const snapshotFile = join(options.dir, 'snapshot.json');
  writeFileSync(
    snapshotFile,
    JSON.stringify(describeImagesDocument(REGISTRY, REPOSITORY, repo.images), null, 2),
  );
  const tinyFile = join(options.dir, 'snapshot-1.json');
  writeFileSync(
    tinyFile,
    JSON.stringify(describeImagesDocument(REGISTRY, REPOSITORY, repo.images.slice(0, 1))),
  );
  const policyFile = join(options.dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(TEN_RULE_POLICY, null, 2));
  const configFile = join(options.dir, 'sentinel.config.yml');
  // The example config with its cleanup section replaced: the policy comes from --policy, and a cap that lets a
  // 100,000-image plan through (the default cap would refuse it).
  const example = parseYaml(readFileSync(join(PROJECT_ROOT, 'sentinel.config.yml'), 'utf8')) as Record<
    string,
    unknown
  >;
  example.cleanup = {
    maxDeletions: { images: 1_000_000, percent: 100 },
    defaults: { protect: { minAgeDays: 7, keepTagPatterns: ['prod-*', 'latest'] } },
  };
  writeFileSync(configFile, stringifyYaml(example));
  const snapshotBytes = readFileSync(snapshotFile).length;

  const r = await runEngineChild(await bundleEngineChild(options.dir), {
    images: options.images,
    runs: options.runs,
    now: nowIso,
    snapshotFile,
  });
  const mib = (n: number | undefined) => (n === undefined ? 'n/a' : `${(n / MIB).toFixed(0)} MiB`);
  const wall = median(r.wallMs);
  const cpu = median(r.cpuMs);
  lines.push(
    `(a) engine: planRepository (lifecycle engine + protections + structure + deletion order), ${options.images.toLocaleString('en-US')} images x ${TEN_RULE_POLICY.rules.length} rules`,
    '    in a child process of its own: this file bundled by esbuild, under plain node (as the deployed functions run)',
    `    images: ${Object.entries(r.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; 200 in-use records`,
    `    plan: ${r.plan.expiring} expiring, ${r.plan.transitioning} to archive, ${r.plan.protected} protected, ${r.plan.kept} kept`,
    `    time, back to back (a warm function planning repository after repository), median of ${options.runs} runs after the warm-up and RSS runs (min-max): wall ${wall.toFixed(0)} ms (${Math.min(...r.wallMs).toFixed(0)}-${Math.max(...r.wallMs).toFixed(0)}), CPU ${cpu.toFixed(0)} ms  [target <= 100 ms: ${wall <= 100 ? 'met' : 'MISSED'}]`,
    `    time right after a forced full collection (the RSS runs; the collector's sweeping runs into the plan), median of ${options.runs}: wall ${median(r.afterGcWallMs).toFixed(0)} ms (${Math.min(...r.afterGcWallMs).toFixed(0)}-${Math.max(...r.afterGcWallMs).toFixed(0)})`,
    `    RSS: ${mib(r.inputRss)} with the input in memory; high-water of a run ${mib(r.planHighWater ?? r.lifeHighWater)} = ${((r.planHighWater ?? r.lifeHighWater ?? 0) / 1e6).toFixed(0)} MB${r.planHighWater === undefined ? ' (child lifetime: VmHWM could not be reset)' : ' (highest of the runs, VmHWM reset after a GC before each)'}  [target < 200 MB: ${(r.planHighWater ?? r.lifeHighWater ?? Number.POSITIVE_INFINITY) < 200e6 ? 'met' : 'MISSED'}]`,
  );

  // The CLI, end to end, as a user runs it: the bundle `npm ci` builds (built again here, so it is fresh).
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-cli.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
  const bundled = bundleIsFresh();
  const args = ['cleanup', 'plan', '--config', configFile, '--policy', policyFile, '--now', nowIso];
  const help = await timeCli(['cleanup', 'plan', '--help']); // also warms the file cache
  const helps: number[] = [];
  const tinies: number[] = [];
  const texts: number[] = [];
  const jsons: number[] = [];
  let check: { expiring: number } | undefined;
  // Alternated, so that the machine's load falls on both alike.
  for (let i = 0; i < options.cliRuns; i++) {
    helps.push((await timeCli(['cleanup', 'plan', '--help'])).ms);
    tinies.push((await timeCli([...args, '--snapshot', tinyFile])).ms);
    texts.push((await timeCli([...args, '--snapshot', snapshotFile])).ms);
    const json = await timeCli([...args, '--snapshot', snapshotFile, '--json'], i === 0);
    jsons.push(json.ms);
    if (i === 0) {
      const out = JSON.parse(json.stdout) as { summary?: { expiringImageTotalCount?: number } };
      check = { expiring: out.summary?.expiringImageTotalCount ?? -1 };
    }
  }
  const text = median(texts);
  const json = median(jsons);
  const tiny = median(tinies);
  const range = (values: number[]) => `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;
  lines.push(
    '',
    `(a) CLI: node bin/ecr-sentinel.js cleanup plan --snapshot FILE --policy FILE (${options.images.toLocaleString('en-US')} images, ${mib(snapshotBytes)} of describe-images JSON)`,
    bundled
      ? '    bin/ecr-sentinel.js runs the prebuilt bundle (dist/cli, npm run build; fresh)'
      : '    bin/ecr-sentinel.js compiled the TypeScript with tsx: the bundle was not fresh (a file under src/ changed during the run?)',
    `    end to end, median of ${options.cliRuns} (min-max): the plan as text ${text.toFixed(0)} ms (${range(texts)})  [target <= 1.5 s: ${text <= 1500 ? 'met' : 'MISSED'}]`,
    `      with --json (every image of the plan, ${mib(r.cli.jsonBytes)} written): ${json.toFixed(0)} ms (${range(jsons)})`,
    `    startup: \`cleanup plan --help\` ${median(helps).toFixed(0)} ms (first: ${help.ms.toFixed(0)} ms); the same plan of a 1-image snapshot ${tiny.toFixed(0)} ms (node + CLI + config)`,
    `    so ~${(text - tiny).toFixed(0)} ms is the ${options.images.toLocaleString('en-US')} images; in-process (warm) that part is: read+parse snapshot ${r.cli.readMs.toFixed(0)} ms, plan ${r.cli.planMs.toFixed(0)} ms, JSON out ${r.cli.jsonMs.toFixed(0)} ms`,
    `    CLI plan agrees with the in-process plan of the snapshot: ${check?.expiring === r.cli.expiring ? `yes (${r.cli.expiring} expiring)` : `NO (CLI ${check?.expiring}, in-process ${r.cli.expiring})`}`,
  );
  return lines;
}

function serveEngineChild(): void {
  process.once('message', (task: EngineTask) => {
    engineChild(task).then(
      (result) => process.send?.({ result }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.(
          { error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
          () => process.exit(1),
        ),
    );
  });
}

// Forked by engineBench with this file as the entry: only the engine's modules are loaded in the child.
if (process.argv.includes('--engine-child')) serveEngineChild();
