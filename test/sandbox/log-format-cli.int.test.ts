import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/sandbox/moto/launcher.ts';
import { adminRequest } from '../support/admin.ts';
import { PROJECT_ROOT, runCli } from '../support/cli.ts';

/**
 * `ecr-sentinel sandbox --log-format`: the functions' log lines as the command prints them on stderr. Pretty when
 * asked (by default on a terminal), JSON as Powertools printed it when stderr is piped and nothing is asked.
 */

/** Start `ecr-sentinel sandbox ARGS` on a free port (tied to this process), resolved once it is ready. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['bin/ecr-sentinel.js', 'sandbox', '--exit-with-parent', '--port', String(port), ...args],
    { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/sandbox ready on (\S+)/);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code}) before ready:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

/** Poll `read` until `ok` holds (or time is up) and return the last value. */
async function eventually<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = read();
  }
  return value;
}

describe('sandbox --log-format', () => {
  let running: ChildProcess | undefined;

  afterEach(async () => {
    if (running && running.exitCode === null) {
      const exited = new Promise((resolve) => running?.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    }
    running = undefined;
  });

  it('refuses a format it does not know, naming the choices (exit 2)', async () => {
    const { code, stderr } = await runCli(['sandbox', '--log-format', 'xml']);
    expect(code).toBe(2);
    expect(stderr).toContain('--log-format must be one of pretty, json, got "xml"');
  });

  it.each([
    {
      args: ['--log-format', 'pretty'],
      expected: /^\d\d:\d\d:\d\d\.\d{3} sweepCompliance INFO {2}compliance sweep queued .*runId=/m,
      absent: /^\[sweepCompliance\] \{/m,
    },
    {
      // stderr is a pipe here, and nothing is asked: the lines as Powertools printed them.
      args: [],
      expected: /^\[sweepCompliance\] \{"level":"INFO","message":"compliance sweep queued",.*"runId":/m,
      absent: /^\d\d:\d\d:\d\d\.\d{3} sweepCompliance /m,
    },
  ])('prints a function’s logs for $args', { timeout: 120_000 }, async ({ args, expected, absent }) => {
    const sandbox = await startCli(args);
    running = sandbox.child;

    const { status, body } = await adminRequest(sandbox.url, 'POST', 'invoke', {
      function: 'sweepCompliance',
      event: { repositories: ['log-format-check'] },
    });
    expect(status, JSON.stringify(body)).toBe(200);

    const stderr = await eventually(sandbox.stderr, (text) => expected.test(text));
    expect(stderr).toMatch(expected);
    expect(stderr).not.toMatch(absent);
  });
});
