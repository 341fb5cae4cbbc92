/**
 * What other capabilities use of promotion: the promotion records and releases (cleanup protects what was
 * promoted), the store's port and its DynamoDB adapter. Capabilities import promotion only from here.
 */

export {
  dynamoPromotionReader,
  dynamoPromotionReaderPermissions,
  dynamoPromotions,
  dynamoPromotionsPermissions,
  type PromotionReader,
} from './adapters/dynamodb-promotions.ts';
export type { Promotion, PromotionLocation, PromotionStatus, Release } from './domain/promotion.ts';
export type { PromotionStore } from './ports.ts';
