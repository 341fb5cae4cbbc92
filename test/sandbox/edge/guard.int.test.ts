import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/sandbox/moto/launcher.ts';
import { type Sandbox, startSandbox } from '../../../src/sandbox/server.ts';
import { awsClientConfig } from '../../support/sandbox.ts';

// These requests would reset the sandbox and inject faults if they got through, so this file runs its own
// sandbox rather than the run-wide one other test files share.
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
});

afterAll(async () => {
  await sandbox?.stop();
});

beforeEach(async () => {
  await send('DELETE', '/_sandbox/faults');
});

/**
 * One request to the sandbox's socket with exactly these headers: fetch can't set Host, and a browser's
 * requests are what is being imitated.
 */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: sandbox.port,
        method,
        path,
        headers: { host: `127.0.0.1:${sandbox.port}`, ...headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const FAULT = JSON.stringify({ service: 'ssm', error: 'ThrottlingException' });

async function faultCount(): Promise<number> {
  return (JSON.parse((await send('GET', '/_sandbox/faults')).body) as { faults: unknown[] }).faults.length;
}

describe('what a web page can send', () => {
  it('refuses a cross-origin text/plain POST, naming the Origin, and changes nothing', async () => {
    // Act: what a form or fetch(…, {mode: 'no-cors'}) on another site sends
    const response = await send(
      'POST',
      '/_sandbox/faults',
      { origin: 'https://attacker.example', 'content-type': 'text/plain;charset=UTF-8' },
      FAULT,
    );
    // Assess
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).message).toContain('Origin "https://attacker.example"');
    expect(await faultCount()).toBe(0);
  });

  it('refuses a cross-origin JSON POST too (its preflight is refused the same way)', async () => {
    const preflight = await send('OPTIONS', '/', {
      origin: 'https://attacker.example',
      'access-control-request-method': 'POST',
    });
    const post = await send(
      'POST',
      '/_sandbox/faults',
      { origin: 'https://attacker.example', 'content-type': 'application/json' },
      FAULT,
    );
    expect([preflight.status, post.status]).toEqual([403, 403]);
    expect(await faultCount()).toBe(0);
  });

  it('refuses a foreign Host (DNS rebinding) on the admin API and on the AWS APIs', async () => {
    // Prepare: a page on attacker.example whose name now resolves to 127.0.0.1 is same-origin with itself
    const rebound = {
      host: `attacker.example:${sandbox.port}`,
      origin: `http://attacker.example:${sandbox.port}`,
    };
    // Act
    const outbox = await send('GET', '/_sandbox/outbox/email', rebound);
    const reset = await send('POST', '/_sandbox/reset', { ...rebound, 'content-type': 'application/json' });
    const ecr = await send(
      'POST',
      '/',
      {
        ...rebound,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      },
      '{}',
    );
    const sqs = await send('GET', '/?Action=ListQueues', rebound);
    // Assess
    expect([outbox.status, reset.status, ecr.status, sqs.status]).toEqual([403, 403, 403, 403]);
    expect(JSON.parse(outbox.body).message).toContain(`Host "attacker.example:${sandbox.port}"`);
  });

  it('refuses a request a browser marks as from another site even without an Origin', async () => {
    const response = await send('GET', '/_sandbox/outbox/email', { 'sec-fetch-site': 'cross-site' });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body).message).toContain('Sec-Fetch-Site "cross-site"');
  });

  it.each([
    ['text/plain;charset=UTF-8', '"text/plain;charset=UTF-8"'],
    ['application/x-www-form-urlencoded', '"application/x-www-form-urlencoded"'],
    [undefined, 'none'],
  ])('answers an admin POST of content-type %s with 415 naming the header', async (type, shown) => {
    // Act
    const response = await send(
      'POST',
      '/_sandbox/faults',
      type === undefined ? {} : { 'content-type': type },
      FAULT,
    );
    // Assess
    expect(response.status).toBe(415);
    expect(JSON.parse(response.body)).toEqual({
      message: `POST /_sandbox/faults needs the header "content-type: application/json" (got ${shown})`,
    });
    expect(await faultCount()).toBe(0);
  });

  it('answers a bodiless POST /_sandbox/reset without content-type with 415', async () => {
    expect((await send('POST', '/_sandbox/reset')).status).toBe(415);
  });
});

describe('what keeps working', () => {
  it.each([
    ['no Origin', {}],
    ['its own Origin', { origin: 'OWN' }],
    ['Host localhost', { host: 'localhost:PORT' }],
    ['Host [::1]', { host: '[::1]:PORT' }],
  ])('accepts a JSON admin POST with %s', async (_case, extra) => {
    // Prepare
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    for (const [name, value] of Object.entries(extra)) {
      headers[name] =
        value === 'OWN' ? `http://127.0.0.1:${sandbox.port}` : value.replace('PORT', String(sandbox.port));
    }
    // Act
    const response = await send('POST', '/_sandbox/faults', headers, FAULT);
    // Assess
    expect(response.status).toBe(201);
    expect(await faultCount()).toBe(1);
  });

  it('accepts a post to the stand-in Slack webhook as notify-slack sends it', async () => {
    const response = await send(
      'POST',
      '/_sandbox/webhooks/slack',
      { 'content-type': 'application/json; charset=utf-8' },
      '{"text":"hello"}',
    );
    expect(response).toEqual({ status: 200, body: 'ok' });
  });

  it('serves the AWS SDK (the emulator and moto)', async () => {
    const config = awsClientConfig(sandbox.url);
    const ecr = new ECRClient(config);
    const sqs = new SQSClient(config);
    try {
      expect((await ecr.send(new DescribeRepositoriesCommand({}))).$metadata.httpStatusCode).toBe(200);
      expect((await sqs.send(new ListQueuesCommand({}))).$metadata.httpStatusCode).toBe(200);
    } finally {
      ecr.destroy();
      sqs.destroy();
    }
  });

  it('serves the AWS CLI (the emulator and moto)', async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_MAX_ATTEMPTS: '1',
    };
    const aws = (...args: string[]) =>
      promisify(execFile)('aws', [...args, '--endpoint-url', sandbox.url, '--output', 'json'], { env });
    expect(JSON.parse((await aws('ecr', 'describe-repositories')).stdout)).toEqual({ repositories: [] });
    await expect(aws('sqs', 'list-queues')).resolves.toBeDefined();
  });
});

describe('ecr-sentinel sandbox --host', () => {
  it('warns that a non-loopback address exposes the admin API, and still serves', async () => {
    // Prepare
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '../../../bin/ecr-sentinel.js'),
        'sandbox',
        '--host',
        '0.0.0.0',
        '--port',
        String(port),
        '--no-runtime',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Act
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => {
          if (stdout.includes('sandbox ready on')) resolve();
        });
        child.once('exit', () => reject(new Error(`sandbox exited: ${stderr}`)));
      });
      // Assess
      expect(stderr).toContain(
        `sandbox: warning: listening on 0.0.0.0, which is not a loopback address: anyone who can reach this machine on port ${port} can use the admin API`,
      );
      const health = await fetch(`http://127.0.0.1:${port}/_sandbox/health`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
