import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

/**
 * The webhook URL's path is the secret. A stand-in webhook that echoes the path back in its error bodies (as
 * proxies and some Slack errors do): nothing the adapter throws or logs may carry the path or its token.
 */
describe('Slack webhook adapter keeps the webhook path secret', () => {
  const TOKEN = 'Xq7SeCrEtToKeN9w2Lz4Kp0R';
  const PATH = `/services/T0SECRETA/B0SECRETB/${TOKEN}`;
  let server: Server;
  let url = '';
  const answers: Array<[number, (path: string) => string]> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [status, body] = answers.shift() ?? [200, () => 'ok'];
        res.writeHead(status, { 'content-type': 'text/plain' }).end(body(req.url ?? ''));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
  });
  afterAll(() => {
    vi.unstubAllGlobals();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function run() {
    const logged: unknown[] = [];
    const poster = slackWebhook({
      random: () => 0,
      sleep: async () => {},
      log: {
        warn: (message, data) => logged.push({ message, data }),
        error: (message, data) => logged.push({ message, data }),
      },
    });
    const outcome = poster
      .post(url, { text: 'hi' }, { remainingMs: () => 25_000 })
      .then(() => undefined)
      .catch((e: unknown) => e as Error);
    return { logged, outcome };
  }

  /** Everything an error or a log line could show: message, stack, own fields, cause, and the logs. */
  function everythingShown(error: Error | undefined, logged: unknown[]): string {
    return JSON.stringify({
      error: { ...error },
      message: error?.message,
      stack: error?.stack,
      cause: String(error?.cause),
      logged,
    });
  }

  it.each<[string, (path: string) => string]>([
    ['the path', (path) => `no_service: ${path}`],
    ['the path percent-encoded', (path) => `invalid_token for ${encodeURIComponent(path)}`],
    ['only the token', () => `invalid_token ${TOKEN}`],
    ['the URL without scheme', (path) => `channel_not_found 127.0.0.1${path}`],
  ])('redacts a 4xx body that echoes %s', async (_case, echo) => {
    answers.push([404, echo]);
    const { logged, outcome } = run();
    const error = await outcome;

    expect(error).toBeInstanceOf(SlackWebhookRejectedError);
    const shown = everythingShown(error, logged);
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain('SECRET');
  });

  it('redacts 5xx bodies that echo the path, in the retry logs and the final error', async () => {
    answers.push(
      ...Array.from({ length: 4 }, (): [number, (p: string) => string] => [503, (p) => `upstream ${p} down`]),
    );
    const { logged, outcome } = run();
    const error = await outcome;

    expect(error).toBeInstanceOf(SlackWebhookUnavailableError);
    expect(logged.length).toBeGreaterThan(0);
    expect(everythingShown(error, logged)).not.toContain(TOKEN);
  });

  it.each([
    ['a plain Error', () => new Error(`connect failed: ${url}`)],
    [
      'a TypeError whose cause names the URL',
      () => new TypeError(`fetch failed ${url}`, { cause: new Error(`getaddrinfo ${url}`) }),
    ],
  ])('does not pass on %s from fetch that names the URL', async (_case, failure) => {
    vi.stubGlobal('fetch', async () => {
      throw failure();
    });
    try {
      const { logged, outcome } = run();
      const error = await outcome;
      expect(error).toBeInstanceOf(SlackWebhookUnavailableError);
      expect(everythingShown(error, logged)).not.toContain(TOKEN);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
