import { describe, expect, it } from 'vitest';
import { isExceptionActive } from '../../src/scan-gate/domain/exceptions.ts';
import { policyHash } from '../../src/scan-gate/domain/policy.ts';
import {
  BLOCKING_DETAILS_MAX,
  evaluate,
  evaluationId,
  gateBlocks,
} from '../../src/scan-gate/domain/verdict.ts';
import { exception, finding, findings, input, NOW, policy, verdictOf } from './verdict-fixtures.ts';

describe('scan gate verdict: thresholds', () => {
  it.each([
    ['no findings', [], 'PASS', []],
    ['one CRITICAL with CRITICAL max 0', [finding('CVE-1', 'CRITICAL')], 'FAIL', ['CVE-1']],
    ['ten MEDIUM with MEDIUM max 10', findings(10, 'MEDIUM'), 'PASS', []],
    [
      'eleven MEDIUM with MEDIUM max 10 (all eleven block)',
      findings(11, 'MEDIUM'),
      'FAIL',
      findings(11, 'MEDIUM').map((f) => f.id),
    ],
    ['any number of LOW (not limited)', findings(500, 'LOW'), 'PASS', []],
    ['UNDEFINED severity (not limited)', [finding('CVE-9', 'UNDEFINED')], 'PASS', []],
  ])('%s → %s', (_case, given, status, blockingIds) => {
    const verdict = verdictOf({ findings: given });

    expect(verdict.status).toBe(status);
    expect(verdict.blocking.ids).toEqual(blockingIds);
  });

  it('reports each severity over its limit with count and max, worst first', () => {
    const verdict = verdictOf({
      findings: [
        ...findings(5, 'HIGH', 2000),
        ...findings(2, 'CRITICAL', 1000),
        ...findings(3, 'MEDIUM', 3000),
      ],
    });

    expect(verdict.exceeded).toEqual([
      { severity: 'CRITICAL', count: 2, limit: 0 },
      { severity: 'HIGH', count: 5, limit: 0 },
    ]);
    expect(verdict.reason).toBe('2 CRITICAL (max 0), 5 HIGH (max 0)');
    expect(verdict.blocking.ids).toEqual([
      'CVE-2024-1000',
      'CVE-2024-1001',
      'CVE-2024-2000',
      'CVE-2024-2001',
      'CVE-2024-2002',
      'CVE-2024-2003',
      'CVE-2024-2004',
    ]);
  });

  it('counts every finding of every severity before, with missing severities as 0 and unknown ones kept', () => {
    const verdict = verdictOf({
      findings: [finding('CVE-1', 'HIGH'), finding('CVE-2', 'UNTRIAGED'), finding('X', 'WEIRD')],
    });

    expect(verdict.countsBefore).toEqual({
      CRITICAL: 0,
      HIGH: 1,
      MEDIUM: 0,
      LOW: 0,
      INFORMATIONAL: 0,
      UNTRIAGED: 1,
      UNDEFINED: 0,
      WEIRD: 1,
    });
  });

  it('keeps the top 20 blocking details by severity then id, and every id', () => {
    const verdict = verdictOf({
      findings: [...findings(30, 'HIGH', 5000), ...findings(3, 'CRITICAL', 9000)].reverse(),
    });

    expect(verdict.blocking.ids).toHaveLength(33);
    expect(verdict.blocking.details).toHaveLength(BLOCKING_DETAILS_MAX);
    expect(verdict.blocking.details.slice(0, 4).map((f) => f.id)).toEqual([
      'CVE-2024-9000',
      'CVE-2024-9001',
      'CVE-2024-9002',
      'CVE-2024-5000',
    ]);
  });

  it('lists a CVE found in two packages once among the blocking ids', () => {
    const verdict = verdictOf({
      findings: [finding('CVE-1', 'HIGH', { package: 'a' }), finding('CVE-1', 'HIGH', { package: 'b' })],
    });

    expect(verdict.blocking.ids).toEqual(['CVE-1']);
    expect(verdict.blocking.details).toHaveLength(2);
  });
});

describe('scan gate verdict: fixableOnly', () => {
  it.each([
    ['a HIGH with no fix, fixableOnly', false, true, 'PASS'],
    ['a HIGH with no fix, all findings count', false, false, 'FAIL'],
    ['a HIGH with a fix, fixableOnly', true, true, 'FAIL'],
    [
      'a HIGH whose fix status is unknown (basic scanning), fixableOnly: it still counts',
      undefined,
      true,
      'FAIL',
    ],
  ])('%s → %s', (_case, fixAvailable, fixableOnly, status) => {
    const verdict = verdictOf({
      findings: [finding('CVE-1', 'HIGH', { fixAvailable, fixedVersion: undefined })],
      policy: policy({ fixableOnly }),
    });

    expect(verdict.status).toBe(status);
    expect(verdict.countsBefore.HIGH).toBe(1);
  });
});

