import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { IamPermissions } from '../../shared/iam.ts';
import type { Promotion } from '../domain/promotion.ts';
import { EVENT_SOURCE, RESULT_DETAIL_TYPES } from '../events.ts';
import type { PromotionAnnouncer, PromotionEvent } from '../ports.ts';

/** What {@link promotionAnnouncer} calls itself (the alert it is given declares its own). */
export const promotionAnnouncerPermissions: IamPermissions = [
  { actions: ['events:PutEvents'], resource: 'default-event-bus' },
];

/** An entry EventBridge did not take (PutEvents answers 200 with per-entry failures). */
export class EventNotSentError extends Error {
  override readonly name = 'EventNotSentError';
}

/**
 * Announces each outcome twice: as an alert to people (`alert`, e.g. SNS through notifications) and as an
 * event on the default bus (source `ecr-sentinel`, detail the promotion record, resources the target
 * repository's ARN) for machines. Both are attempted; the first failure is thrown after.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export function promotionAnnouncer(deps: {
  events?: EventBridgeClient;
  alert?: (event: PromotionEvent, promotion: Promotion) => Promise<void>;
  now: () => Date;
}): PromotionAnnouncer {
  return {
    async announce(event, promotion) {
      const outcomes = await Promise.allSettled([
        deps.alert?.(event, promotion),
        (async () => {
          const detailType = RESULT_DETAIL_TYPES[event];
          if (!deps.events || detailType === undefined) return;
          const { to } = promotion;
          const out = await deps.events.send(
            new PutEventsCommand({
              Entries: [
                {
                  Source: EVENT_SOURCE,
                  DetailType: detailType,
                  Detail: JSON.stringify({ event, ...promotion }),
                  Resources: [`arn:aws:ecr:${to.region}:${to.accountId}:repository/${to.repositoryName}`],
                  Time: deps.now(),
                },
              ],
            }),
          );
          if ((out.FailedEntryCount ?? 0) > 0) {
            const entry = out.Entries?.[0];
            throw new EventNotSentError(
              `EventBridge did not take "${detailType}" of promotion ${promotion.id}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
            );
          }
        })(),
      ]);
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
