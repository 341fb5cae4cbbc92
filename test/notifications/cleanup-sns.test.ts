import type { PublishCommand, PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { cleanupSummaryAlert } from '../../src/cleanup/alert.ts';
import {
  SNS_MESSAGE_MAX_BYTES,
  snsAlertMessage,
  snsAlerts,
  snsMessageAttributes,
  snsMessageJson,
} from '../../src/notifications/adapters/sns-alerts.ts';
import { anyAlertDocumentSchema } from '../../src/notifications/alert-document.ts';
import { SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import { slackCleanupMessage } from '../../src/notifications/cleanup-blocks.ts';
import {
  type CleanupAlert,
  COMPACT_CLEANUP_LIMITS,
  FULL_CLEANUP_LIMITS,
  limitCleanupAlert,
  MINIMAL_CLEANUP_LIMITS,
} from '../../src/notifications/cleanup-document.ts';
import { cleanupEmailText } from '../../src/notifications/cleanup-email.ts';
import { snsAlertEventSchema } from '../../src/notifications/events.ts';
import { notifySlack, slackMessageFor } from '../../src/notifications/notify-slack.ts';
import type { SecretReader, WebhookPoster } from '../../src/notifications/ports.ts';
import { hugeReport, noticeOf, RUN_ID, refusedOf, summaryOf, WHERE } from './cleanup-fixtures.ts';

/** Bytes SNS counts against its message size: the body and every attribute's name, data type and value. */
function publishBytes(input: PublishCommandInput): number {
  let bytes = Buffer.byteLength(input.Message ?? '', 'utf8');
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(`${name}${value.DataType ?? ''}${value.StringValue ?? ''}`, 'utf8');
  }
  return bytes;
}

const values = (attributes: ReturnType<typeof snsMessageAttributes>) =>
  Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.StringValue]));

describe('SNS message of a cleanup alert', () => {
  it.each<[string, () => CleanupAlert, Record<string, string>]>([
    ['a summary', () => summaryOf(), { alertType: 'cleanup', cleanupKind: 'summary', dryRun: 'false' }],
    [
      'a dry-run summary',
      () => summaryOf({ dryRun: true }),
      { alertType: 'cleanup', cleanupKind: 'summary', dryRun: 'true' },
    ],
    ['a notice', () => noticeOf(), { alertType: 'cleanup', cleanupKind: 'notice', dryRun: 'false' }],
    [
      'a CLI refusal',
      () => refusedOf(null),
      { alertType: 'cleanup', cleanupKind: 'refused', repository: 'legacy-batch' },
    ],
  ])('sets attributes subscriptions can filter %s on (and no verdict)', (_case, build, expected) => {
    expect(values(snsMessageAttributes(build()))).toEqual(expected);
  });

  it('builds a MessageStructure json body: the email text for email, the document for sqs and lambda', () => {
    const alert = summaryOf();

    const message = snsAlertMessage(alert);
    const body = JSON.parse(message.Message) as Record<string, string>;

    expect(message.Subject).toBe(alert.subject);
    expect(body.email).toBe(cleanupEmailText(alert));
    expect(body.default).toBe(body.email);
    expect(JSON.parse(body.sqs ?? '')).toEqual(limitCleanupAlert(alert, FULL_CLEANUP_LIMITS));
    expect(body.lambda).toBe(body.sqs);
  });

  it('falls back to compact lists, then to totals only, when the larger form does not fit', () => {
    const alert = cleanupSummaryAlert(hugeReport(), WHERE);
    const whole = snsMessageJson(alert, Number.MAX_SAFE_INTEGER);
    const full = JSON.parse(whole) as Record<string, string>;
    expect(full.email).toBe(cleanupEmailText(alert, FULL_CLEANUP_LIMITS));

    const smaller = JSON.parse(snsMessageJson(alert, Buffer.byteLength(whole) - 1)) as Record<string, string>;
    expect(smaller.email).toBe(cleanupEmailText(alert, COMPACT_CLEANUP_LIMITS));

    const least = JSON.parse(snsMessageJson(alert, 20_000)) as Record<string, string>;
    expect(least.email).toBe(cleanupEmailText(alert, MINIMAL_CLEANUP_LIMITS));
    expect(JSON.parse(least.lambda ?? '')).toEqual(limitCleanupAlert(alert, MINIMAL_CLEANUP_LIMITS));
  });

  const HUGE = `${'x'.repeat(150_000)}\n${'é'.repeat(75_000)}`; // ~300 KB as UTF-8, with a line break
  it.each<[string, () => CleanupAlert]>([
    ['a 500-repository run', () => cleanupSummaryAlert(hugeReport(), WHERE)],
    [
      'a run whose reasons are 300 KB each',
      () => {
        const alert = summaryOf();
        return { ...alert, subject: HUGE, stage: HUGE, skips: [{ repositoryName: HUGE, reason: HUGE }] };
      },
    ],
    ['a refusal with a 300 KB reason', () => ({ ...refusedOf(), reason: HUGE, repositoryName: HUGE })],
  ])('keeps the whole Publish input within SNS limits for %s', async (_case, build) => {
    const published: PublishCommandInput[] = [];
    // A stand-in for the client (not an SDK mock): it records what would be sent and answers like SNS.
    const sns = {
      send: async (command: PublishCommand) => {
        published.push(command.input);
        return { MessageId: 'm-1' };
      },
    } as unknown as SNSClient;

    await snsAlerts(sns, 'arn:aws:sns:eu-west-1:123456789012:alerts').publish(build());

    const [input] = published;
    if (!input) throw new Error('nothing published');
    expect(publishBytes(input)).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect(input.Subject?.length ?? 0).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(input.Subject).toMatch(/^[\x20-\x7E]+$/);
    // What is sent is what notify-slack accepts.
    const body = JSON.parse(input.Message ?? '') as Record<string, string>;
    expect(anyAlertDocumentSchema.parse(JSON.parse(body.lambda ?? ''))).toMatchObject({
      type: 'ecr-sentinel.cleanup',
    });
  });
});

