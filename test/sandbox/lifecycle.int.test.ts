import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/sandbox/moto/launcher.ts';

const BIN = join(import.meta.dirname, '../../bin/ecr-sentinel.js');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcess[] = [];

function run(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [BIN, 'sandbox', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function waitForReady(sandbox: Run, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /^sandbox ready on (http:\/\/\S+)\n/.exec(sandbox.stdout());
    if (match?.[1]) return match[1];
    if (sandbox.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sandbox not ready: stdout=${sandbox.stdout()} stderr=${sandbox.stderr()}`);
}

/** Alive and not a zombie (a zombie has exited; it only waits for its parent to reap it). */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('ecr-sentinel sandbox', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'prints one ready line, serves health, and on %s stops moto and exits 0',
    async (signal) => {
      // Prepare
      const port = await freePort();
      const sandbox = run(['--port', String(port)]);
      const url = await waitForReady(sandbox);
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const health = (await (await fetch(`${url}/_sandbox/health`)).json()) as {
        status: string;
        motoPid: number;
      };
      expect(health.status).toBe('ok');
      expect(await isAlive(health.motoPid)).toBe(true);
      // Act
      sandbox.child.kill(signal);
      const { code } = await sandbox.exit;
      // Assess
      expect(code).toBe(0);
      expect(sandbox.stdout()).toBe(`sandbox ready on ${url}\n`);
      expect(await eventually(async () => !(await isAlive(health.motoPid)))).toBe(true);
    },
  );

  it('leaves no moto behind when it is killed with SIGKILL', async () => {
    const sandbox = run(['--port', String(await freePort())]);
    const url = await waitForReady(sandbox);
    const { motoPid } = (await (await fetch(`${url}/_sandbox/health`)).json()) as { motoPid: number };
    sandbox.child.kill('SIGKILL');
    await sandbox.exit;
    expect(await eventually(async () => !(await isAlive(motoPid)))).toBe(true);
  });

  it.each([
    [['--port', '99999'], '--port must be from 1 to 65535'],
    [['--port', 'http'], '--port must be a whole number'],
    [['--host', 'not a host'], '--host must be an IP address or host name'],
  ])('exits 2 for %j with a clear message', async (args, message) => {
    const sandbox = run(args);
    expect((await sandbox.exit).code).toBe(2);
    expect(sandbox.stderr()).toContain(message);
    expect(sandbox.stdout()).toBe('');
  });

  it('exits 2 when the port is already taken', async () => {
    const first = run(['--port', String(await freePort())]);
    const url = await waitForReady(first);
    const second = run(['--port', new URL(url).port]);
    expect((await second.exit).code).toBe(2);
    expect(second.stderr()).toMatch(/already in use/);
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
  });

  describe('without moto', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sandbox-lifecycle-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('exits 2 with install advice when the Python interpreter does not exist', async () => {
      const sandbox = run(['--port', String(await freePort())], {
        ECR_SENTINEL_PYTHON: '/nonexistent/python3',
      });
      expect((await sandbox.exit).code).toBe(2);
      expect(sandbox.stderr()).toContain('/nonexistent/python3');
      expect(sandbox.stderr()).toContain("pip install 'moto[server]>=5'");
    });

    it('exits 2 with install advice when Python has no moto', async () => {
      // A Python without site-packages cannot import moto.
      const python = join(dir, 'python-without-moto');
      await writeFile(python, '#!/bin/sh\nexec python3 -S "$@"\n');
      await chmod(python, 0o755);
      const sandbox = run(['--port', String(await freePort())], { ECR_SENTINEL_PYTHON: python });
      expect((await sandbox.exit).code).toBe(2);
      expect(sandbox.stderr()).toMatch(/moto is not available/);
      expect(sandbox.stderr()).toContain("pip install 'moto[server]>=5'");
    });
  });

  it('keeps ECR state in --state-dir across restarts', async () => {
    // Prepare
    const stateDir = await mkdtemp(join(tmpdir(), 'sandbox-state-'));
    const target = {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1' },
    };
    const first = run(['--port', String(await freePort()), '--state-dir', stateDir]);
    const firstUrl = await waitForReady(first);
    const created = await fetch(firstUrl, {
      ...target,
      headers: { ...target.headers, 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.CreateRepository' },
      body: JSON.stringify({ repositoryName: 'kept-repo' }),
    });
    expect(created.status).toBe(200);
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
    // Act
    const second = run(['--port', String(await freePort()), '--state-dir', stateDir]);
    const secondUrl = await waitForReady(second);
    const described = await fetch(secondUrl, {
      ...target,
      headers: {
        ...target.headers,
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      },
      body: '{}',
    });
    // Assess
    const body = (await described.json()) as { repositories: Array<{ repositoryName: string }> };
    expect(body.repositories.map((r) => r.repositoryName)).toEqual(['kept-repo']);
    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('explains the endpoint, admin API and environment in --help', async () => {
    const sandbox = run(['--help']);
    expect((await sandbox.exit).code).toBe(0);
    for (const text of [
      'AWS_ENDPOINT_URL',
      '--endpoint-url',
      '/_sandbox/',
      'ECR_SENTINEL_PYTHON',
      '--state-dir',
    ]) {
      expect(sandbox.stdout()).toContain(text);
    }
  });
});
