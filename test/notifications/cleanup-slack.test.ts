import { describe, expect, it } from 'vitest';
import { cleanupSummaryAlert } from '../../src/cleanup/alert.ts';
import { slackCleanupMessage } from '../../src/notifications/cleanup-blocks.ts';
import {
  type CleanupAlert,
  type CleanupAlertLimits,
  COMPACT_CLEANUP_LIMITS,
  cleanupAlertSchema,
  FULL_CLEANUP_LIMITS,
  limitCleanupAlert,
  MINIMAL_CLEANUP_LIMITS,
} from '../../src/notifications/cleanup-document.ts';
import { SLACK_LIMITS, type SlackBlock, type SlackMessage } from '../../src/notifications/slack-blocks.ts';
import {
  CAP_REASON,
  DOUBT_REASON,
  hugeReport,
  noticeOf,
  REGISTRY_CONSOLE_URL,
  RUN_ID,
  refusedOf,
  summaryOf,
  WHERE,
} from './cleanup-fixtures.ts';

/** The document as a subscriber receives it: cut to size, through JSON, parsed. */
function received(alert: CleanupAlert, limits: CleanupAlertLimits = FULL_CLEANUP_LIMITS): CleanupAlert {
  return cleanupAlertSchema.parse(JSON.parse(JSON.stringify(limitCleanupAlert(alert, limits))));
}

function expectWithinSlackLimits(message: SlackMessage): void {
  const length = (s: string) => [...s].length;
  expect(message.blocks.length).toBeGreaterThan(0);
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(length(message.text)).toBeGreaterThan(0);
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
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const e of block.elements) expect(length(e.text)).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    if (block.type === 'actions') {
      for (const e of block.elements) {
        expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
        expect(e.url.length).toBeLessThanOrEqual(SLACK_LIMITS.url);
      }
    }
  }
}

/** Every text of the message (sections, their fields, contexts), one string. */
function textOf(blocks: SlackBlock[]): string {
  return blocks
    .flatMap((b) => {
      if (b.type === 'header') return [b.text.text];
      if (b.type === 'section') return [b.text.text, ...(b.fields ?? []).map((f) => f.text)];
      if (b.type === 'context') return b.elements.map((e) => e.text);
      return [];
    })
    .join('\n');
}

/** The text of the section whose title starts with `title`. */
function sectionText(message: SlackMessage, title: string): string {
  const block = message.blocks.find((b) => b.type === 'section' && b.text.text.startsWith(title));
  return block?.type === 'section' ? block.text.text : '';
}

describe('Slack message of a cleanup summary', () => {
  it('shows the subject, the totals as fields, the top repositories, failures and reasons, and the console', () => {
    const alert = received(summaryOf());

    const message = slackCleanupMessage(alert);

    expectWithinSlackLimits(message);
    expect(message.text).toBe(alert.subject);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: alert.subject, emoji: true },
    });
    const main = message.blocks[1];
    expect(main?.type === 'section' && main.text.text).toBe(
      ':warning: *CLEANUP* — 50 images deleted, 3.3 GiB ($0.33/month)\nDeletions applied.',
    );
    expect(main?.type === 'section' && main.fields?.map((f) => f.text)).toEqual([
      '*Repositories*\n5 — 2 cleaned · 1 skipped · 1 refused · 1 failed',
      '*Images*\n50 deleted of 52 expiring',
      '*Reclaimed*\n3.3 GiB · $0.33/month',
      '*Not deleted*\n2 images',
      `*Run*\n\`${RUN_ID}\`\nschedule · started 2026-11-27 02:00 UTC`,
    ]);
    expect(sectionText(message, '*Top repositories by bytes*')).toBe(
      '*Top repositories by bytes*\n• `orders-api` — 3.0 GiB · $0.30/month · 40 images deleted\n' +
        '• `payments` — 300.0 MiB · $0.03/month · 10 images deleted',
    );
    expect(sectionText(message, '*Images not deleted (2)*')).toContain(
      '• `orders-api` `sha256:abababababab…` — *ImageReferencedByManifestList*: Requested image referenced by manifest list',
    );
    expect(sectionText(message, '*Refused by the deletion cap (1)*')).toContain(
      `\`legacy-batch\` — ${CAP_REASON}`,
    );
    expect(sectionText(message, '*Skipped (1)*')).toContain(`\`ml-models\` — ${DOUBT_REASON}`);
    expect(sectionText(message, '*Could not be planned (1)*')).toContain(
      '`broken` — RepositoryNotFoundException',
    );
    expect(textOf(message.blocks)).toContain('Account 123456789012 · eu-west-1 · stage prod');
    expect(message.blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [{ url: REGISTRY_CONSOLE_URL }],
    });
  });

  it('says a dry run deleted nothing and what it would free', () => {
    const message = slackCleanupMessage(received(summaryOf({ dryRun: true })));

    const text = textOf(message.blocks);
    expect(text).toContain('*CLEANUP DRY RUN* — 52 images would be deleted, 3.3 GiB ($0.33/month)');
    expect(text).toContain('Dry run: nothing was deleted.');
    expect(text).toContain('*Would free*\n3.3 GiB · $0.33/month');
    expect(text).toContain('42 images would be deleted');
  });

  it.each([
    ['full', FULL_CLEANUP_LIMITS],
    ['compact', COMPACT_CLEANUP_LIMITS],
    ['minimal', MINIMAL_CLEANUP_LIMITS],
  ] as const)(
    'stays within the limits for a 500-repository run cut to the %s limits, saying how many it left out',
    (_n, limits) => {
      const alert = received(cleanupSummaryAlert(hugeReport(), WHERE), limits);

      const message = slackCleanupMessage(alert);

      expectWithinSlackLimits(message);
      expect(message.blocks.length).toBeLessThanOrEqual(10);
      for (const [title, total] of [
        ['*Images not deleted (600)*', 600],
        ['*Refused by the deletion cap (100)*', 100],
        ['*Skipped (150)*', 150],
        ['*Could not be planned (50)*', 50],
      ] as const) {
        const text = sectionText(message, title);
        const listed = text.split('\n').filter((line) => line.startsWith('• ')).length;
        expect(text.split('\n').at(-1)).toBe(`…and ${total - listed} more`);
      }
      const main = message.blocks[1];
      expect(main?.type === 'section' && main.fields?.map((f) => f.text)).toContain(
        '*Repositories*\n500 — 200 cleaned · 150 skipped · 100 refused · 50 failed',
      );
    },
  );

  it('lists the ten repositories that gave back the most bytes, largest first', () => {
    const message = slackCleanupMessage(received(cleanupSummaryAlert(hugeReport(), WHERE)));

    const lines = sectionText(message, '*Top repositories by bytes*').split('\n').slice(1);
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/-199` — 19\.5 GiB · \$2\.00\/month · 47 images deleted$/);
    expect(lines[9]).toMatch(/-190` — /);
  });

  it('escapes what producers wrote: no mention or link reaches Slack as mrkdwn', () => {
    const alert = summaryOf();
    const hostile = {
      ...alert,
      skips: [{ repositoryName: 'ml-models', reason: '<!channel> & <https://evil.example|click>' }],
    };

    const text = textOf(slackCleanupMessage(received(hostile)).blocks.filter((b) => b.type !== 'header'));

    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
  });

  it('draws no button for a link outside the console', () => {
    const alert = { ...received(summaryOf()), consoleUrl: 'https://evil.example/ecr' };
    expect(slackCleanupMessage(alert).blocks.some((b) => b.type === 'actions')).toBe(false);
  });
});