describe('SNS alert event carrying a cleanup alert', () => {
  const envelope = JSON.parse(snsMessageJson(summaryOf())) as Record<string, string>;

  it.each(['lambda', 'sqs'])('reads the document SNS delivers for the %s protocol', (key) => {
    const record = {
      EventSource: 'aws:sns',
      Sns: {
        MessageId: 'm-1',
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
        Message: envelope[key],
      },
    };

    const parsed = snsAlertEventSchema.parse({ Records: [record] });

    expect(parsed.Records[0]?.Sns.Message).toMatchObject({
      type: 'ecr-sentinel.cleanup',
      kind: 'summary',
      run: { runId: RUN_ID },
    });
  });
});

describe('notify-slack with a cleanup alert', () => {
  const posts: unknown[] = [];
  const secrets: SecretReader = {
    get: async () => 'https://hooks.slack.example/services/T/B/X',
    invalidate() {},
  };
  const webhook: WebhookPoster = {
    async post(_url, message) {
      posts.push(message);
      return { attempts: 1 };
    },
  };

  it.each<[string, () => CleanupAlert, Record<string, unknown>]>([
    ['summary', () => summaryOf(), { kind: 'summary', runId: RUN_ID }],
    ['refusal', () => refusedOf(), { kind: 'refused', runId: RUN_ID, repositoryName: 'legacy-batch' }],
  ])('posts the cleanup blocks of a %s and summarises it', async (_case, build, about) => {
    const alert = anyAlertDocumentSchema.parse(JSON.parse(JSON.stringify(build())));

    const summary = await notifySlack({ secrets, webhook, webhookParameter: '/p' })({
      messageId: 'm-1',
      alert,
      remainingMs: () => 20_000,
    });

    expect(summary).toMatchObject({ outcome: 'posted', alertType: 'cleanup', attempts: 1, ...about });
    expect(posts.at(-1)).toEqual(slackCleanupMessage(build()));
    expect(slackMessageFor(alert)).toEqual(slackCleanupMessage(build()));
  });
});
