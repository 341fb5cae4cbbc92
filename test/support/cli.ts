import { execFile } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';

/** The project root, so CLI runs resolve sentinel.config.yml like a user in the checkout would. */
export { PROJECT_ROOT };

/** Run `ecr-sentinel ARGS…` as a user would (node bin/ecr-sentinel.js) and collect its output and exit code. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/ecr-sentinel.js', ...args],
      { cwd: PROJECT_ROOT, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
