/**
 * `ecr-sentinel cleanup plan | apply`: the lifecycle engine and the protections, run from a terminal against the
 * registry (or, for `plan`, fully offline on `aws ecr describe-images` snapshots).
 */
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../config/load.ts';
import { loadConfigOrThrow } from '../config/load-or-report.ts';
import { callerIdentity } from '../shared/caller-identity.ts';
import {
  commandClientBase,
  commandTableName,
  EXIT,
  runCommand,
  UsageError,
  writeJson,
} from '../shared/cli.ts';
import { REPOSITORY_NAME_PATTERN } from '../shared/ecr/names.ts';
import { ulid } from '../shared/ulid.ts';
import { applyRepositoryPlan } from './apply-cleanup.ts';
import { APPLY_HELP, PLAN_HELP } from './cli-help.ts';
import { type LifecyclePolicy, parseLifecyclePolicy } from './domain/lifecycle-policy.ts';
import { type CleanupPlan, CleanupPlanError, planCleanup } from './plan-cleanup.ts';
import { planJson, planText } from './plan-report.ts';
import type { CleanupRecords, CleanupRun, RepositoryOutcome } from './ports.ts';
import { type RepositorySnapshot, readSnapshot, SnapshotError } from './snapshot.ts';

interface PlanOptions {
  config: string;
  stage: string;
  table?: string;
  region?: string;
  endpointUrl?: string;
  repository: string[];
  policy?: string;
  snapshot: string[];
  now?: string;
  limit: string;
  json?: boolean;
}

