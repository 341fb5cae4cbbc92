import { type PromotionAlert, promotionAlert } from '../notifications/index.ts';
import { consoleUrl } from '../shared/ecr/console.ts';
import type { Promotion } from './domain/promotion.ts';
import type { PromotionEvent } from './ports.ts';

/** How the CLI is run in the commands an alert shows (people copy them into a terminal in the checkout). */
const CLI = 'npx ecr-sentinel';

/**
 * The alert about one change of a promotion, as notifications renders it (subject, email, Slack). A pending
 * approval carries the exact commands that approve or reject it.
 */
export function promotionAlertOf(
  event: PromotionEvent,
  promotion: Promotion,
  occurredAt: Date,
  /** The deployed stage that sends the alert (several may share a channel); none from the CLI. */
  stage?: string,
): PromotionAlert {
  const { gate, to } = promotion;
  return promotionAlert({
    event,
    promotionId: promotion.id,
    app: promotion.app,
    appVersion: promotion.version,
    digest: promotion.digest,
    from: promotion.from,
    to,
    requestedBy: promotion.requestedBy,
    ...(promotion.approvedBy ? { approvedBy: promotion.approvedBy } : {}),
    ...(promotion.rejectedBy ? { rejectedBy: promotion.rejectedBy } : {}),
    ...(promotion.reason ? { reason: promotion.reason } : {}),
    ...(promotion.error ? { error: promotion.error } : {}),
    gate: {
      status: gate.status,
      reason: gate.reason,
      blocking: gate.blocking,
      ...(gate.scannedRepository ? { scannedRepository: gate.scannedRepository } : {}),
      ...(gate.scanCompletedAt ? { scanCompletedAt: gate.scanCompletedAt } : {}),
      ...(gate.policyHash ? { policyHash: gate.policyHash } : {}),
    },
    ...(promotion.copy ? { copy: promotion.copy } : {}),
    ...(event === 'pending-approval'
      ? {
          commands: {
            approve: `${CLI} approve ${promotion.id} --by <your name>`,
            reject: `${CLI} reject ${promotion.id} --by <your name> --reason "<why>"`,
          },
        }
      : {}),
    ...(promotion.expiresAt ? { expiresAt: promotion.expiresAt } : {}),
    consoleUrl: consoleUrl({
      region: to.region,
      accountId: to.accountId,
      repositoryName: to.repositoryName,
      imageDigest: promotion.digest,
    }),
    occurredAt: occurredAt.toISOString(),
    ...(stage ? { stage } : {}),
  });
}
