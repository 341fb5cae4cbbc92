import { describe, expect, it } from 'vitest';
import { checkConfigText, parseConfig } from '../../src/config/load.ts';
import { configWarnings, unmatchablePatternReason, wildcardsOverlap } from '../../src/config/warnings.ts';

const NOW = new Date('2026-11-28T12:00:00Z');

function warningsOf(text: string, now = NOW) {
  return checkConfigText(text, now).warnings;
}

const APPS = 'version: 1\napplications: [{ name: orders-api }]\n';

function exception(expires: string, repositories = '["orders-api-*"]'): string {
  return `${APPS}exceptions:\n  - { cve: CVE-2024-1, repositories: ${repositories}, expires: ${expires}, owner: a@example.com, reason: r }\n`;
}

describe('configuration warnings: legal but surely wrong', () => {
  it.each([
    ['orders-api-*', undefined],
    ['team/orders.api_*', undefined],
    ['Orders-*', /upper case/],
    ['orders api', /white space/],
    ['^orders-.*$', /regular expression/],
    ['orders-.*', /regular expression/],
    ['orders-[a-z]*', /regular expression/],
    ['orders:latest', /contains ":"/],
  ])('judges whether %s can ever match a repository name', (pattern, reason) => {
    const found = unmatchablePatternReason(pattern);

    if (reason) expect(found).toMatch(reason);
    else expect(found).toBeUndefined();
  });

  it.each([
    ['orders-*', 'orders-api-dev', true],
    ['orders-*', '*-dev', true],
    ['web-*', 'orders-*', false],
    ['*-dev', '*-prod', false],
    ['a*b*c', '*x*', true],
    ['abc', 'abd', false],
    ['*', '', true],
  ])('knows whether %s and %s can name the same repository', (a, b, overlap) => {
    expect(wildcardsOverlap(a, b)).toBe(overlap);
    expect(wildcardsOverlap(b, a)).toBe(overlap);
  });

  it('warns at the line of a group pattern that can never match, and of a group matching no managed repository', () => {
    const warnings = warningsOf(
      `${APPS}repositoryGroups:\n  - name: legacy\n    repositories: ["^Legacy.*$"]\n`,
    );

    expect(warnings.map((w) => [w.line, w.path])).toEqual([
      [5, 'repositoryGroups[0].repositories'],
      [5, 'repositoryGroups[0].repositories[0]'],
    ]);
    expect(warnings[0]?.message).toBe(
      'group "legacy" matches none of the applications\' repositories (orders-api-dev, orders-api-staging, orders-api-prod)',
    );
    expect(warnings[1]?.message).toMatch(
      /^"\^Legacy\.\*\$" can never match: looks like a regular expression/,
    );
  });

  it('warns about an exception that matches no application repository and no group pattern', () => {
    expect(warningsOf(exception('2027-06-30', '["payments-*"]')).map((w) => w.message)).toEqual([
      'exception for CVE-2024-1 matches no managed repository (no application repository, no repository group pattern)',
    ]);
    const viaGroup = `${exception('2027-06-30', '["legacy-*"]')}repositoryGroups: [{ name: l, repositories: ["legacy-b*"] }]\n`;
    expect(warningsOf(viaGroup).filter((w) => w.path.startsWith('exceptions'))).toEqual([]);
  });

  it.each([
    [
      '2026-11-27',
      'exception for CVE-2024-1 expired on 2026-11-27: it no longer applies; renew or remove it',
    ],
    ['2026-11-28', 'exception for CVE-2024-1 expires today (applies through 2026-11-28, UTC)'],
    ['2026-11-29', 'exception for CVE-2024-1 expires in 1 day (applies through 2026-11-29, UTC)'],
    ['2026-12-11', 'exception for CVE-2024-1 expires in 13 days (applies through 2026-12-11, UTC)'],
    ['2026-12-12', undefined],
  ])(
    'judges an exception expiring %s by the clock it is given (now 2026-11-28T12:00Z)',
    (expires, message) => {
      const warnings = warningsOf(exception(expires));

      expect(warnings.map((w) => w.message)).toEqual(message ? [message] : []);
      if (message) expect(warnings[0]).toMatchObject({ path: 'exceptions[0].expires', line: 4 });
    },
  );

  it('gives the shipped sentinel.config.yml no warning today', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile('sentinel.config.yml', 'utf8');

    expect(checkConfigText(text, NOW).warnings).toEqual([]);
  });

  it('is a pure rule: the same configuration and time, the same warnings', () => {
    const config = parseConfig(exception('2026-12-01'));

    expect(configWarnings(config, NOW)).toEqual(configWarnings(config, NOW));
    expect(configWarnings(config, new Date('2025-01-01T00:00:00Z'))).toEqual([]);
  });

  it('reports no warnings for a configuration with errors', () => {
    expect(warningsOf(`${exception('2020-01-01')}bogus: 1\n`)).toEqual([]);
  });
});