describe('scan gate verdict: exceptions', () => {
  it.each([
    ['the day before expiry', '2027-01-30T12:00:00Z', 'PASS'],
    ['the first instant of the expiry day', '2027-01-31T00:00:00Z', 'PASS'],
    ['the last millisecond of the expiry day', '2027-01-31T23:59:59.999Z', 'PASS'],
    ['the first instant of the day after', '2027-02-01T00:00:00Z', 'FAIL'],
    ['a year later', '2028-01-31T00:00:00Z', 'FAIL'],
  ])('an exception expiring 2027-01-31 evaluated %s → %s', (_case, now, status) => {
    const verdict = verdictOf({
      findings: [finding('CVE-2024-1234', 'CRITICAL')],
      exceptions: [exception('CVE-2024-1234', { expires: '2027-01-31' })],
      now: new Date(now),
    });

    expect(verdict.status).toBe(status);
  });

  it.each([
    ['matches by wildcard', ['orders-api-*'], 'orders-api-prod', 'PASS'],
    ['matches exactly', ['orders-api-prod'], 'orders-api-prod', 'PASS'],
    ['one of several patterns matches', ['billing-*', '*-prod'], 'orders-api-prod', 'PASS'],
    ['covers other repositories only', ['billing-*'], 'orders-api-prod', 'FAIL'],
    ['does not match a prefix without wildcard', ['orders-api'], 'orders-api-prod', 'FAIL'],
    ['matches a namespaced repository', ['team/*'], 'team/orders-api', 'PASS'],
  ])('an exception that %s → %s', (_case, repositories, repositoryName, status) => {
    const verdict = verdictOf({
      repositoryName,
      findings: [finding('CVE-2024-1234', 'CRITICAL')],
      exceptions: [exception('CVE-2024-1234', { repositories })],
    });

    expect(verdict.status).toBe(status);
  });

  it('reports the exceptions applied and keeps them out of the counted findings', () => {
    const verdict = verdictOf({
      findings: [finding('CVE-2024-1234', 'CRITICAL'), finding('CVE-2024-5678', 'HIGH')],
      exceptions: [exception('cve-2024-1234'), exception('CVE-2099-0001')],
    });

    expect(verdict.status).toBe('FAIL');
    expect(verdict.countsBefore.CRITICAL).toBe(1);
    expect(verdict.countsAfter.CRITICAL).toBe(0);
    expect(verdict.exceptionsApplied).toEqual([
      { cve: 'cve-2024-1234', owner: 'alice@example.com', expires: '2027-01-31', ticket: 'SEC-12' },
    ]);
    expect(verdict.blocking.ids).toEqual(['CVE-2024-5678']);
  });

  it('says which exception expired when it no longer applies', () => {
    const verdict = verdictOf({
      findings: [finding('CVE-2024-1234', 'CRITICAL')],
      exceptions: [exception('CVE-2024-1234', { expires: '2026-05-31', ticket: undefined })],
    });

    expect(verdict.status).toBe('FAIL');
    expect(verdict.exceptionsApplied).toEqual([]);
    expect(verdict.exceptionsExpired).toEqual([
      { cve: 'CVE-2024-1234', owner: 'alice@example.com', expires: '2026-05-31' },
    ]);
  });

  it('does not report an expired exception that a renewed one supersedes', () => {
    const verdict = verdictOf({
      findings: [finding('CVE-2024-1234', 'CRITICAL')],
      exceptions: [
        exception('CVE-2024-1234', { expires: '2026-01-31' }),
        exception('CVE-2024-1234', { expires: '2026-12-31' }),
      ],
    });

    expect(verdict.status).toBe('PASS');
    expect(verdict.exceptionsApplied.map((e) => e.expires)).toEqual(['2026-12-31']);
    expect(verdict.exceptionsExpired).toEqual([]);
  });

  it('does not mention expired exceptions for vulnerabilities the image does not have', () => {
    const verdict = verdictOf({
      findings: [finding('CVE-1', 'LOW')],
      exceptions: [exception('CVE-2024-1234', { expires: '2020-01-01' })],
    });

    expect(verdict.exceptionsExpired).toEqual([]);
  });

  it.each([
    ['2027-01-31', '2027-01-31T23:59:59Z', true],
    ['2027-01-31', '2027-02-01T00:00:00Z', false],
    ['2024-02-29', '2024-02-29T18:00:00Z', true],
    ['not-a-date', '2020-01-01T00:00:00Z', false],
  ])('an exception expiring %s is active at %s: %s', (expires, now, active) => {
    expect(isExceptionActive({ expires }, new Date(now))).toBe(active);
  });
});

