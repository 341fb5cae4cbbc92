import { describe, expect, it } from 'vitest';
import {
  SLACK_BLOCKING_MAX,
  SLACK_LIMITS,
  type SlackBlock,
  slackMessage,
} from '../../src/notifications/slack-blocks.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import { exception, finding, findings, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf } from './alert-fixtures.ts';

function texts(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((b) => {
    if (b.type === 'section' || b.type === 'header') return [b.text.text];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return [];
  });
}

function assertWithinLimits(message: { text: string; blocks: SlackBlock[] }): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  for (const block of message.blocks) {
    if (block.type === 'header')
      expect([...block.text.text].length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (block.type === 'section')
      expect([...block.text.text].length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    if (block.type === 'context') {
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const e of block.elements)
        expect([...e.text].length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    if (block.type === 'actions') {
      for (const e of block.elements) {
        expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
        expect(e.url.length).toBeLessThanOrEqual(SLACK_LIMITS.url);
      }
    }
  }
}

describe('Slack alert', () => {
  it('shows verdict and image in the header, counts, blocking CVEs, exceptions, digest and console link', () => {
    const verdict = verdictOf({
      repositoryName: 'my-web-app',
      imageTags: ['v1.2.3'],
      findings: [...findings(2, 'CRITICAL'), finding('CVE-2024-1234', 'HIGH'), finding('CVE-2024-9', 'HIGH')],
      exceptions: [
        exception('CVE-2024-1234', { repositories: ['my-*'] }),
        exception('CVE-2024-9', { repositories: ['my-*'], expires: '2026-01-01' }),
      ],
    });

    const message = slackMessage(alertOf(verdict));
    const all = texts(message.blocks).join('\n');

    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: '[FAIL] my-web-app@sha256:36c7b282abd0… (v1.2.3): 2 CRITICAL, 1 HIGH',
        emoji: true,
      },
    });
    expect(message.text).toBe('[FAIL] my-web-app@sha256:36c7b282abd0… (v1.2.3): 2 CRITICAL, 1 HIGH');
    expect(all).toContain('*CRITICAL*: 2 found, 2 counted (max 0) :x:');
    expect(all).toContain('*HIGH*: 2 found, 1 counted (max 0) :x:');
    expect(all).toContain(
      '*<https://nvd.nist.gov/vuln/detail/CVE-2024-1000|CVE-2024-1000>* · CRITICAL\n`openssl` 3.0.1 → 3.0.2',
    );
    expect(all).toContain(
      '*Exceptions applied*\n• *CVE-2024-1234* — owner alice@example.com, expires 2027-01-31, ticket SEC-12',
    );
    expect(all).toContain(
      '*Exceptions expired (no longer applied)*\n• *CVE-2024-9* — owner alice@example.com, expired after 2026-01-01',
    );
    expect(all).toContain(`Digest \`${verdict.imageDigest}\``);
    expect(message.blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [
        { url: expect.stringContaining('/ecr/repositories/private/123456789012/my-web-app/_/image/sha256:') },
      ],
    });
    assertWithinLimits(message);
  });

  it.each<[string, Verdict]>([
    ['a resolved image', verdictOf()],
    ['a failed scan', verdictOf({ scanStatus: 'FAILED' })],
  ])('renders %s within the limits', (_case, verdict) => {
    const message = slackMessage(alertOf(verdict, 'resolved'));

    assertWithinLimits(message);
    expect(message.blocks.some((b) => b.type === 'divider')).toBe(false);
  });

  it('lists at most 10 blocking CVEs and stays within the limits for 1000 findings with very long names', () => {
    const long = 'x<&>|'.repeat(2000);
    const verdict = verdictOf({
      repositoryName: `${'team/'.repeat(50)}service`,
      imageTags: Array.from({ length: 200 }, (_, i) => `tag-${i}-${'t'.repeat(250)}`),
      findings: Array.from({ length: 1000 }, (_, i) =>
        finding(`CVE-2024-${i}-${long}`, ['CRITICAL', 'HIGH', 'WEIRD-SEVERITY'][i % 3] ?? 'HIGH', {
          package: long,
          installedVersion: long,
          fixedVersion: long,
          title: long,
          link: `https://example.com/${long}`,
        }),
      ),
      policy: {
        thresholds: { CRITICAL: 0, HIGH: 0, 'WEIRD-SEVERITY': 0 },
        fixableOnly: false,
        enforcement: 'notify',
        untagTags: [],
        alertOn: 'change',
        source: {},
      },
      exceptions: Array.from({ length: 300 }, (_, i) =>
        exception(`CVE-2024-${i}-${long}`, {
          repositories: ['*'],
          expires: i % 2 ? '2020-01-01' : '2099-01-01',
          owner: long,
          ticket: long,
        }),
      ),
    });

    const message = slackMessage(alertOf(verdict));

    assertWithinLimits(message);
    const findingSections = message.blocks.filter(
      (b) => b.type === 'section' && b.text.text.startsWith('*') && b.text.text.includes('* · '),
    );
    expect(findingSections.length).toBe(SLACK_BLOCKING_MAX);
    expect(texts(message.blocks).join('\n')).not.toMatch(/<(?!https:\/\/)[^|]*>|&(?!amp;|lt;|gt;)/);
  });
});
