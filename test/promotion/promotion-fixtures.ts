import { randomBytes } from 'node:crypto';
import { type Promotion, promotionId } from '../../src/promotion/domain/promotion.ts';

/** A promotion record as the use case would create it; `overrides` change any field. */
export function aPromotion(overrides: Partial<Promotion> = {}): Promotion {
  const requestedAt = overrides.requestedAt ?? new Date().toISOString();
  const app = overrides.app ?? 'orders-api';
  return {
    id: promotionId(new Date(requestedAt), randomBytes(10)),
    app,
    version: '1.4.2',
    digest: `sha256:${randomBytes(32).toString('hex')}`,
    from: {
      environment: 'dev',
      accountId: '123456789012',
      region: 'us-east-1',
      repositoryName: `${app}-dev`,
    },
    to: {
      environment: 'staging',
      accountId: '123456789012',
      region: 'us-east-1',
      repositoryName: `${app}-staging`,
    },
    status: 'COPYING',
    requiresApproval: false,
    requestedBy: 'alice',
    requestedAt,
    gate: { status: 'PASS', reason: 'no findings over the limits', blocking: [] },
    updatedAt: requestedAt,
    ...overrides,
  };
}
