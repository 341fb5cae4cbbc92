import { describe, expect, it } from 'vitest';
import type { GateReport } from '../../src/scan-gate/domain/gate-report.ts';
import {
  errorCommand,
  escapeData,
  escapeProperty,
  gateAnnotations,
  MAX_ERROR_ANNOTATIONS,
  stepSummary,
} from '../../src/scan-gate/github-actions.ts';
import { DIGEST, failingVerdict, findings, verdictOf } from './verdict-fixtures.ts';

/** The runner's unescaping of a command's message and properties (actions/runner ActionCommand.cs). */
function runnerUnescape(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

describe('GitHub workflow commands', () => {
  it.each([
    ['100% sure', '100%25 sure'],
    ['two\nlines\r\n', 'two%0Alines%0D%0A'],
    ['%0A stays text', '%250A stays text'],
  ])('escapes the message %j as %j', (value, escaped) => {
    expect(escapeData(value)).toBe(escaped);
    expect(runnerUnescape(escaped)).toBe(value);
  });

  it('escapes : and , in properties, which delimit them', () => {
    expect(escapeProperty('scan-gate FAIL: a, b 50%')).toBe('scan-gate FAIL%3A a%2C b 50%25');
  });

  it('keeps a hostile title and message one command that reads back the same', () => {
    const line = errorCommand('x,line=1::boom', 'a\n::error::injected');

    expect(line.split('\n')).toHaveLength(1);
    const [, title, message] = /^::error title=([^:,]*)::(.*)$/.exec(line) ?? [];
    expect(runnerUnescape(title ?? '')).toBe('x,line=1::boom');
    expect(runnerUnescape(message ?? '')).toBe('a\n::error::injected');
  });
});

describe('scan-gate annotations', () => {
  const report = (over: Partial<GateReport> = {}): GateReport => ({
    outcome: 'FAIL',
    repositoryName: 'my-web-app',
    imageDigest: DIGEST,
    source: 'evaluated',
    verdict: failingVerdict(),
    ...over,
  });

  it('annotates nothing for PASS', () => {
    expect(gateAnnotations(report({ outcome: 'PASS', verdict: verdictOf() }))).toEqual([]);
  });

  it('annotates the outcome, then each blocking CVE with its package and fix', () => {
    const lines = gateAnnotations(report());

    expect(lines[0]).toBe(
      `::error title=scan-gate FAIL%3A my-web-app@${DIGEST.slice(0, 19).replace(':', '%3A')}…::${failingVerdict().reason}`,
    );
    expect(lines.slice(1)).toHaveLength(failingVerdict().blocking.ids.length);
    expect(lines[1]).toMatch(
      /^::error title=CVE-2024-1000 \(CRITICAL\)::openssl 3\.0\.1 → 3\.0\.2 in my-web-app@sha256:.* https:\/\/nvd\.nist\.gov\/vuln\/detail\/CVE-2024-1000$/,
    );
  });

  it(`stays within GitHub's ${MAX_ERROR_ANNOTATIONS} error annotations per step, saying how many more`, () => {
    const verdict = verdictOf({ findings: findings(30, 'CRITICAL', 3000) });

    const lines = gateAnnotations(report({ verdict }));

    expect(lines).toHaveLength(MAX_ERROR_ANNOTATIONS);
    expect(lines.at(-1)).toMatch(
      /^::error title=22 more blocking CVEs::CVE-2024-3008, CVE-2024-3009, .*CVE-2024-3029$/,
    );
  });

  it('annotates an ERROR without a verdict with its message', () => {
    const lines = gateAnnotations(
      report({
        outcome: 'ERROR',
        verdict: undefined,
        source: undefined,
        message: 'no scan started: enable scan on push',
      }),
    );

    expect(lines).toEqual([
      `::error title=scan-gate ERROR%3A my-web-app@sha256%3A36c7b282abd0…::no scan started: enable scan on push`,
    ]);
  });
});

describe('scan-gate step summary', () => {
  it('gives the verdict, the severity table, blocking CVEs with fix versions and the exceptions', () => {
    const text = stepSummary({
      outcome: 'FAIL',
      repositoryName: 'my-web-app',
      imageDigest: DIGEST,
      source: 'evaluated',
      verdict: failingVerdict(),
    });

    expect(text).toContain('### scan-gate: FAIL');
    expect(text).toContain(`Image \`my-web-app@${DIGEST}\``);
    expect(text).toMatch(/severity\s+found\s+counted\s+max/);
    expect(text).toMatch(/CRITICAL\s+3\s+2\s+0\s+<- over the limit/);
    expect(text).toContain(
      '| [CVE-2024-1000](https://nvd.nist.gov/vuln/detail/CVE-2024-1000) | CRITICAL | openssl | 3.0.1 | 3.0.2 |',
    );
    expect(text).toContain('| CVE-2024-1234 | applied | alice@example.com | 2027-01-31 | SEC-12 |');
    expect(text).toContain('| CVE-2024-2000 | EXPIRED | bob@example.com | 2026-05-01 | SEC-12 |');
  });

  it('keeps table cells to one line and escapes their pipes', () => {
    const verdict = verdictOf({
      findings: findings(1, 'CRITICAL', 1, {
        package: 'evil|pkg\nnext',
        fixedVersion: undefined,
        fixAvailable: false,
      }),
    });

    const text = stepSummary({ outcome: 'FAIL', repositoryName: 'r', imageDigest: DIGEST, verdict });

    expect(text).toContain('| evil\\|pkg next | 3.0.1 | no fix |');
  });
});
