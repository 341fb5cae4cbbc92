import { describe, expect, it } from 'vitest';
import { slackMessage, slackMessageFromTruncatedAlert } from '../../src/notifications/alert-blocks.ts';
import { fittedConsoleUrl, isConsoleUrl, isWebLink } from '../../src/notifications/links.ts';
import { InvalidWebhookUrlError, notifySlack } from '../../src/notifications/notify-slack.ts';
import type { SecretReader } from '../../src/notifications/ports.ts';
import { allBlocks } from '../../src/notifications/slack-blocks.ts';
import { finding, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf } from './alert-fixtures.ts';

const HOSTILE = [
  'javascript:alert(1)',
  'JavaScript:alert(1)//https://console.aws.amazon.com/',
  'data:text/html,<script>alert(1)</script>',
  'https://evil.example.com/',
  'https://console.aws.amazon.com.evil.example/',
  'https://evilconsole.aws.amazon.com/',
  'http://us-east-1.console.aws.amazon.com/ecr/',
  'https://x:y@console.aws.amazon.com/',
  'https://console.aws.amazon.com:8443/',
  'https://console.aws.amazon.com/\n',
  ' https://console.aws.amazon.com/',
  `https://console.aws.amazon.com/${'a'.repeat(3000)}`,
  '',
];
/** [how the test names it, the URL] */
const hostile = HOSTILE.map((url) => [JSON.stringify(url).slice(0, 70), url] as const);

describe('links an alert may carry', () => {
  it.each([
    'https://console.aws.amazon.com/ecr/',
    'https://eu-west-1.console.aws.amazon.com/ecr/repositories?region=eu-west-1',
    'https://console.amazonaws-us-gov.com/ecr/',
    'https://us-gov-west-1.console.amazonaws-us-gov.com/ecr/',
    'https://console.amazonaws.cn/ecr/',
    'https://cn-north-1.console.amazonaws.cn/ecr/',
  ])('accepts the console URL %s', (url) => {
    expect(isConsoleUrl(url)).toBe(true);
  });

  it.each(hostile)('refuses %s as a console URL', (_name, url) => {
    expect(isConsoleUrl(url)).toBe(false);
  });

  it.each([
    ['https://nvd.nist.gov/vuln/detail/CVE-2024-1', true],
    ['http://people.ubuntu.com/~ubuntu-security/cve/CVE-2024-1', true],
    ['javascript:alert(1)', false],
    ['ftp://example.com/x', false],
    ['https://nvd.nist.gov/ x', false],
    ['vbscript:msgbox', false],
  ])('a finding link %s is a web link: %s', (url, expected) => {
    expect(isWebLink(url)).toBe(expected);
  });

  it('fits an over-long console URL by keeping only its console front page', () => {
    const long = `https://eu-west-1.console.aws.amazon.com/ecr/${'r/'.repeat(200_000)}`;
    expect(fittedConsoleUrl(long, 3000)).toBe('https://eu-west-1.console.aws.amazon.com/');
    expect(fittedConsoleUrl('javascript:alert(1)', 3000)).toBe('https://console.aws.amazon.com/');
  });
});

describe('links the Slack message draws', () => {
  // Built without the schema, as a caller that skipped validation would: the renderer must still refuse them.
  const alert = alertOf(
    verdictOf({ findings: [finding('CVE-2024-1', 'CRITICAL', { link: 'javascript:alert(1)' })] }),
  );

  it.each(hostile)('draws no button and no link for the console URL %s', (_name, url) => {
    const message = JSON.stringify([
      slackMessage({ ...alert, consoleUrl: url }),
      slackMessageFromTruncatedAlert({ ...alert, consoleUrl: url }),
    ]);
    expect(message).not.toContain('"actions"');
    if (url !== '') expect(message).not.toContain(url.trim().slice(0, 40));
  });

  it('draws a finding’s javascript: link as plain text', () => {
    const message = JSON.stringify(slackMessage(alert));
    expect(message).toContain('CVE-2024-1');
    expect(message).not.toContain('javascript:');
  });

  it('draws the console button for a console URL', () => {
    const message = slackMessage(alert);
    expect(allBlocks(message).at(-1)).toMatchObject({
      type: 'actions',
      elements: [{ url: alert.consoleUrl }],
    });
  });
});

describe('the webhook URL notify-slack accepts', () => {
  const secrets = (value: string): SecretReader => ({ get: async () => value, invalidate: () => {} });
  const webhook = { post: async () => ({ attempts: 1 }) };
  const input = { messageId: 'm', alert: alertOf(verdictOf({})), remainingMs: () => 10_000 };

  it.each([
    'javascript:alert(1)',
    'https://hooks.slack.com/services/T/B/X\n',
    'https://user:pw@hooks.slack.com/services/T/B/X',
    'file:///etc/passwd',
  ])('refuses %j without repeating it', async (value) => {
    const run = notifySlack({ secrets: secrets(value), webhook, webhookParameter: '/p' })(input);
    await expect(run).rejects.toThrow(InvalidWebhookUrlError);
  });
});
