import { describe, expect, it } from 'vitest';
import { type AlertKind, alertDecision, type VerdictSummary } from '../../src/scan-gate/domain/alerting.ts';

const pass: VerdictSummary = { status: 'PASS', blocking: { ids: [] } };
const fail = (...ids: string[]): VerdictSummary => ({ status: 'FAIL', blocking: { ids } });
const error: VerdictSummary = { status: 'ERROR', blocking: { ids: [] } };

describe('alert decision', () => {
  it.each<[string, VerdictSummary | undefined, VerdictSummary, 'change' | 'always', boolean, AlertKind]>([
    ['first PASS of a new image sends nothing', undefined, pass, 'change', false, 'new'],
    ['first PASS of a new image with alertOn always', undefined, pass, 'always', true, 'new'],
    ['first FAIL of a new image', undefined, fail('CVE-1'), 'change', true, 'new'],
    ['first ERROR of a new image', undefined, error, 'change', true, 'new'],
    ['FAIL → PASS resolves', fail('CVE-1'), pass, 'change', true, 'resolved'],
    ['ERROR → PASS resolves', error, pass, 'change', true, 'resolved'],
    ['FAIL → PASS resolves with alertOn always too', fail('CVE-1'), pass, 'always', true, 'resolved'],
    ['PASS → FAIL', pass, fail('CVE-1'), 'change', true, 'changed'],
    ['PASS → ERROR', pass, error, 'change', true, 'changed'],
    ['FAIL → ERROR', fail('CVE-1'), error, 'change', true, 'changed'],
    ['ERROR → FAIL', error, fail('CVE-1'), 'change', true, 'changed'],
    ['FAIL with a new blocking CVE', fail('CVE-1'), fail('CVE-1', 'CVE-2'), 'change', true, 'changed'],
    ['FAIL with one blocking CVE fewer', fail('CVE-1', 'CVE-2'), fail('CVE-2'), 'change', true, 'changed'],
    [
      'identical FAIL rescan (ids in another order)',
      fail('CVE-1', 'CVE-2'),
      fail('CVE-2', 'CVE-1'),
      'change',
      false,
      'unchanged',
    ],
    ['identical FAIL rescan with alertOn always', fail('CVE-1'), fail('CVE-1'), 'always', true, 'repeat'],
    ['identical ERROR rescan', error, error, 'change', false, 'unchanged'],
    ['PASS → PASS', pass, pass, 'change', false, 'unchanged'],
    ['PASS → PASS with alertOn always', pass, pass, 'always', true, 'repeat'],
  ])('%s', (_case, previous, current, alertOn, send, kind) => {
    expect(alertDecision(previous, current, alertOn)).toEqual({ send, kind });
  });
});
