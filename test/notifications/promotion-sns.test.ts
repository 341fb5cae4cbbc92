import type { PublishCommand, PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import {
  SNS_ATTRIBUTE_VALUE_MAX,
  SNS_MESSAGE_MAX_BYTES,
  snsAlertMessage,
  snsAlerts,
  snsMessageAttributes,
  snsMessageJson,
} from '../../src/notifications/adapters/sns-alerts.ts';
import { anyAlertDocumentSchema } from '../../src/notifications/alert-document.ts';
import { SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import { snsAlertEventSchema } from '../../src/notifications/events.ts';
import { notifySlack, slackMessageFor } from '../../src/notifications/notify-slack.ts';
import type { SecretReader, WebhookPoster } from '../../src/notifications/ports.ts';
import { slackPromotionMessage } from '../../src/notifications/promotion-blocks.ts';
import {
  COMPACT_PROMOTION_LIMITS,
  FULL_PROMOTION_LIMITS,
  limitPromotionAlert,
  type PromotionAlert,
} from '../../src/notifications/promotion-document.ts';
import { promotionEmailText } from '../../src/notifications/promotion-email.ts';
import { PROMOTION_DIGEST, PROMOTION_ID, promotionOf } from './promotion-fixtures.ts';

function snsEvent(message: string) {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:eu-west-1:123456789012:alerts:sub',
        Sns: { MessageId: 'm-1', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts', Message: message },
      },
    ],
  };
}

/** Bytes SNS counts against its message size: the body and every attribute's name, data type and value. */
function publishBytes(input: PublishCommandInput): number {
  let bytes = Buffer.byteLength(input.Message ?? '', 'utf8');
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(`${name}${value.DataType ?? ''}${value.StringValue ?? ''}`, 'utf8');
  }
  return bytes;
}

describe('SNS message of a promotion alert', () => {
  it('sets attributes subscriptions can filter promotions on', () => {
    const attributes = snsMessageAttributes(promotionOf('refused'));

    expect(Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.StringValue]))).toEqual({
      alertType: 'promotion',
      promotionEvent: 'refused',
      verdict: 'FAIL',
      repository: 'orders-api-prod',
      environment: 'prod',
    });
  });

  it('builds a MessageStructure json body: the email text for email, the document for sqs and lambda', () => {
    const alert = promotionOf('pending-approval');

    const message = snsAlertMessage(alert);
    const body = JSON.parse(message.Message) as Record<string, string>;

    expect(message.Subject).toBe(alert.subject);
    expect(message.MessageStructure).toBe('json');
    expect(body.email).toBe(promotionEmailText(alert));
    expect(body.default).toBe(body.email);
    expect(JSON.parse(body.sqs ?? '')).toEqual(limitPromotionAlert(alert, FULL_PROMOTION_LIMITS));
    expect(body.lambda).toBe(body.sqs);
  });

  it('falls back to the compact form when the full one does not fit', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `CVE-2024-${i}-${'9'.repeat(80)}`);
    const alert = promotionOf('refused', { gate: { ...promotionOf('refused').gate, blocking: ids } });
    const full = snsMessageJson(alert);

    const body = JSON.parse(snsMessageJson(alert, Buffer.byteLength(full) - 1)) as Record<string, string>;

    expect(body.email).toBe(promotionEmailText(alert, COMPACT_PROMOTION_LIMITS));
    expect(JSON.parse(body.lambda ?? '')).toEqual(limitPromotionAlert(alert, COMPACT_PROMOTION_LIMITS));
  });

  const HUGE = `${'x'.repeat(150_000)}\n${'é'.repeat(75_000)}`; // ~300 KB as UTF-8, with a line break
  const base = promotionOf('pending-approval');
  it.each<[string, Partial<PromotionAlert>]>([
    ['reason', { reason: HUGE }],
    ['error', { error: HUGE }],
    ['subject', { subject: HUGE }],
    ['app', { app: HUGE }],
    ['appVersion', { appVersion: HUGE }],
    ['digest', { digest: HUGE }],
    ['requestedBy', { requestedBy: HUGE }],
    ['target repository', { to: { ...base.to, repositoryName: HUGE, environment: HUGE } }],
    ['gate reason', { gate: { ...base.gate, reason: HUGE } }],
    ['blocking ids', { gate: { ...base.gate, blocking: [HUGE, HUGE] } }],
    ['consoleUrl', { consoleUrl: `${base.consoleUrl}${'x'.repeat(300_000)}` }],
    [
      'every one of them at once',
      {
        reason: HUGE,
        error: HUGE,
        subject: HUGE,
        app: HUGE,
        appVersion: HUGE,
        digest: HUGE,
        requestedBy: HUGE,
      },
    ],
  ])('keeps the whole Publish input within SNS limits with a 300 KB %s', async (_field, over) => {
    const published: PublishCommandInput[] = [];
    // A stand-in for the client (not an SDK mock): it records what would be sent and answers like SNS.
    const sns = {
      send: async (command: PublishCommand) => {
        published.push(command.input);
        return { MessageId: 'm-1' };
      },
    } as unknown as SNSClient;

    await snsAlerts(sns, 'arn:aws:sns:us-east-1:123456789012:alerts').publish({ ...base, ...over });

    const [input] = published;
    if (!input) throw new Error('nothing published');
    expect(publishBytes(input)).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect(input.Subject?.length ?? 0).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(input.Subject).toMatch(/^[\x20-\x7E]+$/);
    for (const value of Object.values(input.MessageAttributes ?? {})) {
      expect(value.StringValue?.length ?? 0).toBeGreaterThan(0);
      expect(value.StringValue?.length ?? 0).toBeLessThanOrEqual(SNS_ATTRIBUTE_VALUE_MAX);
    }
    // What is sent is what notify-slack accepts, and a pending approval still says how to approve.
    const body = JSON.parse(input.Message ?? '') as Record<string, string>;
    const document = anyAlertDocumentSchema.parse(JSON.parse(body.lambda ?? ''));
    expect(document).toMatchObject({ type: 'ecr-sentinel.promotion', promotionId: PROMOTION_ID });
    expect(JSON.stringify(document)).toContain(`approve ${PROMOTION_ID}`);
    expect(body.email).toContain(PROMOTION_ID);
  });
});