describe('Slack message of a cleanup notice', () => {
  it('shows the day, the totals, the repositories and the largest images with their tags', () => {
    const alert = received(noticeOf());

    const message = slackCleanupMessage(alert);

    expectWithinSlackLimits(message);
    expect(message.text).toBe(
      '[CLEANUP NOTICE] 4 images (2.5 GiB) in 2 repositories will be deleted on 2026-12-04',
    );
    const text = textOf(message.blocks);
    expect(text).toContain(
      ':calendar: *CLEANUP NOTICE* — 4 images (2.5 GiB) in 2 repositories will be deleted on 2026-12-04',
    );
    expect(text).toContain('*Delete on*\n2026-12-04 (UTC)');
    expect(text).toContain('*Images*\n4 · 2.5 GiB');
    expect(text).toContain('*Saves*\n$0.25/month');
    expect(sectionText(message, '*By repository*')).toBe(
      '*By repository*\n• `orders-api` — 3 images · 2.5 GiB\n• `payments` — 1 image · 40.0 MiB',
    );
    const images = sectionText(message, '*Largest images*');
    expect(images).toContain('• `orders-api:1.2.0` (+2 tags) — 1.5 GiB · `sha256:a10000000000…`');
    expect(images).toContain('• `payments` (untagged) — 40.0 MiB');
  });

  it('says how many images and repositories a capped notice leaves out', () => {
    const many = noticeOf();
    const alert = {
      ...many,
      totals: { ...many.totals, repositories: 70, images: 4000 },
    };

    const message = slackCleanupMessage(received(alert, COMPACT_CLEANUP_LIMITS));

    expectWithinSlackLimits(message);
    expect(sectionText(message, '*By repository*').split('\n').at(-1)).toBe('…and 68 more');
    expect(sectionText(message, '*Largest images*').split('\n').at(-1)).toBe('…and 3996 more');
  });
});

describe('Slack message of a refused repository', () => {
  it('shows the repository, the cap reason, what the plan would have done, and the repository button', () => {
    const message = slackCleanupMessage(received(refusedOf()));

    expectWithinSlackLimits(message);
    const text = textOf(message.blocks);
    expect(text).toContain(':no_entry: *CLEANUP REFUSED* — `legacy-batch`');
    expect(text).toContain(`*Reason:* ${CAP_REASON}`);
    expect(text).toContain('*Would expire*\n600 of 800 images');
    expect(text).toContain('*Would free*\n5.9 GiB · $0.59/month');
    expect(text).toContain('Nothing was deleted in this repository.');
    expect(message.blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [
        {
          text: { text: 'Open the repository in the console' },
          url: 'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/legacy-batch?region=eu-west-1',
        },
      ],
    });
  });

  it('renders a CLI refusal without a run', () => {
    const message = slackCleanupMessage(received(refusedOf(null)));

    expectWithinSlackLimits(message);
    expect(textOf(message.blocks)).not.toContain('*Run*');
  });
});