interface ApplyOptions extends PlanOptions {
  yes?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Register `cleanup plan` and `cleanup apply`. */
export function registerCleanupCommands(program: Command): void {
  const cleanup = program
    .command('cleanup')
    .description(
      'Plan and apply image cleanup: ECR lifecycle rules plus what runs, what is promoted, what indexes need',
    );

  withCommon(
    cleanup
      .command('plan')
      .description(
        'Show what a cleanup would delete and keep (and why), with bytes and dollars; changes nothing',
      ),
  )
    .addHelpText('after', PLAN_HELP)
    .action((options: PlanOptions) =>
      runCommand(
        options,
        async () => {
          const { plan } = await makePlan(options);
          if (options.json) writeJson(planJson(plan));
          else process.stdout.write(planText(plan, { limit: Number(options.limit) }));
          return EXIT.ok;
        },
        classify,
      ),
    );

  withCommon(
    cleanup
      .command('apply')
      .description(
        'Delete what the plan expires (asks first on a terminal); records the run when the table exists',
      )
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', APPLY_HELP)
    .action((options: ApplyOptions) =>
      runCommand(
        options,
        async () => {
          if (options.snapshot.length > 0)
            throw new UsageError(
              '--snapshot: apply reads the registry itself; snapshots are for cleanup plan',
            );
          const { plan, composed } = await makePlan(options);
          try {
            const acting = plan.repositories.filter((r) => r.plan.status === 'planned');
            const images = acting.reduce(
              (n, r) => n + r.plan.expiring.length + r.plan.transitioning.length,
              0,
            );
            if (!options.json) process.stdout.write(planText(plan, { limit: Number(options.limit) }));
            if (images === 0) {
              if (!options.json) process.stdout.write('nothing to delete\n');
              else writeJson({ ...planJson(plan), outcomes: [] });
              return exitOf(plan, []);
            }
            if (!options.yes && process.stdin.isTTY && !(await confirm(plan))) {
              process.stderr.write('ecr-sentinel: nothing deleted\n');
              return EXIT.failed;
            }
            const runId = ulid(new Date(), randomBytes(10));
            const records = await startRecording(composed.records, {
              runId,
              startedAt: new Date().toISOString(),
              trigger: 'cli',
              dryRun: false,
              repositoryCount: plan.repositories.length,
            });
            const outcomes: RepositoryOutcome[] = [];
            for (const entry of plan.repositories) {
              const deps = { remover: composed.remover, ...(records ? { records } : {}) };
              const outcome = await applyRepositoryPlan(deps, entry.plan, {
                runId,
                dryRun: false,
                now: () => new Date(),
                ...(process.stderr.isTTY && !options.json
                  ? { onProgress: (done, total) => progress(entry.plan.repositoryName, done, total) }
                  : {}),
              });
              outcomes.push(outcome);
              await records?.recordOutcome(outcome);
            }
            if (options.json) writeJson({ ...planJson(plan), runId, outcomes });
            else process.stdout.write(outcomeText(outcomes));
            return exitOf(plan, outcomes);
          } finally {
            composed.destroy();
          }
        },
        classify,
      ),
    );
}

/**
 * Records the run in the table when it exists: a CLI run is audited like a scheduled one. Without the table (not
 * deployed yet) the deletions still happen, with a warning that they are not recorded.
 */
async function startRecording(records: CleanupRecords, run: CleanupRun): Promise<CleanupRecords | undefined> {
  try {
    await records.startRun(run);
    return records;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    process.stderr.write(
      `ecr-sentinel: warning: table not found (${(error as Error).message}): this run is not recorded (--stage, --table)\n`,
    );
    return undefined;
  }
}

/** 0 when every repository was planned (and applied without failures), 1 otherwise. */
function exitOf(plan: CleanupPlan, outcomes: readonly RepositoryOutcome[]): number {
  const incomplete =
    plan.repositories.some((r) => r.plan.status !== 'planned') || outcomes.some((o) => o.failures.length > 0);
  return incomplete ? EXIT.failed : EXIT.ok;
}

function classify(error: unknown) {
  if (error instanceof SnapshotError || error instanceof CleanupPlanError)
    return { type: error.name, message: error.message, exit: EXIT.usage };
  return undefined;
}

function withCommon(command: Command): Command {
  return command
    .option(
      '-c, --config <file>',
      'configuration file (cleanup policies and protections)',
      DEFAULT_CONFIG_PATH,
    )
    .option(
      '--repository <name>',
      'only this repository (repeat for more; default: every repository)',
      collect,
      [],
    )
    .option(
      '--policy <file>',
      'lifecycle policy JSON (as put-lifecycle-policy takes it); overrides config and repository',
    )
    .option(
      '--snapshot <file>',
      '`aws ecr describe-images` output of one repository (repeat); plan runs offline',
      collect,
      [],
    )
    .option('--now <iso>', 'evaluate as of this time (ISO 8601), e.g. to see next week’s cleanup')
    .option('--limit <n>', 'images listed per repository in the text output', '50')
    .option('--stage <stage>', 'deployed stage (promotion records: table ecr-sentinel-STAGE)', 'dev')
    .option('--table <name>', 'table name (default: ecr-sentinel-STAGE)')
    .option('--region <region>', 'AWS region (default: AWS_REGION or us-east-1)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. the sandbox http://127.0.0.1:4566')
    .option(
      '--json',
      'print the plan as JSON (GetLifecyclePolicyPreview field names plus bytes and dollars)',
    );
}

async function makePlan(options: PlanOptions) {
  const problem =
    options.repository.map((r) => repositoryProblem(r)).find(Boolean) ??
    (/^\d{1,6}$/.test(options.limit)
      ? undefined
      : `--limit: expected a whole number, got "${options.limit}"`) ??
    nowProblem(options.now);
  if (problem) throw new UsageError(problem);
  const now = options.now === undefined ? new Date() : new Date(options.now);
  const config = await loadConfigOrThrow(options.config);
  const policy = options.policy === undefined ? undefined : await readPolicy(options.policy);
  const snapshots = await Promise.all(options.snapshot.map(readSnapshotFile));
  const offline = snapshots.length > 0;
  // Loaded on use: the SDK clients cost nothing to an offline plan or to --help.
  const { composeCleanup } = await import('./compose.ts');
  const base = commandClientBase(options);
  const composed = composeCleanup({
    config,
    offline,
    base,
    ...(offline
      ? {}
      : { registry: { accountId: (await callerIdentity(base)).accountId, region: base.region } }),
    tableName: commandTableName(options),
  });
  try {
    const plan = await planCleanup(composed.deps, {
      ...(options.repository.length > 0 ? { repositories: options.repository } : {}),
      ...(policy ? { policy } : {}),
      ...(offline ? { snapshots } : {}),
      now,
    });
    return { plan, composed };
  } catch (error) {
    composed.destroy();
    throw error;
  }
}

function repositoryProblem(name: string): string | undefined {
  return name.length >= 2 && name.length <= 256 && REPOSITORY_NAME_PATTERN.test(name)
    ? undefined
    : `--repository: "${name}" is not an ECR repository name`;
}

function nowProblem(now: string | undefined): string | undefined {
  if (now === undefined) return undefined;
  return /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(now) && !Number.isNaN(Date.parse(now))
    ? undefined
    : `--now: expected an ISO 8601 time such as 2026-12-01T00:00:00Z, got "${now}"`;
}

/** `--policy FILE` (or `file://FILE`, as the AWS CLI writes it): JSON, or YAML for people who keep it so. */
async function readPolicy(file: string): Promise<LifecyclePolicy> {
  const path = file.startsWith('file://') ? file.slice('file://'.length) : file;
  const text = await readText(path, '--policy');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    try {
      document = parseYaml(text);
    } catch (error) {
      throw new UsageError(`--policy ${path}: neither JSON nor YAML (${(error as Error).message})`);
    }
  }
  const parsed = parseLifecyclePolicy(document);
  if (!parsed.ok)
    throw new UsageError(
      `--policy ${path}: not a valid lifecycle policy:\n${parsed.problems.map((p) => `  ${p.text}`).join('\n')}`,
    );
  return parsed.policy;
}

async function readSnapshotFile(file: string): Promise<RepositorySnapshot> {
  return readSnapshot(await readText(file, '--snapshot'), file);
}

async function readText(path: string, option: string): Promise<string> {
  try {
    const bytes = await readFile(path);
    // A snapshot is ASCII (JSON escapes the rest) and 50 MB for 100,000 images: as latin1, the same text for
    // ASCII, it decodes ~1.5× faster than as UTF-8. Anything else is read as UTF-8, as before.
    return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${option} ${path}: ${code === 'ENOENT' ? 'not found' : (error as Error).message}`);
  }
}

async function confirm(plan: CleanupPlan): Promise<boolean> {
  const s = planJson(plan).summary;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `Delete ${s.expiringImageTotalCount} images (${(s.bytesReclaimed / 1024 ** 3).toFixed(2)} GB)` +
        `${s.transitioningImageTotalCount > 0 ? ` and archive ${s.transitioningImageTotalCount}` : ''}? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function progress(repositoryName: string, done: number, total: number): void {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  process.stderr.write(
    `\r${repositoryName} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`,
  );
  if (done >= total) process.stderr.write('\n');
}

function outcomeText(outcomes: readonly RepositoryOutcome[]): string {
  const lines = ['', 'applied:'];
  for (const o of outcomes) {
    if (o.status !== 'cleaned') continue;
    lines.push(
      `  ${o.repositoryName}: deleted ${o.deletedCount} of ${o.expiringCount}` +
        (o.transitioningCount > 0 ? `, archived ${o.transitioningCount - o.failures.length}` : '') +
        (o.failures.length > 0 ? `; ${o.failures.length} failed` : ''),
    );
    for (const f of o.failures.slice(0, 10)) lines.push(`    ${f.digest}: ${f.code} ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}
