/**
 * What `cleanup plan` and `cleanup apply` do (declared in cli.ts): the lifecycle engine and the protections, run
 * from a terminal against the registry (or, for `plan`, fully offline on `aws ecr describe-images` snapshots).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { parse as parseYaml } from 'yaml';
import { loadConfigOrThrow } from '../config/load-or-report.ts';
import { awsClientBase, commandTableName, EXIT, runCommand, UsageError, writePieces } from '../shared/cli.ts';
import { progressBar } from '../shared/cli-terminal.ts';
import { REPOSITORY_NAME_PATTERN } from '../shared/ecr/names.ts';
import { ulid } from '../shared/ulid.ts';
import { humanBytes } from '../shared/units.ts';
import { applyRepositoryPlan } from './apply-cleanup.ts';
import type { ApplyOptions, PlanOptions } from './cli.ts';
import type { ComposedCleanup } from './compose.ts';
import { type LifecyclePolicy, parseLifecyclePolicy } from './domain/lifecycle-policy.ts';
import { type CleanupPlan, CleanupPlanError, planCleanup } from './plan-cleanup.ts';
import { planDeps } from './plan-deps.ts';
import { planJsonPieces, planSummary, planText } from './plan-report.ts';
import type { CleanupRecords, CleanupRun, RepositoryOutcome } from './ports.ts';
import { type RepositorySnapshot, readSnapshotBytes, SnapshotError } from './snapshot.ts';
import { fileReader } from './snapshot-file.ts';

/** `cleanup plan`: the plan as text or JSON; changes nothing. */
export function planCommand(options: PlanOptions): Promise<void> {
  return runCommand(
    options,
    async () => {
      const { plan, composed } = await makePlan(options);
      composed?.destroy();
      if (options.json) await writePieces(planJsonPieces(plan));
      else process.stdout.write(planText(plan, { limit: Number(options.limit) }));
      return EXIT.ok;
    },
    classify,
  );
}

/** `cleanup apply`: the plan, the question on a terminal, then the deletions and their record. */
export function applyCommand(options: ApplyOptions): Promise<void> {
  return runCommand(
    options,
    async () => {
      if (options.snapshot.length > 0)
        throw new UsageError('--snapshot: apply reads the registry itself; snapshots are for cleanup plan');
      const { plan, composed } = await makePlan(options);
      // Without --snapshot (refused above) the plan is made online, and so always comes with its clients.
      if (composed === undefined) throw new Error('cleanup apply: the plan came without its clients');
      try {
        const acting = plan.repositories.filter((r) => r.plan.status === 'planned');
        const images = acting.reduce((n, r) => n + r.plan.expiring.length + r.plan.transitioning.length, 0);
        if (!options.json) process.stdout.write(planText(plan, { limit: Number(options.limit) }));
        if (images === 0) {
          if (!options.json) process.stdout.write('nothing to delete\n');
          else await writePieces(planJsonPieces(plan, { outcomes: [] }));
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
          // A bar on a terminal only: piped or redirected, stderr gets no carriage returns.
          const bar = options.json ? undefined : progressBar(entry.plan.repositoryName);
          const outcome = await applyRepositoryPlan(deps, entry.plan, {
            runId,
            dryRun: false,
            now: () => new Date(),
            ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total) } : {}),
          });
          outcomes.push(outcome);
          await records?.recordOutcome(outcome);
        }
        if (options.json) await writePieces(planJsonPieces(plan, { runId, outcomes }));
        else process.stdout.write(outcomeText(outcomes));
        return exitOf(plan, outcomes);
      } finally {
        composed.destroy();
      }
    },
    classify,
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

/**
 * The plan the options ask for; online, also the clients apply goes on with (`composed`, the caller destroys
 * it). Offline (`--snapshot`) nothing of AWS is loaded: no client, no credentials, no SDK module.
 */
async function makePlan(
  options: PlanOptions,
): Promise<{ plan: CleanupPlan; composed: ComposedCleanup | undefined }> {
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
  const snapshots = options.snapshot.map(readSnapshotFile);
  const offline = snapshots.length > 0;
  const request = {
    ...(options.repository.length > 0 ? { repositories: options.repository } : {}),
    ...(policy ? { policy } : {}),
    ...(offline ? { snapshots } : {}),
    now,
  };
  if (offline) return { plan: await planCleanup(planDeps(config), request), composed: undefined };
  // Loaded on use: the SDK clients (STS, ECR, DynamoDB and the signals') cost nothing to an offline plan.
  const [{ composeCleanup }, { callerIdentity }] = await Promise.all([
    import('./compose.ts'),
    import('../shared/caller-identity.ts'),
  ]);
  const base = await awsClientBase(options);
  const composed = composeCleanup({
    config,
    offline: false,
    base,
    registry: { accountId: (await callerIdentity(base)).accountId, region: base.region },
    tableName: commandTableName(options),
  });
  try {
    return { plan: await planCleanup(composed.deps, request), composed };
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

/** A `--snapshot` file, scanned from its bytes as they are read (see snapshot-scan.ts). */
function readSnapshotFile(file: string): RepositorySnapshot {
  return readSnapshotBytes(() => {
    try {
      return fileReader(file);
    } catch (error) {
      throw fileError('--snapshot', file, error);
    }
  }, file);
}

function fileError(option: string, path: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  return new UsageError(`${option} ${path}: ${code === 'ENOENT' ? 'not found' : (error as Error).message}`);
}

async function readText(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw fileError(option, path, error);
  }
}

async function confirm(plan: CleanupPlan): Promise<boolean> {
  const s = planSummary(plan);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `Delete ${s.expiringImageTotalCount} images (${humanBytes(s.bytesReclaimed)})` +
        `${s.transitioningImageTotalCount > 0 ? ` and archive ${s.transitioningImageTotalCount}` : ''}? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
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
