import { describe, expect, it } from 'vitest';
import { judgePromotion, type ScanCandidate } from '../../src/promotion/domain/gate.ts';
import {
  canTransition,
  decisionRefusal,
  isApprovalExpired,
  PROMOTION_ID_PATTERN,
  PROMOTION_STATUSES,
  promotionId,
} from '../../src/promotion/domain/promotion.ts';
import { planRoute, type RouteEnvironment } from '../../src/promotion/domain/route.ts';
import { DIGEST, exception, findings, NOW, policy } from '../scan-gate/verdict-fixtures.ts';

const ENVIRONMENTS: RouteEnvironment[] = [
  { name: 'dev', repositoryTemplate: '{app}-{env}', requiresApproval: false },
  { name: 'staging', repositoryTemplate: '{app}-{env}', requiresApproval: false, accountId: '222222222222' },
  {
    name: 'prod',
    repositoryTemplate: '{env}/{app}',
    requiresApproval: true,
    accountId: '333333333333',
    region: 'eu-west-1',
    roleArn: 'arn:aws:iam::333333333333:role/promoter',
  },
];

describe('planRoute', () => {
  it('goes from the previous environment, with each side’s repository, account, Region and role', () => {
    const route = planRoute(ENVIRONMENTS, { app: 'orders-api', to: 'prod', allowSkip: false });
    expect(route).toEqual({
      app: 'orders-api',
      from: {
        environment: 'staging',
        accountId: '222222222222',
        region: undefined,
        roleArn: undefined,
        repositoryName: 'orders-api-staging',
      },
      to: {
        environment: 'prod',
        accountId: '333333333333',
        region: 'eu-west-1',
        roleArn: 'arn:aws:iam::333333333333:role/promoter',
        repositoryName: 'prod/orders-api',
      },
      requiresApproval: true,
      skipped: [],
      earlier: [
        expect.objectContaining({ repositoryName: 'orders-api-staging' }),
        expect.objectContaining({ repositoryName: 'orders-api-dev' }),
      ],
    });
  });

  it('refuses a skip unless allowed, and names what it skips', () => {
    expect(() => planRoute(ENVIRONMENTS, { app: 'a', to: 'prod', from: 'dev', allowSkip: false })).toThrow(
      'promoting dev → prod skips staging; set promotion.allowSkip: true to allow it',
    );
    expect(planRoute(ENVIRONMENTS, { app: 'a', to: 'prod', from: 'dev', allowSkip: true }).skipped).toEqual([
      'staging',
    ]);
  });

  it('refuses unknown environments, the first one, and going backwards', () => {
    expect(() => planRoute(ENVIRONMENTS, { app: 'a', to: 'qa', allowSkip: true })).toThrow(
      'unknown environment "qa" (environments: dev, staging, prod)',
    );
    expect(() => planRoute(ENVIRONMENTS, { app: 'a', to: 'dev', allowSkip: true })).toThrow(
      '"dev" is the first environment: images arrive there by push, not by promotion',
    );
    expect(() => planRoute(ENVIRONMENTS, { app: 'a', to: 'staging', from: 'prod', allowSkip: true })).toThrow(
      '"prod" does not come before "staging" (order: dev → staging → prod)',
    );
  });
});

describe('promotion records', () => {
  it('allow only the documented status changes', () => {
    const allowed = PROMOTION_STATUSES.flatMap((from) =>
      PROMOTION_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed).toEqual([
      'PENDING_APPROVAL→APPROVED',
      'PENDING_APPROVAL→REJECTED',
      'PENDING_APPROVAL→EXPIRED',
      'APPROVED→COPYING',
      'APPROVED→FAILED',
      'COPYING→COMPLETED',
      'COPYING→FAILED',
    ]);
  });

  it('get ids that sort by creation time', () => {
    const zeros = new Uint8Array(10);
    const earlier = promotionId(new Date('2026-11-27T10:00:00.000Z'), zeros);
    const later = promotionId(new Date('2026-11-27T10:00:00.001Z'), new Uint8Array(10).fill(255));
    expect(earlier).toMatch(PROMOTION_ID_PATTERN);
    expect(later).toMatch(PROMOTION_ID_PATTERN);
    expect(earlier < later).toBe(true);
    expect(promotionId(new Date(0), zeros)).toBe('0'.repeat(26));
  });

  const pending = {
    id: '01JDX0000000000000000000AB',
    status: 'PENDING_APPROVAL' as const,
    requestedBy: 'Alice',
    expiresAt: '2026-06-04T12:00:00.000Z',
  };

  it('need a second person to approve, but let the requester withdraw', () => {
    expect(decisionRefusal(pending, { action: 'approve', by: 'alice' }, NOW)).toBe(
      "alice requested promotion 01JDX0000000000000000000AB and can't approve it: a second person must",
    );
    expect(decisionRefusal(pending, { action: 'approve', by: 'bob' }, NOW)).toBeUndefined();
    expect(decisionRefusal(pending, { action: 'reject', by: 'alice' }, NOW)).toBeUndefined();
  });

  it('refuse decisions on what is not pending, or has expired', () => {
    const approved = { ...pending, status: 'APPROVED' as const, approvedBy: 'bob' };
    expect(decisionRefusal(approved, { action: 'approve', by: 'carol' }, NOW)).toBe(
      'promotion 01JDX0000000000000000000AB is APPROVED (by bob), not pending approval',
    );
    const late = new Date('2026-06-04T12:00:00.000Z');
    expect(isApprovalExpired(pending, new Date(late.getTime() - 1))).toBe(false);
    expect(isApprovalExpired(pending, late)).toBe(true);
    expect(decisionRefusal(pending, { action: 'approve', by: 'bob' }, late)).toBe(
      'promotion 01JDX0000000000000000000AB expired at 2026-06-04T12:00:00.000Z: request it again',
    );
  });
});

