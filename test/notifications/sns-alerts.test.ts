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
import {
  type AlertDocument,
  anyAlertDocumentSchema,
  FULL_LIMITS,
  limitAlertDocument,
} from '../../src/notifications/alert-document.ts';
import { alertEmailText } from '../../src/notifications/alert-email.ts';
import { SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import { exception, failingVerdict, finding, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf } from './alert-fixtures.ts';

const failing = failingVerdict;

const LONG = `${'very-long-team-name/'.repeat(10)}service-api`;

describe('SNS alert message', () => {
  it.each([
    [
      'a failing image',
      failing(),
      { verdict: 'FAIL', worstSeverity: 'CRITICAL', repository: 'my-web-app', alertKind: 'new' },
    ],
    [
      'an excepted-only image',
      verdictOf({ findings: [finding('CVE-1', 'CRITICAL')], exceptions: [exception('CVE-1')] }),
      { verdict: 'PASS', worstSeverity: 'NONE', repository: 'orders-api-prod', alertKind: 'new' },
    ],
    [
      'a failed scan',
      verdictOf({ scanStatus: 'FAILED' }),
      { verdict: 'ERROR', worstSeverity: 'NONE', repository: 'orders-api-prod', alertKind: 'new' },
    ],
  ])('sets message attributes for %s', (_case, verdict, expected) => {
    const attributes = snsMessageAttributes(alertOf(verdict, 'new'));

    expect(Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.StringValue]))).toEqual(
      expected,
    );
    expect(Object.values(attributes).every((a) => a.DataType === 'String')).toBe(true);
  });

  it('builds a MessageStructure json body with text for email and JSON for sqs and lambda', () => {
    const alert = alertOf(failing());

    const body = JSON.parse(snsMessageJson(alert)) as Record<string, string>;

    expect(Object.keys(body).sort()).toEqual(['default', 'email', 'lambda', 'sqs']);
    expect(body.email).toBe(alertEmailText(alert));
    expect(body.default).toBe(body.email);
    expect(JSON.parse(body.sqs ?? '')).toEqual(limitAlertDocument(alert, FULL_LIMITS));
    expect(body.lambda).toBe(body.sqs);
  });

  it('stays within the SNS size limit for a pathological verdict', () => {
    const long = 'x'.repeat(5000);
    const verdict = verdictOf({
      repositoryName: LONG,
      imageTags: Array.from({ length: 1000 }, (_, i) => `tag-${i}-${'t'.repeat(280)}`),
      findings: Array.from({ length: 1000 }, (_, i) =>
        finding(`CVE-2024-${i}-${'9'.repeat(200)}`, 'CRITICAL', {
          package: long,
          installedVersion: long,
          fixedVersion: long,
          title: long,
          link: `https://e/${long}`,
        }),
      ),
      exceptions: Array.from({ length: 500 }, (_, i) =>
        exception(`CVE-2024-${i}-${'9'.repeat(200)}`, {
          repositories: ['*'],
          expires: '2020-01-01',
          owner: long,
          ticket: long,
        }),
      ),
    });

    const hugeTags = Array.from({ length: 500 }, (_, i) => `tag-${i}-${'t'.repeat(280)}`);
    const alert = snsAlertMessage(
      alertOf(verdict, 'changed', {
        stage: long,
        environment: long,
        group: long,
        enforcement: { tags: hugeTags, removed: hugeTags.slice(0, 250), skipped: hugeTags.slice(250) },
        previous: verdictOf({
          findings: Array.from({ length: 1000 }, (_, i) => finding(`OLD-${i}-${long}`, 'HIGH')),
        }),
      }),
    );

    expect(Buffer.byteLength(alert.Message, 'utf8')).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect([...alert.Subject].length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(alert.MessageStructure).toBe('json');
    const sent = anyAlertDocumentSchema.parse(JSON.parse(JSON.parse(alert.Message).sqs));
    expect(sent).toMatchObject({ fixed: { count: 1000 }, enforcement: { action: 'untag' } });
  });
});

/** Bytes SNS counts against its message size: the body and every attribute's name, data type and value. */
function publishBytes(input: {
  Message?: string | undefined;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string }> | undefined;
}): number {
  let bytes = Buffer.byteLength(input.Message ?? '', 'utf8');
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(`${name}${value.DataType ?? ''}${value.StringValue ?? ''}`, 'utf8');
  }
  return bytes;
}

describe('SNS alert message with absurd field sizes', () => {
  const HUGE = `${'x'.repeat(150_000)}\n${'é'.repeat(75_000)}`; // ~300 KB as UTF-8, with a line break
  const base = alertOf(verdictOf({ scanStatus: 'FAILED' }));
  const cases: Array<[string, Partial<AlertDocument>]> = [
    ['reason', { reason: HUGE }],
    ['scanStatus', { scanStatus: HUGE }],
    ['repositoryName', { repositoryName: HUGE }],
    ['imageDigest', { imageDigest: `sha256:${HUGE}` }],
    ['subject', { subject: HUGE }],
    ['worstSeverity', { worstSeverity: HUGE }],
    ['consoleUrl', { consoleUrl: `${base.consoleUrl}${'x'.repeat(300_000)}` }],
    ['accountId', { accountId: HUGE }],
    ['region', { region: HUGE }],
    ['policyHash', { policyHash: HUGE }],
    ['evaluatedAt', { evaluatedAt: HUGE }],
    ['imageTags', { imageTags: [HUGE] }],
    ['countsBefore', { countsBefore: { [HUGE]: 1 } }],
    [
      'every one of them at once',
      {
        reason: HUGE,
        scanStatus: HUGE,
        repositoryName: HUGE,
        imageDigest: HUGE,
        subject: HUGE,
        worstSeverity: HUGE,
        consoleUrl: `${base.consoleUrl}${HUGE}`,
      },
    ],
  ];

  it.each(cases)('keeps the whole Publish input within SNS limits with a 300 KB %s', async (_field, over) => {
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
    const subject = input.Subject ?? '';
    expect([...subject].length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subject).toMatch(/^[^\p{Cc}]+$/u);
    for (const value of Object.values(input.MessageAttributes ?? {})) {
      expect(value.StringValue?.length ?? 0).toBeGreaterThan(0);
      expect(value.StringValue?.length ?? 0).toBeLessThanOrEqual(SNS_ATTRIBUTE_VALUE_MAX);
    }
    // What is sent is what notify-slack accepts: the subscriber's document still parses.
    const body = JSON.parse(input.Message ?? '') as Record<string, string>;
    expect(anyAlertDocumentSchema.safeParse(JSON.parse(body.lambda ?? '')).error).toBeUndefined();
  });

  it('still sends the full document when only the reason is absurd (it is cut, not dropped)', () => {
    const message = snsAlertMessage({ ...base, reason: HUGE });
    const body = JSON.parse(message.Message) as Record<string, string>;
    const document = JSON.parse(body.lambda ?? '') as Record<string, unknown>;
    expect(document.truncated).toBeUndefined();
    expect(String(document.reason).length).toBeLessThanOrEqual(500);
  });
});
