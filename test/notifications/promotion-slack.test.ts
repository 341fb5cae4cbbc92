import { describe, expect, it } from 'vitest';
import {
  slackMessageFromTruncatedPromotion,
  slackPromotionMessage,
} from '../../src/notifications/promotion-blocks.ts';
import {
  FULL_PROMOTION_LIMITS,
  limitPromotionAlert,
  PROMOTION_EVENTS,
  promotionAlertSchema,
  truncatedPromotionAlert,
} from '../../src/notifications/promotion-document.ts';
import { SLACK_LIMITS, type SlackBlock, type SlackMessage } from '../../src/notifications/slack-blocks.ts';
import { PROMOTION_CONSOLE_URL, PROMOTION_ID, promotionOf } from './promotion-fixtures.ts';

/** The document as a subscriber receives it: cut to size, through JSON, parsed. */
function received(alert = promotionOf('completed')) {
  return promotionAlertSchema.parse(
    JSON.parse(JSON.stringify(limitPromotionAlert(alert, FULL_PROMOTION_LIMITS))),
  );
}

function expectWithinSlackLimits(message: SlackMessage): void {
  const length = (s: string) => [...s].length;
  expect(message.blocks.length).toBeGreaterThan(0);
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(length(message.text)).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const block of message.blocks) {
    if (block.type === 'header') expect(length(block.text.text)).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (block.type === 'section') {
      expect(length(block.text.text)).toBeGreaterThan(0);
      expect(length(block.text.text)).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.fields);
      for (const f of block.fields ?? []) expect(length(f.text)).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    if (block.type === 'context') {
      for (const e of block.elements) expect(length(e.text)).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
  }
}

const textOf = (blocks: SlackBlock[]) => JSON.stringify(blocks);

