import {
  type AttemptOutcome,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryDecision,
} from '../../shared/backoff.ts';
import { SentinelError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import type { WebhookPoster } from '../ports.ts';

/**
 * {@link WebhookPoster} for Slack incoming webhooks: POST the message as JSON with fetch; 429 (after its
 * `Retry-After`), 5xx and network errors are retried with jittered exponential backoff within the time left
 * (see src/shared/backoff.ts); any other 4xx is final.
 *
 * The webhook URL is a secret (whoever has it can post to the channel), its path above all: it is never logged
 * and never part of an error (messages, causes) — whatever fetch throws is reduced to its code, and response
 * bodies that echo the URL, its path or its token are redacted ({@link redactWebhook}).
 */

/** Slack answered 4xx (not 429): the message or the webhook is wrong; retrying will not help. */
export class SlackWebhookRejectedError extends SentinelError {
  override readonly name = 'SlackWebhookRejectedError';
  constructor(
    readonly status: number,
    /** Slack's error text, e.g. `invalid_blocks`, `invalid_token`, `no_service`, `channel_not_found`. */
    readonly slackError: string,
  ) {
    super(`Slack rejected the message: HTTP ${status} ${slackError || '(no error text)'}`);
  }
}

/** Slack could not be reached or kept failing (429/5xx/network) until attempts or time ran out. */
export class SlackWebhookUnavailableError extends SentinelError {
  override readonly name = 'SlackWebhookUnavailableError';
  constructor(
    readonly attempts: number,
    /** `HTTP 503`, `ECONNREFUSED`, `TimeoutError`… of the last attempt. */
    readonly lastFailure: string,
    readonly reason: 'attempts' | 'time',
  ) {
    super(
      `Slack webhook unavailable after ${attempts} attempt${attempts === 1 ? '' : 's'} (last: ${lastFailure}; ` +
        `${reason === 'time' ? 'no time left for another attempt' : 'attempts used up'})`,
      { retryable: true },
    );
  }
}

/** What the adapter logs (a Powertools Logger fits). Never given the URL. */
export interface WebhookLog {
  warn(message: string, data: Record<string, unknown>): void;
  error(message: string, data: Record<string, unknown>): void;
}

export interface SlackWebhookOptions {
  policy?: RetryPolicy;
  /** Longest a single attempt may take (default 10 s; less when less time is left). */
  attemptTimeoutMs?: number;
  log?: WebhookLog;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const ERROR_TEXT_MAX = 200;

/** A path segment this long is an id or the token (`T…`, `B…`, 24 characters); shorter ones are words. */
const SECRET_SEGMENT_MIN = 8;

/**
 * What would give a webhook away: the URL, its path (the secret: whoever has it can post), each long path
 * segment, and their percent-encoded forms, longest first so a part never leaves a longer one half-replaced.
 */
function secretParts(url: string): string[] {
  const parts = new Set<string>([url]);
  let path = '';
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL: only the whole string can be recognised.
  }
  if (path.length > 1) {
    parts.add(path);
    for (const segment of path.split('/')) {
      if (segment.length >= SECRET_SEGMENT_MIN && segment !== 'services') parts.add(segment);
    }
  }
  for (const part of [...parts]) parts.add(encodeURIComponent(part));
  return [...parts].sort((a, b) => b.length - a.length);
}

/** `text` with every trace of the webhook URL (see {@link secretParts}) replaced by `[redacted]`. */
export function redactWebhook(text: string, url: string): string {
  if (!url) return text;
  let redacted = text;
  for (const part of secretParts(url)) redacted = redacted.replaceAll(part, '[redacted]');
  return redacted;
}

/**
 * Slack's error text from a response body: one line, short, and without the webhook (a proxy or Slack may
 * echo the URL or just its path) or any other URL.
 */
export function slackErrorText(body: string, url: string): string {
  let text = redactWebhook(body.replace(/\p{Cc}+/gu, ' ').trim(), url);
  text = text.replace(/https?:\/\/\S+/g, '[URL]');
  return text.length > ERROR_TEXT_MAX ? `${text.slice(0, ERROR_TEXT_MAX - 1)}…` : text;
}

/**
 * The code of a failed fetch (`ECONNREFUSED`, `UND_ERR_SOCKET`, `TimeoutError`…), nothing else: messages and
 * causes of network errors name the URL.
 */
function networkCode(error: unknown): string {
  if (error instanceof DOMException) return error.name;
  const cause = (error as { cause?: { code?: unknown; name?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code)) return cause.code;
  if (typeof cause?.name === 'string' && /^\w+$/.test(cause.name)) return cause.name;
  return error instanceof TypeError ? 'NetworkError' : 'FetchError';
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What {@link slackWebhook} calls: no AWS API, a plain HTTPS POST. */
export const slackWebhookPermissions: IamPermissions = [];

export function slackWebhook(options: SlackWebhookOptions = {}): WebhookPoster {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  const log = options.log;

  return {
    async post(url, message, { remainingMs }) {
      const body = JSON.stringify(message);
      for (let attempt = 1; ; attempt++) {
        const budget = Math.max(1, Math.min(attemptTimeoutMs, remainingMs()));
        let outcome: AttemptOutcome;
        let errorText = '';
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body,
            signal: AbortSignal.timeout(budget),
          });
          const text = await response.text();
          outcome = {
            kind: 'response',
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
          };
          if (!response.ok) errorText = slackErrorText(text, url);
        } catch (error) {
          // fetch rejects with a TypeError for network failures and a DOMException on timeout/abort; anything
          // else it throws is treated the same way, so no error that names the URL ever leaves this adapter.
          outcome = { kind: 'network', code: networkCode(error) };
        }

        const decision = retryDecision({
          outcome,
          attempt,
          remainingMs: remainingMs(),
          attemptBudgetMs: Math.min(attemptTimeoutMs, remainingMs()),
          random: random(),
          nowMs: now(),
          policy,
        });
        const failure = outcome.kind === 'response' ? `HTTP ${outcome.status}` : outcome.code;
        switch (decision.action) {
          case 'done':
            return { attempts: attempt };
          case 'final': {
            const status = outcome.kind === 'response' ? outcome.status : 0;
            log?.error('Slack rejected the message', { status, slackError: errorText, attempt });
            throw new SlackWebhookRejectedError(status, errorText);
          }
          case 'give-up':
            throw new SlackWebhookUnavailableError(attempt, failure, decision.reason);
          case 'retry':
            log?.warn('Slack webhook attempt failed, retrying', {
              attempt,
              failure,
              ...(errorText ? { slackError: errorText } : {}),
              delayMs: decision.delayMs,
            });
            await sleep(decision.delayMs);
        }
      }
    },
  };
}
