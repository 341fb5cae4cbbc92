import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../support/cli.ts';

const run = promisify(execFile);

/** The stage the deploy tests package. */
const PACKAGE_STAGE = 'ci';

let packaged: Promise<string> | undefined;

/**
 * `serverless package --stage ci` (offline) once per test run. Each test file runs in a worker process of its own
 * (vitest's forks pool), so the first file to claim the run's directory packages and the others wait for its
 * result rather than package again (~25 s of CPU each on a small machine).
 * @returns the directory holding the zips and `cloudformation-template-update-stack.json`
 */
export function packagedService(): Promise<string> {
  packaged ??= packageOnce();
  return packaged;
}

/** This test run: the workers' parent (the vitest process) and its start time, so a reused pid is a new run. */
function runId(): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat is the start time; field 2 (the command) may hold spaces: count after ')'.
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return startTime ? `${process.ppid}-${startTime}` : undefined;
  } catch {
    return undefined; // no /proc: each test file packages for itself
  }
}

async function packageOnce(): Promise<string> {
  const id = runId();
  const dir = id
    ? join(tmpdir(), `ecr-sentinel-package-${id}`)
    : await mkdtemp(join(tmpdir(), 'sentinel-package-'));
  const out = join(dir, 'out');
  const result = join(dir, 'result.json');
  if (id) {
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return awaitOtherFile(result, out);
    }
  }
  const report = async (outcome: { ok: boolean; message?: string }) => {
    await writeFile(`${result}.tmp`, JSON.stringify(outcome));
    await rename(`${result}.tmp`, result); // whole or absent for a reader
  };
  try {
    await run('npx', ['serverless', 'package', '--stage', PACKAGE_STAGE, '--package', out], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
    });
  } catch (error) {
    await report({ ok: false, message: String(error) });
    throw error;
  }
  await report({ ok: true });
  return out;
}

/** The packaging another test file of this run started: its output once it reports success. */
async function awaitOtherFile(result: string, out: string): Promise<string> {
  for (;;) {
    const text = await readFile(result, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const outcome = JSON.parse(text) as { ok: boolean; message?: string };
      if (outcome.ok) return out;
      throw new Error(`serverless package failed (in another test file of this run): ${outcome.message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