describe('Slack message of a promotion', () => {
  it.each([
    ['pending-approval', ':hourglass_flowing_sand: *APPROVAL NEEDED*'],
    ['approved', ':white_check_mark: *APPROVED*'],
    ['completed', ':white_check_mark: *PROMOTED*'],
    ['rejected', ':red_circle: *REJECTED*'],
    ['expired', ':red_circle: *APPROVAL EXPIRED*'],
    ['failed', ':red_circle: *PROMOTION FAILED*'],
    ['refused', ':red_circle: *PROMOTION REFUSED*'],
  ] as const)(
    'shows a %s promotion: header, what happened, fields and the console button',
    (event, headline) => {
      const alert = received(promotionOf(event));

      const message = slackPromotionMessage(alert);

      expectWithinSlackLimits(message);
      expect(message.text).toBe(alert.subject);
      expect(message.blocks[0]).toEqual({
        type: 'header',
        text: { type: 'plain_text', text: alert.subject, emoji: true },
      });
      const main = message.blocks[1];
      expect(main?.type === 'section' && main.text.text).toContain(
        `${headline} — *orders-api* \`1.4.2\` staging → prod`,
      );
      const fields = main?.type === 'section' ? (main.fields ?? []).map((f) => f.text) : [];
      expect(fields.slice(0, 5)).toEqual([
        `*Promotion*\n\`${PROMOTION_ID}\``,
        '*Requested by*\nalice@example.com',
        '*From*\nstaging · `orders-api-staging`\n111111111111 · eu-west-1',
        '*To*\nprod · `orders-api-prod`\n222222222222 · eu-west-1',
        `*Gate*\n${alert.gate.status} — ${alert.gate.reason}`,
      ]);
      expect(message.blocks.at(-1)).toEqual({
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open in the ECR console' },
            url: PROMOTION_CONSOLE_URL,
            action_id: 'open-ecr-console',
          },
        ],
      });
      const commands = textOf(message.blocks).includes('npx ecr-sentinel');
      expect(commands).toBe(event === 'pending-approval');
    },
  );

  it('gives a pending approval the exact commands in code blocks, escaped for mrkdwn, and the expiry', () => {
    const message = slackPromotionMessage(received(promotionOf('pending-approval')));

    const commands = message.blocks.find(
      (b) => b.type === 'section' && b.text.text.startsWith('*To approve*'),
    );
    expect(commands).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*To approve* (anyone but alice@example.com):\n\`\`\`npx ecr-sentinel approve ${PROMOTION_ID} --by &lt;you&gt;\`\`\`\n` +
          `*To reject:*\n\`\`\`npx ecr-sentinel reject ${PROMOTION_ID} --by &lt;you&gt; --reason &lt;text&gt;\`\`\``,
      },
    });
    expect(textOf(message.blocks)).toContain('*Expires*\\n2026-11-30 20:00 UTC');
  });

  it('shows what a completed promotion copied', () => {
    const message = slackPromotionMessage(received(promotionOf('completed')));
    expect(textOf(message.blocks)).toContain(
      '*Copied*\\n3 blobs copied (12.3 MiB), 2 already there; 1 manifest put, 1 referrer copied; repository created',
    );
    expect(textOf(message.blocks)).toContain('*Approved by*\\nbob@example.com');
  });

  it('shows a refusal with its reason and blocking ids, counting those the document left out', () => {
    const ids = Array.from({ length: 80 }, (_, i) => `CVE-2024-${1000 + i}`);
    const alert = received(
      promotionOf('refused', { gate: { ...promotionOf('refused').gate, blocking: ids } }),
    );
    expect(alert.gate.blocking).toHaveLength(FULL_PROMOTION_LIMITS.ids);

    const message = slackPromotionMessage(alert);

    const text = textOf(message.blocks);
    expect(text).toContain("*Reason:* orders-api-prod's policy says FAIL: 2 CRITICAL (max 0)");
    expect(text).toContain('Blocking (80): CVE-2024-1000, CVE-2024-1001');
    expect(text).toContain('CVE-2024-1049, and 30 more');
  });

  it('shows why a promotion failed and who rejected one', () => {
    expect(textOf(slackPromotionMessage(received(promotionOf('failed'))).blocks)).toContain(
      '*Error:* LayersNotFoundException: sha256:abc is not in orders-api-prod',
    );
    const rejected = textOf(slackPromotionMessage(received(promotionOf('rejected'))).blocks);
    expect(rejected).toContain('*Rejected by*\\nbob@example.com');
    expect(rejected).toContain('*Reason:* not during the freeze');
  });

  it('escapes what producers wrote and stays within the limits with absurd fields', () => {
    const HUGE = `<!channel> & ${'x'.repeat(20_000)}`;
    const alert = promotionOf('refused', {
      app: HUGE,
      appVersion: HUGE,
      requestedBy: HUGE,
      reason: HUGE,
      error: HUGE,
      from: { ...promotionOf('refused').from, environment: HUGE, repositoryName: HUGE },
      gate: {
        status: 'FAIL',
        reason: HUGE,
        blocking: Array.from({ length: 500 }, (_, i) => `CVE-${i}-${'9'.repeat(300)}`),
      },
    });

    const message = slackPromotionMessage(received(alert));

    expectWithinSlackLimits(message);
    // mrkdwn is where `<!channel>` would notify everyone; the header is plain_text, which Slack does not parse.
    const mrkdwn = textOf(message.blocks.filter((b) => b.type !== 'header'));
    expect(mrkdwn).not.toContain('<!channel>');
    expect(mrkdwn).toContain('&lt;!channel&gt; &amp;');
  });

  it('draws no button for a link outside the console', () => {
    const alert = { ...received(promotionOf('completed')), consoleUrl: 'https://evil.example/ecr' };
    expect(slackPromotionMessage(alert).blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it.each(PROMOTION_EVENTS)('renders the cut-down %s document with its console link', (event) => {
    const alert = promotionOf(event);

    const message = slackMessageFromTruncatedPromotion(truncatedPromotionAlert(alert, alert.subject));

    expectWithinSlackLimits(message);
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { text: alert.subject } });
    const text = textOf(message.blocks);
    expect(text).toContain(`<${PROMOTION_CONSOLE_URL}|open the image in the ECR console>`);
    expect(text).toContain(PROMOTION_ID);
    expect(text.includes('npx ecr-sentinel approve')).toBe(event === 'pending-approval');
  });
});
