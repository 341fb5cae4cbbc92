/**
 * The promotion use cases wired to AWS, for the CLI (and, with the function's own clients, the promoteImage
 * handler): the caller's account from STS, the single table, the registries of every environment, the default
 * bus for results.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { snsAlerts } from '../notifications/index.ts';
import { dynamoVerdicts } from '../scan-gate/index.ts';
import type { Clock } from '../shared/clock.ts';

export { callerIdentity } from '../shared/caller-identity.ts';

import { promotionAnnouncer } from './adapters/announcer.ts';
import { awsRegistries, type ClientBase } from './adapters/aws-registries.ts';
import { dynamoPromotions } from './adapters/dynamodb-promotions.ts';
import { promotionAlertOf } from './alert.ts';
import type { Promotion } from './domain/promotion.ts';
import type { PromotionEvent, PromotionStore } from './ports.ts';
import { type PromotionConfig, promotions } from './promote.ts';

/** The use cases and the store, bound to AWS; `destroy` closes every client. */
export interface ComposedPromotions {
  useCases: ReturnType<typeof promotions>;
  store: PromotionStore;
  destroy(): void;
}

/** Wire the promotion use cases to AWS (or the sandbox, through `base.endpoint`). */
export function composePromotions(options: {
  config: PromotionConfig;
  base: ClientBase;
  home: { accountId: string; region: string };
  tableName: string;
  clock: Clock;
  /** The alerts topic (SNS; notifications renders and delivers); none: results go to the default bus only. */
  alertsTopicArn?: string | undefined;
  /** The deployed stage its alerts name (`SENTINEL_STAGE`); none from the CLI. */
  stage?: string | undefined;
  warn: (message: string) => void;
}): ComposedPromotions {
  const clientConfig = {
    region: options.base.region,
    ...(options.base.endpoint ? { endpoint: options.base.endpoint } : {}),
    ...(options.base.credentials ? { credentials: options.base.credentials } : {}),
  };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));
  const events = new EventBridgeClient(clientConfig);
  const registries = awsRegistries(options.base, { warn: options.warn });
  const sns = options.alertsTopicArn ? new SNSClient(clientConfig) : undefined;
  const alerts = sns && options.alertsTopicArn ? snsAlerts(sns, options.alertsTopicArn) : undefined;
  const store = dynamoPromotions(doc, options.tableName);
  const useCases = promotions({
    config: options.config,
    home: options.home,
    store,
    registries,
    verdicts: dynamoVerdicts(doc, options.tableName),
    announcer: promotionAnnouncer({
      events,
      ...(alerts
        ? {
            alert: async (event: PromotionEvent, promotion: Promotion) => {
              await alerts.publish(promotionAlertOf(event, promotion, options.clock.now(), options.stage));
            },
          }
        : {}),
      now: () => options.clock.now(),
    }),
    clock: options.clock,
    randomBytes: () => randomBytes(10),
    warn: options.warn,
  });
  return {
    useCases,
    store,
    destroy() {
      registries.destroy();
      events.destroy();
      sns?.destroy();
      doc.destroy();
    },
  };
}
