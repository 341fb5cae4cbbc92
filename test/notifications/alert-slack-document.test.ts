import { describe, expect, it } from 'vitest';
import { snsMessageJson } from '../../src/notifications/adapters/sns-alerts.ts';
import { slackMessage, slackMessageFromTruncatedAlert } from '../../src/notifications/alert-blocks.ts';
import {
  alertDocumentSchema,
  FULL_LIMITS,
  limitAlertDocument,
} from '../../src/notifications/alert-document.ts';
import { snsAlertEventSchema } from '../../src/notifications/events.ts';
import { exception, findings, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf, receivedAlert } from './alert-fixtures.ts';
import { assertWithinSlackLimits, slackTexts } from './slack-assert.ts';

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

describe('Slack message from the alert document', () => {
  it('is the same message as from the complete document scan-gate built', () => {
    const verdict = verdictOf({
      findings: [...findings(3, 'CRITICAL'), ...findings(14, 'HIGH', 2000)],
      exceptions: [exception('CVE-2024-2000'), exception('CVE-2024-2001', { expires: '2026-01-01' })],
    });

    const fromDocument = slackMessage(receivedAlert(alertOf(verdict, 'changed')));

    expect(fromDocument).toEqual(slackMessage(alertOf(verdict, 'changed')));
  });

  it('counts blocking ids the document capped, and stays within Slack limits', () => {
    const verdict = verdictOf({ findings: findings(450, 'CRITICAL') });
    const document = limitAlertDocument(alertOf(verdict, 'changed'), FULL_LIMITS);
    expect(document.blocking.idsTruncated).toBe(true);

    const message = slackMessage(alertDocumentSchema.parse(document));

    const text = slackTexts(message).join('\n');
    expect(text).toContain('Blocking vulnerabilities (450)');
    expect(text).toMatch(/Also blocking: CVE-2024-1010, .* and \d+ more$/m);
    assertWithinSlackLimits(message);
  });

  it('renders the cut-down document with a console link', () => {
    const message = slackMessageFromTruncatedAlert({
      kind: 'new',
      status: 'FAIL',
      repositoryName: 'orders-api-prod',
      imageDigest: 'sha256:abc',
      consoleUrl: 'https://eu-west-1.console.aws.amazon.com/ecr/x',
    });
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: '[FAIL] orders-api-prod@sha256:abc' },
    });
    expect(JSON.stringify(message.blocks)).toContain('<https://eu-west-1.console.aws.amazon.com/ecr/x|');
  });
});

describe('SNS alert event', () => {
  const verdict = verdictOf({ findings: findings(2, 'CRITICAL') });
  const envelope = JSON.parse(snsMessageJson(alertOf(verdict, 'changed'))) as Record<string, string>;

  it.each(['lambda', 'sqs'])('reads the document SNS delivers for the %s protocol', (key) => {
    const parsed = snsAlertEventSchema.parse(snsEvent(envelope[key] as string));
    expect(parsed.Records[0]?.Sns.Message).toMatchObject({
      status: 'FAIL',
      imageDigest: verdict.imageDigest,
    });
  });

  it('reads the document out of a whole envelope published without MessageStructure', () => {
    const parsed = snsAlertEventSchema.parse(snsEvent(JSON.stringify(envelope)));
    expect(parsed.Records[0]?.Sns.Message).toMatchObject({ type: 'ecr-sentinel.scan-verdict' });
  });

  it.each([
    ['plain text', 'hello', /not JSON/],
    ['another JSON document', '{"type":"other"}', /type/],
    [
      'a document without its counts',
      JSON.stringify({ ...receivedAlert(alertOf(verdict, 'changed')), countsAfter: 'x' }),
      /countsAfter/,
    ],
  ])('rejects %s naming the problem', (_what, message, problem) => {
    const result = snsAlertEventSchema.safeParse(snsEvent(message));
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(problem);
  });
});
