import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../support/cli.ts';

/** A `scan-gate` run in progress: what it has written so far, and its end. */
export interface GateRun {
  stdout(): string;
  stderr(): string;
  done: Promise<{ code: number; stdout: string; stderr: string; ms: number }>;
}

/**
 * Start `ecr-sentinel ARGS…` as a CI job does (node bin/ecr-sentinel.js), without waiting for it: a test can act
 * while the gate waits (start a scan) and read its stderr as it goes. `cwd` other than the checkout runs it where
 * there is no sentinel.config.yml; `env` is added to this process's environment (a value '' unsets nothing, it
 * sets the variable empty).
 */
export function startGate(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): GateRun {
  const started = Date.now();
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/ecr-sentinel.js'), ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  const done = new Promise<{ code: number; stdout: string; stderr: string; ms: number }>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { stdout: () => stdout, stderr: () => stderr, done };
}

/** Wait (polling every 50 ms) until `ok()`; false when `timeoutMs` passed first. */
export async function until(ok: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** The gate's progress lines on stderr, without the elapsed seconds: `scan IN_PROGRESS`. */
export function progressStates(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('scan-gate: '))
    .map((line) => line.replace(/^scan-gate: /, '').replace(/, \d+ s$/, ''));
}