describe('SNS alert event carrying a promotion', () => {
  const envelope = JSON.parse(snsMessageJson(promotionOf('completed'))) as Record<string, string>;

  it.each(['lambda', 'sqs'])('reads the promotion document SNS delivers for the %s protocol', (key) => {
    const parsed = snsAlertEventSchema.parse(snsEvent(envelope[key] as string));
    expect(parsed.Records[0]?.Sns.Message).toMatchObject({
      type: 'ecr-sentinel.promotion',
      event: 'completed',
      digest: PROMOTION_DIGEST,
    });
  });

  it('reads it out of a whole envelope published without MessageStructure', () => {
    const parsed = snsAlertEventSchema.parse(snsEvent(JSON.stringify(envelope)));
    expect(parsed.Records[0]?.Sns.Message).toMatchObject({ type: 'ecr-sentinel.promotion' });
  });

  it.each([
    [
      'a promotion without its target',
      JSON.stringify({ ...promotionOf('completed'), to: undefined }),
      'Records.0.Sns.Message.to',
    ],
    [
      'a promotion with a bad id',
      JSON.stringify({ ...promotionOf('completed'), promotionId: 'x' }),
      'Records.0.Sns.Message.promotionId',
    ],
    [
      'a document of another type',
      JSON.stringify({ type: 'ecr-sentinel.drift' }),
      'Records.0.Sns.Message.type',
    ],
  ])('rejects %s naming the field', (_what, message, path) => {
    const result = snsAlertEventSchema.safeParse(snsEvent(message));
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('notify-slack with a promotion alert', () => {
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

  it('posts the promotion blocks and summarises the promotion', async () => {
    const alert = anyAlertDocumentSchema.parse(JSON.parse(JSON.stringify(promotionOf('pending-approval'))));

    const summary = await notifySlack({ secrets, webhook, webhookParameter: '/p' })({
      messageId: 'm-1',
      alert,
      remainingMs: () => 20_000,
    });

    expect(summary).toMatchObject({
      outcome: 'posted',
      alertType: 'promotion',
      promotionId: PROMOTION_ID,
      event: 'pending-approval',
      repositoryName: 'orders-api-prod',
      imageDigest: PROMOTION_DIGEST,
      attempts: 1,
    });
    expect(posts.at(-1)).toEqual(slackPromotionMessage(promotionOf('pending-approval')));
  });

  it('renders the cut-down promotion document too', () => {
    const body = JSON.parse(
      snsMessageJson(promotionOf('refused', { reason: 'x'.repeat(300_000) }), 2_500),
    ) as {
      lambda: string;
    };
    const alert = anyAlertDocumentSchema.parse(JSON.parse(body.lambda));
    expect(alert).toMatchObject({ truncated: true });

    const message = slackMessageFor(alert);

    expect(message.text).toBe(promotionOf('refused').subject);
    expect(JSON.stringify(message.blocks)).toContain('too large to send in full');
  });
});
