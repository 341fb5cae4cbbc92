import { describe, expect, it } from 'vitest';
import { buildReport, daysLeft, findingsOverTime, windowStart } from '../../src/report/domain/build.ts';
import { reportSchema } from '../../src/report/domain/model.ts';
import { evaluation, exception, NOW, reportInput } from './fixtures.ts';

describe('the report model', () => {
  it('is the documented shape (the JSON schema accepts what the builder makes)', () => {
    // Act
    const model = buildReport(reportInput());

    // Assess
    expect(() => reportSchema.parse(model)).not.toThrow();
    expect(model.generatedAt).toBe(NOW.toISOString());
    expect(model.since).toBe('2026-10-30T00:00:00.000Z');
  });

  it('shows each repository × check as the audit judged it, with the fix of a drift', () => {
    const model = buildReport(reportInput());

    expect(model.compliance.checks).toEqual(['scanning', 'tag-mutability']);
    const web = model.compliance.repositories.find((r) => r.repositoryName === 'orders-web');
    expect(web?.findings.map((f) => [f.controlId, f.status])).toEqual([
      ['scanning', 'drift'],
      ['tag-mutability', 'drift'],
    ]);
    expect(web?.findings[1]?.fix).toMatch(/IMMUTABLE/);
    expect(model.compliance.summary).toMatchObject({ repositories: 2, drift: 2 });
  });

  it("keeps each repository's latest verdict: the last scan wins, a re-evaluation of one scan wins over the first", () => {
    const older = evaluation({ scanCompletedAt: '2026-11-01T00:00:00Z', status: 'FAIL', reason: 'old' });
    const newer = evaluation({
      imageDigest: `sha256:${'b'.repeat(64)}`,
      scanCompletedAt: '2026-11-20T00:00:00Z',
      evaluatedAt: '2026-11-20T00:00:01Z',
      status: 'PASS',
      reason: 'first look',
    });
    const reEvaluated = {
      ...newer,
      evaluatedAt: '2026-11-21T00:00:00Z',
      status: 'FAIL' as const,
      reason: 'exception expired',
    };

    const model = buildReport(reportInput({ evaluations: [reEvaluated, older, newer] }));

    const api = model.verdicts.repositories.find((r) => r.repositoryName === 'orders-api');
    expect(api).toMatchObject({
      status: 'FAIL',
      reason: 'exception expired',
      images: { PASS: 0, FAIL: 2, ERROR: 0 },
    });
    expect(model.verdicts.withoutVerdict).toEqual(['orders-web']);
  });

  it('lists open exceptions soonest first and leaves expired ones out (counted)', () => {
    const model = buildReport(reportInput());

    expect(model.exceptions.open.map((e) => [e.cve, e.daysLeft, e.expiringSoon])).toEqual([
      ['CVE-2026-0010', 10, true],
      ['CVE-2026-0200', 214, false],
    ]);
    expect(model.exceptions.expired).toBe(1);
  });

  it.each([
    // [expires, now, open?, daysLeft, highlighted?]
    ['2026-11-28', '2026-11-28T00:00:00Z', true, 0, true],
    ['2026-11-28', '2026-11-28T23:59:59.999Z', true, 0, true],
    ['2026-11-27', '2026-11-28T00:00:00Z', false, -1, false],
    ['2026-12-28', '2026-11-28T09:30:00Z', true, 30, true],
    ['2026-12-29', '2026-11-28T09:30:00Z', true, 31, false],
    ['2026-12-28', '2026-11-28T23:59:59Z', true, 30, true],
    ['2026-12-29', '2026-11-29T00:00:00Z', true, 30, true],
    ['2027-03-01', '2027-02-27T12:00:00Z', true, 2, true],
  ])(
    'an exception expiring %s, seen at %s: open %s, %i days left, highlighted %s',
    (expires, now, open, left, soon) => {
      const at = new Date(now);
      const model = buildReport(reportInput({ now: at, exceptions: [exception({ expires })] }));

      expect(daysLeft({ expires }, at)).toBe(left);
      expect(model.exceptions.open.length).toBe(open ? 1 : 0);
      if (open) expect(model.exceptions.open[0]?.expiringSoon).toBe(soon);
    },
  );

  it('keeps promotions and cleanup runs of the last 30 days, newest first', () => {
    const model = buildReport(reportInput());

    expect(model.promotions.items.map((p) => p.requestedAt)).toEqual(['2026-11-20T12:00:00.000Z']);
    expect(model.cleanup.runs.map((r) => r.runId)).toEqual([
      '01KB0000000000000000000002',
      '01KB0000000000000000000001',
    ]);
  });

  it('totals savings of applied runs apart from what dry runs found', () => {
    const model = buildReport(reportInput());

    expect(model.cleanup.reclaimed).toEqual({ runs: 1, images: 12, bytes: 3 * 2 ** 30, monthlyUsd: 0.3 });
    expect(model.cleanup.identified).toEqual({ runs: 1, images: 0, bytes: 2 ** 30, monthlyUsd: 0.1 });
  });

  it('starts the window at midnight UTC, 29 days before today', () => {
    expect(windowStart(new Date('2026-03-01T00:00:00Z')).toISOString()).toBe('2026-01-31T00:00:00.000Z');
  });
});

describe('findings over time', () => {
  const since = new Date('2026-11-25T00:00:00Z');
  const now = new Date('2026-11-28T09:30:00Z');

  it("counts each image's latest scan by the end of each day, one series per severity, worst first", () => {
    const evaluations = [
      evaluation({ scanCompletedAt: '2026-11-20T00:00:00Z', countsBefore: { CRITICAL: 1, HIGH: 2 } }),
      evaluation({ scanCompletedAt: '2026-11-26T23:59:59Z', countsBefore: { CRITICAL: 0, HIGH: 1 } }),
      evaluation({
        imageDigest: `sha256:${'c'.repeat(64)}`,
        scanCompletedAt: '2026-11-28T08:00:00Z',
        countsBefore: { LOW: 4, UNTRIAGED: 1 },
      }),
      // After `now`: not yet known.
      evaluation({
        imageDigest: `sha256:${'d'.repeat(64)}`,
        scanCompletedAt: '2026-11-28T10:00:00Z',
        countsBefore: { CRITICAL: 9 },
      }),
    ];

    const chart = findingsOverTime(evaluations, now, since);

    expect(chart.days).toEqual(['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28']);
    expect(Object.fromEntries(chart.series.map((s) => [s.severity, s.counts]))).toEqual({
      CRITICAL: [1, 0, 0, 0],
      HIGH: [2, 1, 1, 1],
      MEDIUM: [0, 0, 0, 0],
      LOW: [0, 0, 0, 4],
      UNTRIAGED: [0, 0, 0, 1],
    });
    expect(chart.series.map((s) => s.severity)).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNTRIAGED']);
  });

  it('draws the four main severities even with no verdicts at all', () => {
    const chart = findingsOverTime([], now, since);

    expect(chart.series.map((s) => [s.severity, s.counts])).toEqual([
      ['CRITICAL', [0, 0, 0, 0]],
      ['HIGH', [0, 0, 0, 0]],
      ['MEDIUM', [0, 0, 0, 0]],
      ['LOW', [0, 0, 0, 0]],
    ]);
  });
});
