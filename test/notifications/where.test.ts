import { describe, expect, it } from 'vitest';
import { snsMessageJson } from '../../src/notifications/adapters/sns-alerts.ts';
import { type AnyAlertDocument, anyAlertDocumentSchema } from '../../src/notifications/alert-document.ts';
import type { CompleteAlert } from '../../src/notifications/index.ts';
import { complianceAlert } from '../../src/notifications/index.ts';
import { slackMessageFor } from '../../src/notifications/notify-slack.ts';
import { whereEmailLine, whereMrkdwn } from '../../src/notifications/where.ts';
import { failingVerdict } from '../scan-gate/verdict-fixtures.ts';
import { alertOf } from './alert-fixtures.ts';
import { summaryOf } from './cleanup-fixtures.ts';
import { promotionOf } from './promotion-fixtures.ts';
import { slackTexts } from './slack-assert.ts';

/**
 * Every alert — scan, promotion, cleanup, compliance — names the account, Region and stage it comes from, in
 * its email and its Slack post, the same way (where.ts): several stages and accounts may share one channel.
 */

const compliance = complianceAlert({
  accountId: '123456789012',
  region: 'eu-west-1',
  stage: 'prod',
  consoleUrl:
    'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/orders-api?region=eu-west-1',
  occurredAt: '2026-11-28T03:00:00.000Z',
  target: { kind: 'repository', repositoryName: 'orders-api', group: 'services' },
  trigger: { kind: 'cloudtrail', id: 'e1d2c3b4', eventName: 'CreateRepository' },
  totals: { drift: 0, applied: 0, failed: 0 },
  drift: [],
  remediations: [],
});

const ALERTS: Array<[string, CompleteAlert, string]> = [
  ['scan', alertOf(failingVerdict(), 'new', { stage: 'prod' }), '123456789012'],
  // A promotion is about its target: the account and Region the image goes to.
  ['promotion', promotionOf('completed', { stage: 'prod' }), '222222222222'],
  ['cleanup', summaryOf(), '123456789012'],
  ['compliance', compliance, '123456789012'],
];

/** What a subscriber receives: the email text and the document notify-slack renders. */
function delivered(alert: CompleteAlert): { email: string; document: AnyAlertDocument } {
  const body = JSON.parse(snsMessageJson(alert)) as { email: string; sqs: string };
  return { email: body.email, document: anyAlertDocumentSchema.parse(JSON.parse(body.sqs)) };
}

describe('where an alert comes from', () => {
  it.each(ALERTS)(
    'a %s alert names account, Region and stage in its email and its Slack post',
    (_t, alert, account) => {
      const { email, document } = delivered(alert);

      expect(email).toMatch(new RegExp(`\nAccount: +${account}, eu-west-1, stage prod\n`));
      expect(slackTexts(slackMessageFor(document)).join('\n')).toContain(
        `Account ${account} · eu-west-1 · stage prod`,
      );
    },
  );

  it.each(ALERTS)('a %s alert’s Slack post shows times as people read them, not raw ISO', (_t, alert) => {
    const text = slackTexts(slackMessageFor(delivered(alert).document)).join('\n');

    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });

  it('leaves the stage out when the producer does not know it, and escapes and bounds hostile values', () => {
    expect(whereEmailLine({ accountId: '123456789012', region: 'eu-west-1' })).toBe(
      'Account:      123456789012, eu-west-1',
    );
    const hostile = whereMrkdwn({ accountId: '<!channel>', region: 'a&b', stage: `${'x'.repeat(500)}\n*` });
    expect(hostile).toMatch(/^Account &lt;!channel&gt; · a&amp;b · stage x+…$/);
    expect(hostile.length).toBeLessThan(300);
  });
});
