import { describe, expect, it } from 'vitest';
import {
  alertHeaderText,
  SLACK_BLOCKING_MAX,
  slackMessage,
  verdictColor,
} from '../../src/notifications/alert-blocks.ts';
import { SLACK_COLORS, SLACK_LIMITS, type SlackBlock } from '../../src/notifications/slack-blocks.ts';
import type { Verdict } from '../../src/scan-gate/domain/verdict.ts';
import { exception, failingVerdict, finding, policy, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf } from './alert-fixtures.ts';
import { assertWithinSlackLimits, slackTexts } from './slack-assert.ts';

const PROD = { stage: 'prod', environment: 'prod' };

/** The attachment's body: the blocks under the colour bar. */
function body(message: ReturnType<typeof slackMessage>): SlackBlock[] {
  expect(message.attachments).toHaveLength(1);
  return message.attachments?.[0]?.blocks ?? [];
}

function countFields(message: ReturnType<typeof slackMessage>) {
  const [main] = body(message);
  return main?.type === 'section' ? (main.fields ?? []) : [];
}

describe('Slack scan alert (compact)', () => {
  it('heads with repository:tag and environment, counts as fields, the blocking CVEs a line each, where and when', () => {
    const message = slackMessage(alertOf(failingVerdict(), 'new', PROD));
    const all = slackTexts(message).join('\n');

    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '[FAIL] my-web-app:v1.2.3 · prod', emoji: true } },
    ]);
    expect(message.text).toBe('[FAIL] my-web-app@sha256:36c7b282abd0… (v1.2.3): 2 CRITICAL, 5 HIGH');
    expect(message.attachments?.[0]?.color).toBe(SLACK_COLORS.red);
    expect(countFields(message).map((f) => f.text)).toEqual([
      '*CRITICAL :x:*\n3 found · 2 counted · max 0',
      '*HIGH :x:*\n5 found · 5 counted · max 0',
      '*MEDIUM*\n0 found · 0 counted · max 10',
    ]);
    expect(all).not.toMatch(/\d+ found, \d+ counted/);
    expect(all).toContain(
      '*Blocking vulnerabilities (7)*\n' +
        '• *CRITICAL* <https://nvd.nist.gov/vuln/detail/CVE-2024-1000|CVE-2024-1000> · `openssl 3.0.1 → 3.0.2`\n' +
        '• *CRITICAL* <https://nvd.nist.gov/vuln/detail/CVE-2024-1001|CVE-2024-1001> · `openssl 3.0.1 → 3.0.2`\n' +
        '• *HIGH* <https://nvd.nist.gov/vuln/detail/CVE-2024-2000|CVE-2024-2000> · `openssl 3.0.1 → 3.0.2`',
    );
    expect(all).toContain('Account 123456789012 · eu-west-1 · stage prod');
    expect(all).toContain('evaluated 2026-06-01 12:00 UTC');
    expect(all).not.toMatch(/\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(body(message).at(-1)).toMatchObject({
      type: 'actions',
      elements: [
        { url: expect.stringContaining('/ecr/repositories/private/123456789012/my-web-app/_/image/sha256:') },
      ],
    });
    assertWithinSlackLimits(message);
  });

  it.each<[string, Verdict, 'new' | 'resolved', string]>([
    ['FAIL', failingVerdict(), 'new', SLACK_COLORS.red],
    ['PASS (RESOLVED)', verdictOf(), 'resolved', SLACK_COLORS.green],
    ['ERROR', verdictOf({ scanStatus: 'FAILED' }), 'new', SLACK_COLORS.amber],
  ])('colours a %s alert’s bar by its verdict', (_case, verdict, kind, color) => {
    const message = slackMessage(alertOf(verdict, kind));

    expect(message.attachments?.[0]?.color).toBe(color);
    assertWithinSlackLimits(message);
  });

  it('colours any other status amber', () => {
    expect(verdictColor('SOMETHING-NEW')).toBe(SLACK_COLORS.amber);
  });

  it('says the tag enforcement removed, not as still on the image, and the tags it skipped with why', () => {
    const verdict = verdictOf({
      repositoryName: 'orders-api-prod',
      imageTags: ['v1.2.3', 'latest', 'stable'],
    });
    const failing = { ...verdict, status: 'FAIL' as const };
    const message = slackMessage(
      alertOf(failing, 'new', {
        ...PROD,
        enforcement: { tags: ['latest', 'stable', 'prod'], removed: ['latest', 'stable'], skipped: ['prod'] },
      }),
    );
    const all = slackTexts(message).join('\n');

    expect(all).toContain('*Enforcement:* removed tags latest, stable');
    expect(all).toMatch(/skipped prod: not on this image/);
    expect(all).toContain('*Tags:* `v1.2.3`');
    expect(all).not.toContain('`latest`');
    expect(message.text).toMatch(/removed tags latest, stable$/);
  });

  it('lists in a RESOLVED alert the CVEs that no longer block', () => {
    const before = failingVerdict();
    const after = verdictOf({ repositoryName: 'my-web-app', imageTags: ['v1.2.3'] });

    const message = slackMessage(alertOf(after, 'resolved', { ...PROD, previous: before }));
    const all = slackTexts(message).join('\n');

    expect(message.blocks[0]).toMatchObject({ text: { text: '[RESOLVED] my-web-app:v1.2.3 · prod' } });
    expect(all).toContain(
      '*Fixed — no longer blocking (7)*\n' +
        '• *CRITICAL* <https://nvd.nist.gov/vuln/detail/CVE-2024-1000|CVE-2024-1000> · `openssl 3.0.1 → 3.0.2`',
    );
    expect(all).not.toContain('Blocking vulnerabilities');
    assertWithinSlackLimits(message);
  });

  it('keeps at most ten count fields however many severities there are', () => {
    const severities = Array.from({ length: 15 }, (_, i) => `SEV-${i}`);
    const verdict = verdictOf({
      findings: severities.map((s, i) => finding(`CVE-${i}`, s)),
      policy: policy({ thresholds: Object.fromEntries(severities.map((s) => [s, 0])) }),
    });

    const message = slackMessage(alertOf(verdict));

    expect(countFields(message)).toHaveLength(SLACK_LIMITS.fields);
    expect(countFields(message).at(-1)?.text).toBe('*6 more severities*\n6 found · 6 counted');
    assertWithinSlackLimits(message);
  });

  it('stays within Slack’s limits for 1000 findings with hostile long names, tags, stage and environment', () => {
    const long = 'x<&>|*`'.repeat(2000);
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
      policy: policy({ thresholds: { CRITICAL: 0, HIGH: 0, 'WEIRD-SEVERITY': 0 } }),
      exceptions: Array.from({ length: 300 }, (_, i) =>
        exception(`CVE-2024-${i}-${long}`, {
          repositories: ['*'],
          expires: i % 2 ? '2020-01-01' : '2099-01-01',
          owner: long,
          ticket: long,
        }),
      ),
    });
    const hostile = {
      stage: long,
      environment: long,
      group: long,
      enforcement: { tags: [long, 'latest'], removed: [long], skipped: ['latest'] },
      previous: verdictOf({
        findings: Array.from({ length: 500 }, (_, i) => finding(`CVE-2023-${i}-${long}`, 'CRITICAL')),
      }),
    };

    const message = slackMessage(alertOf(verdict, 'changed', hostile));

    assertWithinSlackLimits(message);
    for (const [title, also] of [
      ['Blocking vulnerabilities', 'Also blocking'],
      ['Fixed — no longer blocking', 'Also fixed'],
    ]) {
      const list = slackTexts(message).find((t) => t.startsWith(`*${title} (`));
      const lines = list?.split('\n').slice(1) ?? [];
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThanOrEqual(SLACK_BLOCKING_MAX + 1);
      expect(lines.at(-1)).toMatch(new RegExp(`^${also}: .* and \\d+ more$`));
    }
    // mrkdwn escaped (the header is plain_text, shown as is).
    expect(slackTexts(body(message)).join('\n')).not.toMatch(/<(?!https:\/\/)[^|]*>|&(?!amp;|lt;|gt;)/);
  });

  it('fits repository, tag and environment in the header, keeping the end of the repository', () => {
    const text = alertHeaderText({
      kind: 'new',
      status: 'FAIL',
      repositoryName: `${'team/'.repeat(60)}orders-api`,
      imageDigest: 'sha256:abc',
      imageTags: ['t'.repeat(300)],
      environment: 'e'.repeat(300),
    });

    expect([...text].length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    expect(text).toMatch(/^\[FAIL\] …(team\/)*.*orders-api:t+… · e+…$/);
  });
});
