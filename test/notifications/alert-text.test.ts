import { describe, expect, it } from 'vitest';
import { alertEmailText } from '../../src/notifications/alert-email.ts';
import { alertSubject, SUBJECT_MAX } from '../../src/notifications/alert-subject.ts';
import type { AlertKind } from '../../src/scan-gate/domain/alerting.ts';
import { DIGEST, failingVerdict, finding, findings, verdictOf } from '../scan-gate/verdict-fixtures.ts';
import { alertOf } from './alert-fixtures.ts';

const failing = failingVerdict;

const LONG = `${'very-long-team-name/'.repeat(10)}service-api`;

describe('alert subject', () => {
  it.each([
    [
      'a failing image',
      failing(),
      'new',
      '[FAIL] my-web-app@sha256:36c7b282abd0… (v1.2.3): 2 CRITICAL, 5 HIGH',
    ],
    [
      'a resolved image',
      verdictOf({ repositoryName: 'my-web-app', imageTags: ['v1.2.3'] }),
      'resolved',
      '[RESOLVED] my-web-app@sha256:36c7b282abd0… (v1.2.3): passes policy now',
    ],
    [
      'a failed scan',
      verdictOf({ repositoryName: 'my-web-app', imageTags: [], scanStatus: 'FAILED' }),
      'new',
      '[ERROR] my-web-app@sha256:36c7b282abd0…: scan FAILED',
    ],
    [
      'findings that could not be read',
      verdictOf({ repositoryName: 'a', imageTags: ['latest'], findings: undefined }),
      'new',
      '[ERROR] a@sha256:36c7b282abd0… (latest): findings unavailable',
    ],
    [
      'an image with several tags, latest not preferred',
      verdictOf({ repositoryName: 'a', imageTags: ['latest', 'v2', 'main'] }),
      'new',
      '[PASS] a@sha256:36c7b282abd0… (v2 +2): passes policy',
    ],
  ])('names %s', (_case, verdict, kind, expected) => {
    expect(alertSubject(alertOf(verdict, kind as AlertKind))).toBe(expected);
  });

  it.each([
    ['a very long repository name', { repositoryName: LONG }],
    ['a very long tag', { imageTags: ['t'.repeat(300)] }],
    ['a long repository and tag', { repositoryName: LONG, imageTags: ['t'.repeat(300), 'x'] }],
    ['a long digest', { imageDigest: `sha512:${'a'.repeat(128)}` }],
    [
      'many failing severities',
      {
        findings: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'].flatMap((s) =>
          findings(1000, s),
        ),
      },
    ],
  ])('stays within 99 characters for %s', (_case, over) => {
    const verdict = verdictOf({
      ...over,
      policy: {
        thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
        fixableOnly: false,
        enforcement: 'notify',
        untagTags: [],
        alertOn: 'change',
        source: {},
      },
      findings: 'findings' in over ? over.findings : [finding('CVE-1', 'CRITICAL')],
    });

    for (const kind of ['new', 'resolved'] as const) {
      const subject = alertSubject(alertOf(verdict, kind));
      expect([...subject].length).toBeLessThanOrEqual(SUBJECT_MAX);
      expect(subject).toMatch(/^\[(FAIL|RESOLVED)\] /);
      expect(subject).not.toMatch(/[\n\r]/);
    }
  });

  it('keeps the end of a long repository name, its most telling part', () => {
    const subject = alertSubject(
      alertOf(verdictOf({ repositoryName: LONG, findings: [finding('CVE-1', 'CRITICAL')] }), 'new'),
    );

    expect(subject).toContain('service-api@sha256:');
    expect(subject).toContain('…');
  });
});

