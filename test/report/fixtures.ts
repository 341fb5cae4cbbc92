import { audit } from '../../src/compliance/domain/audit.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { ReportInput } from '../../src/report/domain/build.ts';
import type { CleanupRunTotals, StoredEvaluation } from '../../src/report/domain/sources.ts';
import type { ScanException } from '../../src/scan-gate/index.ts';
import { registry, repository } from '../compliance/state.ts';
import { aPromotion } from '../promotion/promotion-fixtures.ts';

/** The report's fixed clock: a Saturday morning, UTC. */
export const NOW = new Date('2026-11-28T09:30:00Z');

export const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">';

const config = parseConfig(`
version: 1
repositoryGroups:
  - { name: services, repositories: ["orders-*"] }
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH }
    tagMutability: { mutability: IMMUTABLE }
`);

/** An evaluation as the scan gate stores it (the fields the report reads). */
export function evaluation(over: Partial<StoredEvaluation> = {}): StoredEvaluation {
  return {
    status: 'PASS',
    reason: 'within the limits',
    repositoryName: 'orders-api',
    imageDigest: `sha256:${'a'.repeat(64)}`,
    imageTags: ['1.0.0'],
    countsBefore: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0 },
    blocking: { ids: [] },
    scanCompletedAt: '2026-11-27T10:00:00.000Z',
    evaluatedAt: '2026-11-27T10:00:01.000Z',
    ...over,
  };
}

export function exception(over: Partial<ScanException> = {}): ScanException {
  return {
    cve: 'CVE-2026-0001',
    repositories: ['orders-*'],
    expires: '2027-06-30',
    owner: 'platform@example.com',
    reason: 'not reachable',
    ...over,
  };
}

export function cleanupRun(over: Partial<CleanupRunTotals> = {}): CleanupRunTotals {
  return {
    runId: '01KB0000000000000000000001',
    startedAt: '2026-11-27T03:00:00.000Z',
    trigger: 'schedule',
    dryRun: false,
    repositoryCount: 2,
    remaining: 0,
    deletedCount: 12,
    bytesReclaimed: 3 * 2 ** 30,
    monthlySavingsUsd: 0.3,
    failureCount: 0,
    ...over,
  };
}

/** A report input with a drifting and a compliant repository, verdicts, exceptions, a promotion and a run. */
export function reportInput(over: Partial<ReportInput> = {}): ReportInput {
  return {
    now: NOW,
    audit: audit({
      now: NOW,
      settings: config.compliance,
      repositoryGroups: config.repositoryGroups,
      repositories: [
        repository({ repositoryName: 'orders-api' }),
        repository({ repositoryName: 'orders-web', imageTagMutability: 'MUTABLE', scanFrequency: 'MANUAL' }),
      ],
      registry: registry(),
    }),
    evaluations: [
      evaluation(),
      evaluation({
        repositoryName: 'orders-web',
        status: 'FAIL',
        reason: '2 CRITICAL (max 0)',
        countsBefore: { CRITICAL: 2, HIGH: 1, MEDIUM: 0, LOW: 3 },
        blocking: { ids: ['CVE-2026-1111', 'CVE-2026-2222'] },
      }),
    ],
    exceptions: [
      exception({ cve: 'CVE-2026-0010', expires: '2026-12-08' }),
      exception({ cve: 'CVE-2026-0200', expires: '2027-06-30' }),
      exception({ cve: 'CVE-2025-9999', expires: '2026-11-01' }),
    ],
    promotions: [
      aPromotion({ app: 'orders', requestedAt: '2026-11-20T12:00:00.000Z', status: 'COMPLETED' }),
      aPromotion({ app: 'orders', requestedAt: '2026-10-01T12:00:00.000Z', status: 'COMPLETED' }),
    ],
    promotionsTruncated: false,
    cleanupRuns: [
      cleanupRun(),
      cleanupRun({
        runId: '01KB0000000000000000000002',
        dryRun: true,
        deletedCount: 0,
        bytesReclaimed: 2 ** 30,
        monthlySavingsUsd: 0.1,
      }),
      cleanupRun({ runId: '01KA0000000000000000000003', startedAt: '2026-09-01T03:00:00.000Z' }),
    ],
    ...over,
  };
}