describe('judgePromotion', () => {
  const scan = (days: number, found = findings(0, 'HIGH')) => ({
    scanStatus: 'COMPLETE',
    findings: found,
    scanCompletedAt: new Date(NOW.getTime() - days * 86_400_000),
  });
  const judge = (
    candidates: ScanCandidate[],
    over: { maxScanAgeDays?: number; limits?: Record<string, number> } = {},
  ) =>
    judgePromotion({
      digest: DIGEST,
      imageTags: ['1.0.0'],
      targetRepository: 'orders-api-prod',
      policy: policy(over.limits ? { thresholds: over.limits } : {}),
      exceptions: [],
      candidates,
      maxScanAgeDays: over.maxScanAgeDays ?? 7,
      now: NOW,
    });

  it('passes a clean, fresh scan and judges it as the target repository', () => {
    const gate = judge([{ repositoryName: 'orders-api-staging', scan: scan(1) }]);
    expect(gate.refusal).toBeUndefined();
    expect(gate.verdict).toMatchObject({ status: 'PASS', repositoryName: 'orders-api-prod' });
    expect(gate.summary).toMatchObject({
      status: 'PASS',
      scannedRepository: 'orders-api-staging',
      blocking: [],
    });
  });

  it('uses the newest completed scan among the environments, skipping running and missing ones', () => {
    const gate = judge([
      { repositoryName: 'orders-api-staging', scan: { scanStatus: 'IN_PROGRESS', findings: undefined } },
      { repositoryName: 'orders-api-qa', scan: undefined },
      { repositoryName: 'orders-api-dev', scan: scan(2) },
      { repositoryName: 'orders-api-sandbox', scan: scan(5, findings(3, 'CRITICAL')) },
    ]);
    expect(gate.summary.scannedRepository).toBe('orders-api-dev');
    expect(gate.refusal).toBeUndefined();
  });

  it('refuses, fail closed, without a completed scan', () => {
    const gate = judge([
      {
        repositoryName: 'orders-api-staging',
        scan: { scanStatus: 'FAILED', scanStatusDescription: 'unsupported', findings: undefined },
      },
      { repositoryName: 'orders-api-dev', scan: undefined },
    ]);
    expect(gate.refusal).toBe('no completed scan: orders-api-staging: scan FAILED (unsupported)');
    expect(gate.verdict.status).toBe('ERROR');
    expect(judge([{ repositoryName: 'orders-api-dev', scan: undefined }]).refusal).toBe(
      `no completed scan: no scan of ${DIGEST} in orders-api-dev`,
    );
  });

  it('refuses a scan older than maxScanAgeDays', () => {
    expect(judge([{ repositoryName: 'orders-api-dev', scan: scan(8) }]).refusal).toBe(
      'the newest scan (orders-api-dev, 2026-05-24T12:00:00.000Z) is 8 days old, more than promotion.maxScanAgeDays (7): scan the image again',
    );
    expect(
      judge([{ repositoryName: 'orders-api-dev', scan: scan(8) }], { maxScanAgeDays: 8 }).refusal,
    ).toBeUndefined();
  });

  it("refuses what the target's policy fails, naming the blocking findings", () => {
    const gate = judge([{ repositoryName: 'orders-api-staging', scan: scan(1, findings(2, 'HIGH')) }]);
    expect(gate.refusal).toBe(
      "orders-api-prod's policy says FAIL: 2 HIGH (max 0) (blocking: CVE-2024-1000, CVE-2024-1001)",
    );
    expect(gate.summary.blocking).toEqual(['CVE-2024-1000', 'CVE-2024-1001']);
    const lenient = judge([{ repositoryName: 'orders-api-staging', scan: scan(1, findings(2, 'HIGH')) }], {
      limits: { CRITICAL: 0, HIGH: 5 },
    });
    expect(lenient.refusal).toBeUndefined();
  });

  it('applies the exceptions that cover the target repository', () => {
    const gate = judgePromotion({
      digest: DIGEST,
      imageTags: [],
      targetRepository: 'orders-api-prod',
      policy: policy(),
      exceptions: [exception('CVE-2024-1000', { repositories: ['orders-api-*'] })],
      candidates: [{ repositoryName: 'orders-api-staging', scan: scan(1, findings(1, 'HIGH')) }],
      maxScanAgeDays: 7,
      now: NOW,
    });
    expect(gate.refusal).toBeUndefined();
  });
});
