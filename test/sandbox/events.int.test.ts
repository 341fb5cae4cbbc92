import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcrEmulator, EcrEmulatorOptions } from '../../src/sandbox/contracts.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { eventQueue } from '../support/event-queue.ts';
import { awsClientConfig } from '../support/sandbox.ts';

// A stand-in emulator: every request emits `count` numbered events, so ordering and batching are observable.
let sandbox: Sandbox;
let options: EcrEmulatorOptions;
const stub: EcrEmulator = {
  async serve(_action, rawBody) {
    const { count, tag } = JSON.parse(rawBody) as { count: number; tag: string };
    options.emit(
      Array.from({ length: count }, (_, n) => ({
        Source: 'test.sandbox',
        DetailType: 'Numbered',
        Detail: JSON.stringify({ tag, n }),
        Resources: [],
        Time: options.clock.now(),
      })),
    );
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{}' };
  },
  readBlob: () => undefined,
  setFindings: () => {},
  scanType: () => 'BASIC',
  runLifecycle: () => [],
  reset: () => {},
  flush: async () => {},
  close: async () => {},
};

const config = () => awsClientConfig(sandbox.url);

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    quiet: true,
    createEmulator: async (given) => {
      options = given;
      return stub;
    },
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('events from the emulator', () => {
  it('reach moto’s default bus in order, without counting as user requests', async () => {
    // Prepare
    const queue = await eventQueue(config(), 'numbered', { source: ['test.sandbox'] });
    await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });
    // Act: 23 events from one request (3 PutEvents batches), answered before they are delivered
    const response = await fetch(sandbox.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.PutImage' },
      body: JSON.stringify({ count: 23, tag: 'a' }),
    });
    expect(response.status).toBe(200);
    // Assess
    const received = (await queue.read({ until: (got) => got.length >= 23 })).map((e) => e.detail.n);
    expect(received).toEqual(Array.from({ length: 23 }, (_, n) => n));
    const requests = await (await fetch(`${sandbox.url}/_sandbox/requests`)).json();
    expect(requests).toEqual({
      ecr: { PutImage: 1 },
      sqs: { ReceiveMessage: expect.any(Number), DeleteMessageBatch: expect.any(Number) },
    });
    const health = (await (await fetch(`${sandbox.url}/_sandbox/health`)).json()) as { events: unknown };
    expect(health.events).toEqual({ sent: 23, failed: 0, pending: 0 });
    queue.close();
  });
});