describe('scan gate verdict: fails closed', () => {
  it.each([
    ['FAILED', [], 'scan FAILED'],
    ['UNSUPPORTED_IMAGE', [], 'scan UNSUPPORTED_IMAGE'],
    ['FINDINGS_UNAVAILABLE', [], 'scan FINDINGS_UNAVAILABLE'],
    ['SCAN_ELIGIBILITY_EXPIRED', [], 'scan SCAN_ELIGIBILITY_EXPIRED'],
    ['IN_PROGRESS', [], 'scan IN_PROGRESS'],
    ['SOMETHING_NEW', [], 'scan SOMETHING_NEW'],
    ['', [], 'scan status unknown'],
    ['COMPLETE', undefined, 'findings unavailable'],
  ])('scan status %j with findings %j → ERROR (%s)', (scanStatus, given, reason) => {
    const verdict = verdictOf({ scanStatus, findings: given });

    expect(verdict.status).toBe('ERROR');
    expect(verdict.reason).toBe(reason);
    expect(gateBlocks(verdict)).toBe(true);
  });

  it.each(['COMPLETE', 'INITIAL_SCAN_COMPLETE', 'ACTIVE'])(
    'scan status %s with no findings passes',
    (scanStatus) => {
      const verdict = verdictOf({ scanStatus });

      expect(verdict.status).toBe('PASS');
      expect(gateBlocks(verdict)).toBe(false);
    },
  );

  it('adds the scan description to the reason of an ERROR', () => {
    const verdict = verdictOf({ scanStatus: 'FAILED', scanStatusDescription: 'Unable to pull image layers' });

    expect(verdict.reason).toBe('scan FAILED: Unable to pull image layers');
  });
});

describe('scan gate verdict: record', () => {
  it('stamps the evaluation time it is given and a policy hash', () => {
    const verdict = verdictOf();

    expect(verdict.evaluatedAt).toBe(NOW.toISOString());
    expect(verdict.policyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [
      'key order and the source of the settings do not change it',
      policy({ thresholds: { MEDIUM: 10, HIGH: 0, CRITICAL: 0 }, source: { group: 'x' } }),
      true,
    ],
    ['a different threshold changes it', policy({ thresholds: { CRITICAL: 0, HIGH: 1, MEDIUM: 10 } }), false],
    ['fixableOnly changes it', policy({ fixableOnly: true }), false],
  ])('policy hash: %s', (_case, other, same) => {
    expect(policyHash(other) === policyHash(policy())).toBe(same);
  });

  it('is the same for the same input (pure)', () => {
    const given = input({ findings: findings(3, 'HIGH'), exceptions: [exception('CVE-2024-1001')] });

    expect(evaluate(given)).toEqual(evaluate(given));
  });
});

describe('evaluation identity', () => {
  const SCANNED = '2026-06-01T11:58:00.000Z';
  const base = () => verdictOf({ findings: [finding('CVE-1', 'HIGH')], scanCompletedAt: SCANNED });

  it('is the same for the same scan judged again later, with its tags in another order', () => {
    const later = verdictOf({
      findings: [finding('CVE-1', 'HIGH')],
      scanCompletedAt: SCANNED,
      now: new Date('2026-06-02T00:00:00Z'),
      imageTags: ['latest', 'v1.2.3'],
    });

    expect(evaluationId(later)).toBe(evaluationId(base()));
    expect(evaluationId(base())).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    ['another scan of the image', { scanCompletedAt: '2026-06-02T11:58:00.000Z' }],
    ['other blocking findings', { findings: [finding('CVE-2', 'HIGH')] }],
    ['another policy', { policy: policy({ thresholds: { HIGH: 5 } }) }],
    ['a failed scan', { scanStatus: 'FAILED' }],
  ])('differs for %s', (_case, over) => {
    const other = verdictOf({ findings: [finding('CVE-1', 'HIGH')], scanCompletedAt: SCANNED, ...over });

    expect(evaluationId(other)).not.toBe(evaluationId(base()));
  });
});
