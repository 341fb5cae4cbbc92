import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SlackWebhookRejectedError,
  SlackWebhookUnavailableError,
  slackErrorText,
  slackWebhook,
} from '../../src/notifications/adapters/slack-webhook.ts';

/** The adapter against a local HTTP server that answers a scripted sequence of statuses. */
describe('Slack webhook adapter', () => {
  let server: Server;
  let base = '';
  const scripts = new Map<string, Array<[number, string]>>();
  const bodies: unknown[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        const [status, text] = scripts.get(req.url ?? '')?.shift() ?? [200, 'ok'];
        res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const delays: number[] = [];
  const poster = slackWebhook({
    random: () => 0,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  const roomy = { remainingMs: () => 25_000 };

  it('retries 5xx with backoff and posts the JSON message', async () => {
    scripts.set('/retry', [
      [503, 'service_unavailable'],
      [500, 'oops'],
    ]);
    delays.length = 0;
    const { attempts } = await poster.post(`${base}/retry`, { text: 'hi' }, roomy);
    expect(attempts).toBe(3);
    expect(delays).toEqual([250, 500]);
    expect(bodies.at(-1)).toEqual({ text: 'hi' });
  });

  it('fails at once on a 4xx with Slack’s error text', async () => {
    scripts.set('/gone', [[404, 'no_service']]);
    const error = await poster.post(`${base}/gone`, { text: 'hi' }, roomy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackWebhookRejectedError);
    expect(error).toMatchObject({ status: 404, slackError: 'no_service' });
  });

  it('gives up on a network error without naming the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/services/SECRET`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = (await poster.post(url, { text: 'hi' }, roomy).catch((e: unknown) => e)) as Error;

    expect(error).toBeInstanceOf(SlackWebhookUnavailableError);
    expect(error.message).toMatch(/after 4 attempts \(last: ECONNREFUSED/);
    expect(JSON.stringify({ message: error.message, stack: error.stack, cause: error.cause })).not.toContain(
      'SECRET',
    );
  });

  it('keeps error text short and free of URLs', () => {
    expect(slackErrorText('invalid_token for https://hooks.slack.com/services/T/B/X', 'x')).toBe(
      'invalid_token for [URL]',
    );
    expect(slackErrorText('x'.repeat(500), 'u')).toHaveLength(200);
  });
});
