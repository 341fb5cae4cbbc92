import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/sandbox/moto/launcher.ts';
import { PROJECT_ROOT } from '../support/cli.ts';

/**
 * `ecr-sentinel sandbox --exit-with-parent` can't outlive the program that started it: that program (a small node
 * script) is killed with SIGKILL, and the sandbox, its moto child and its port are gone within seconds — through
 * its stdin pipe closing, or (stdin /dev/null) through its parent process changing. Polled, not slept on.
 */

const PARENT = fileURLToPath(new URL('./fixtures/sandbox-parent.mjs', import.meta.url));
const BIN = `${PROJECT_ROOT}bin/ecr-sentinel.js`;

/** Whether a process runs: signal 0 reaches it and it is not a zombie (an orphan nobody has reaped yet). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: signal 0 is all we know
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Read `stream` until a line matches, or fail with what was printed. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (chunk) => {
      err += chunk;
    });
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const match = out.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the parent exited (${code}) before ${pattern}:\n${out}\n${err}`));
    });
  });
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('sandbox --exit-with-parent', () => {
  let parent: ChildProcess | undefined;
  const leftovers: number[] = [];

  afterEach(() => {
    parent?.kill('SIGKILL');
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });

  it.each([
    ['a pipe (its end closes)', 'pipe'],
    ['/dev/null (its parent process changes)', 'ignore'],
  ])(
    'stops the sandbox and moto and frees the port when its parent is SIGKILLed, stdin %s',
    { timeout: 90_000 },
    async (_label, stdin) => {
      // Prepare: a parent that started a sandbox and relays its output.
      const port = await freePort();
      parent = spawn(process.execPath, [PARENT, BIN, String(port)], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, STDIN: stdin },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const [, url] = await waitForLine(parent, /sandbox ready on (http:\/\/\S+)/, 60_000);
      const health = (await (await fetch(`${url}/_sandbox/health`)).json()) as {
        pid: number;
        motoPid: number;
      };
      leftovers.push(health.pid, health.motoPid);
      expect(health.pid).not.toBe(parent.pid);
      expect(running(health.pid) && running(health.motoPid)).toBe(true);

      // Act: the parent dies without running any code of its own.
      parent.kill('SIGKILL');

      // Assess: within seconds, nothing is left and the port can be listened on again.
      const gone = await until(
        async () => !running(health.pid) && !running(health.motoPid) && (await portFree(port)),
        15_000,
      );
      expect({
        sandbox: running(health.pid),
        moto: running(health.motoPid),
        portFree: await portFree(port),
      }).toEqual({ sandbox: false, moto: false, portFree: true });
      expect(gone).toBe(true);
    },
  );
});
