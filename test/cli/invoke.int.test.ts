import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli } from '../support/cli.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** `ecr-sentinel sandbox` with its Lambda runtime, and `ecr-sentinel invoke` against it, as a user runs them. */
describe('ecr-sentinel invoke against a running sandbox', () => {
  let sandbox: ChildProcess;
  let endpoint = '';
  let stderr = '';

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    sandbox = spawn(
      process.execPath,
      ['bin/ecr-sentinel.js', 'sandbox', '--port', String(port), '--stage', 'e2e'],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    sandbox.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      sandbox.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('sandbox ready on')) resolve();
      });
      sandbox.once('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${stderr}`)));
    });
  }, 60_000);

  afterAll(async () => {
    const exited = new Promise((resolve) => sandbox.once('exit', resolve));
    sandbox.kill('SIGTERM');
    await exited;
  });

  it('lists the functions of serverless.yml when the sandbox starts', () => {
    expect(stderr).toMatch(/function onImagePushed <- eventBridge/);
  });

  it('invokes a function with an event file and prints its result', async () => {
    const result = await runCli([
      'invoke',
      'onImagePushed',
      '--event',
      'events/aws/ecr-image-action-push.json',
      '--endpoint',
      endpoint,
    ]);

    expect(result.code, result.stderr).toBe(0);
    // AWS's sample names a repository that does not exist here: the image is gone, which is not an error.
    expect(JSON.parse(result.stdout)).toMatchObject({
      repositoryName: 'my-repository-name',
      outcome: 'image-gone',
    });
    expect(stderr).toMatch(/\[onImagePushed\] START RequestId/);
  });

  it('exits 1 and prints the error when the function fails on a malformed event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-invoke-'));
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ id: 'bad-1', source: 'aws.ecr', 'detail-type': 'ECR Image Action', detail: {} }),
    );

    const result = await runCli([
      'invoke',
      'onImagePushed',
      '--event',
      file,
      '--endpoint',
      endpoint,
      '--json',
    ]);

    expect(result.code).toBe(1);
    const outcome = JSON.parse(result.stdout) as {
      ok: boolean;
      error: { errorType: string; errorMessage: string };
    };
    expect(outcome.ok).toBe(false);
    expect(outcome.error.errorType).toBe('InvalidEventError');
    expect(outcome.error.errorMessage).toMatch(/bad-1.*detail\.repository-name/);
  });

  it.each([
    [['invoke', 'noSuchFunction'], /unknown function "noSuchFunction"/],
    [['invoke', 'onImagePushed', '--event', '/nonexistent.json'], /cannot read \/nonexistent\.json/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const result = await runCli([...args, '--endpoint', endpoint]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 and says how to start one when no sandbox answers', async () => {
    const result = await runCli([
      'invoke',
      'onImagePushed',
      '--endpoint',
      `http://127.0.0.1:${await freePort()}`,
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no sandbox answers .*ecr-sentinel sandbox/);
  });
});
