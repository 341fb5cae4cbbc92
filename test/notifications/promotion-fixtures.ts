import type { PromotionAlert, PromotionEvent } from '../../src/notifications/promotion-document.ts';
import { promotionAlert } from '../../src/notifications/promotion-subject.ts';

/** Promotion alert documents for the rendering tests, built the way the promotion capability builds them. */

export const PROMOTION_ID = '01JDQ3ZK5V8X2M4N6P7R9S0T1W';
export const PROMOTION_DIGEST = `sha256:${'4f'.repeat(32)}`;
export const PROMOTION_CONSOLE_URL =
  'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/222222222222/orders-api-prod/_/image/' +
  `${PROMOTION_DIGEST}/details?region=eu-west-1`;

type Fields = Omit<PromotionAlert, 'type' | 'version' | 'subject'>;

/** What each event adds to a promotion of orders-api 1.4.2 from staging to prod. */
const BY_EVENT: Record<PromotionEvent, Partial<Fields>> = {
  'pending-approval': { expiresAt: '2026-11-30T20:00:00.000Z' },
  approved: { approvedBy: 'bob@example.com' },
  completed: {
    approvedBy: 'bob@example.com',
    copy: {
      blobsCopied: 3,
      blobsSkipped: 2,
      bytesCopied: 12_897_485,
      manifestsPut: 1,
      referrersCopied: 1,
      alreadyPresent: false,
      repositoryCreated: true,
    },
  },
  rejected: { rejectedBy: 'bob@example.com', reason: 'not during the freeze' },
  expired: { expiresAt: '2026-11-30T20:00:00.000Z' },
  failed: {
    approvedBy: 'bob@example.com',
    error: 'LayersNotFoundException: sha256:abc is not in orders-api-prod',
  },
  refused: {
    reason: "orders-api-prod's policy says FAIL: 2 CRITICAL (max 0)",
    gate: {
      status: 'FAIL',
      reason: '2 CRITICAL (max 0)',
      blocking: ['CVE-2024-0001', 'CVE-2024-0002'],
      scannedRepository: 'orders-api-staging',
      scanCompletedAt: '2026-11-27T08:00:00.000Z',
    },
  },
};

/** The complete document of a promotion event, as the capability hands it to the publisher. */
export function promotionOf(event: PromotionEvent, over: Partial<Fields> = {}): PromotionAlert {
  return promotionAlert({
    event,
    promotionId: PROMOTION_ID,
    app: 'orders-api',
    appVersion: '1.4.2',
    digest: PROMOTION_DIGEST,
    from: {
      environment: 'staging',
      accountId: '111111111111',
      region: 'eu-west-1',
      repositoryName: 'orders-api-staging',
    },
    to: {
      environment: 'prod',
      accountId: '222222222222',
      region: 'eu-west-1',
      repositoryName: 'orders-api-prod',
    },
    requestedBy: 'alice@example.com',
    gate: {
      status: 'PASS',
      reason: 'within thresholds',
      blocking: [],
      scannedRepository: 'orders-api-staging',
      scanCompletedAt: '2026-11-27T08:00:00.000Z',
      policyHash: '9a8b7c6d5e4f3a2b1c0d',
    },
    commands: {
      approve: `npx ecr-sentinel approve ${PROMOTION_ID} --by <you>`,
      reject: `npx ecr-sentinel reject ${PROMOTION_ID} --by <you> --reason <text>`,
    },
    consoleUrl: PROMOTION_CONSOLE_URL,
    occurredAt: '2026-11-27T20:00:00.000Z',
    ...BY_EVENT[event],
    ...over,
  });
}
