import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../support/cli.ts';
import { sandboxUrl, uniqueName } from '../../support/sandbox.ts';

const CHILD = fileURLToPath(new URL('./fixtures/stop-child.ts', import.meta.url));

/** Runs the child script to its natural end: its exit code, and what it printed after stopping the runtime. */
function runChild(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SANDBOX_URL: sandboxUrl(), RT_STOP_STAGE: uniqueName('stop').slice(0, 20) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('stopping the local Lambda runtime', () => {
  // Not a timing assertion: what keeps a process alive after stop() is listed, and must hold no timer.
  it('leaves no timer behind, so the process ends when its work ends', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runChild();
    expect(code, stderr).toBe(0);
    const active = JSON.parse(stdout) as string[];
    expect(active.filter((resource) => resource === 'Timeout')).toEqual([]);
  });
});