describe('alert email text', () => {
  it('shows verdict, image, counts before and after exceptions, blocking CVEs, exceptions and the console link', () => {
    const text = alertEmailText(alertOf(failing()));

    expect(text).toContain('Verdict:     FAIL — 2 CRITICAL (max 0), 5 HIGH (max 0)');
    expect(text).toContain(`Digest:      ${DIGEST}`);
    expect(text).toContain('Tags:        v1.2.3');
    expect(text).toMatch(/CRITICAL\s+3\s+2\s+0 {2}<- over the limit/);
    expect(text).toMatch(/HIGH\s+5\s+5\s+0 {2}<- over the limit/);
    expect(text).toContain('CRITICAL CVE-2024-1000  openssl 3.0.1 → 3.0.2');
    expect(text).toContain('https://nvd.nist.gov/vuln/detail/CVE-2024-1000');
    expect(text).toContain(
      'Exceptions applied:\n  CVE-2024-1234: owner alice@example.com, expires 2027-01-31, ticket SEC-12',
    );
    expect(text).toContain(
      'Exceptions expired (no longer applied):\n  CVE-2024-2000: owner bob@example.com, expired after 2026-05-01',
    );
    expect(text).toContain(
      `Console: https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/my-web-app/_/image/${DIGEST}/details?region=eu-west-1`,
    );
  });

  it('says when a blocking finding has no fix and lists ids beyond the details', () => {
    const verdict = verdictOf({
      findings: [
        finding('CVE-1', 'HIGH', { fixedVersion: undefined, fixAvailable: false }),
        ...findings(25, 'HIGH'),
      ],
    });

    const text = alertEmailText(alertOf(verdict));

    expect(text).toContain('CVE-1  openssl 3.0.1 → no fix yet');
    expect(text).toContain(
      'Also blocking: CVE-2024-1019, CVE-2024-1020, CVE-2024-1021, CVE-2024-1022, CVE-2024-1023, CVE-2024-1024',
    );
  });

  it('explains an ERROR by the scan status', () => {
    const text = alertEmailText(
      alertOf(
        verdictOf({
          scanStatus: 'UNSUPPORTED_IMAGE',
          scanStatusDescription: 'The operating system is not supported',
        }),
      ),
    );

    expect(text).toContain(
      'Verdict:     ERROR — scan UNSUPPORTED_IMAGE: The operating system is not supported',
    );
  });

  it('names the account, Region, stage, environment and group, with a readable time', () => {
    const text = alertEmailText(
      alertOf(failing(), 'new', { stage: 'prod', environment: 'prod', group: 'payments' }),
    );

    expect(text).toContain('Account:     123456789012, eu-west-1, stage prod');
    expect(text).toContain('Repository:  my-web-app (environment prod, group payments)');
    expect(text).toContain('Evaluated:   2026-06-01 12:00 UTC');
  });

  it('says which tags enforcement removed and which it skipped and why, and lists the others as the tags', () => {
    const verdict = { ...verdictOf({ imageTags: ['v1.2.3', 'latest', 'stable'] }), status: 'FAIL' as const };

    const text = alertEmailText(
      alertOf(verdict, 'new', {
        enforcement: { tags: ['latest', 'stable', 'prod'], removed: ['latest', 'stable'], skipped: ['prod'] },
      }),
    );

    expect(text).toContain(
      'Enforcement: removed tags latest, stable\n' +
        '             skipped prod: not on this image (already removed, moved to another image, or never there)\n',
    );
    expect(text).toContain('Tags:        v1.2.3\n');
  });

  it('says when enforcement failed', () => {
    const verdict = { ...verdictOf(), status: 'FAIL' as const };

    const text = alertEmailText(
      alertOf(verdict, 'new', {
        enforcement: {
          tags: ['latest'],
          removed: [],
          skipped: [],
          error: 'could not remove tag latest: ThrottlingException, will retry',
        },
      }),
    );

    expect(text).toContain('Enforcement: could not remove tag latest: ThrottlingException, will retry\n');
  });

  it('lists in a RESOLVED alert what was fixed', () => {
    const before = verdictOf({
      findings: [finding('CVE-1', 'CRITICAL'), ...findings(25, 'HIGH')],
    });

    const text = alertEmailText(alertOf(verdictOf(), 'resolved', { previous: before }));

    expect(text).toContain(
      'Fixed — no longer blocking (26):\n  CRITICAL CVE-1  openssl 3.0.1 → 3.0.2\n  HIGH     CVE-2024-1000  openssl 3.0.1 → 3.0.2',
    );
    expect(text).toMatch(/\n {2}CVE-2024-1019, CVE-2024-1020, .*CVE-2024-1024\n/);
  });
});
