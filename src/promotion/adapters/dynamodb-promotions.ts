import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { IamPermissions } from '../../shared/iam.ts';
import { promotionKeys, releaseKeys, TABLE_INDEX, type TableKey } from '../../shared/table.ts';
import {
  OPEN_STATUSES,
  type Promotion,
  promotionSchema,
  REPEATABLE_STATUSES,
  releaseOf,
  releaseSchema,
} from '../domain/promotion.ts';
import { PromotionConflictError } from '../errors.ts';
import type { PromotionStore } from '../ports.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * What {@link dynamoPromotions} calls. TransactWriteItems is authorised per item as PutItem / DeleteItem
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html); the listings
 * Query the table's index.
 */
export const dynamoPromotionsPermissions: IamPermissions = [
  { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resource: 'sentinel-table' },
  { actions: ['dynamodb:Query'], resource: 'sentinel-table' },
  { actions: ['dynamodb:Query'], resource: 'sentinel-table-index' },
];

/** Items a listing reads at most when no limit is given (the CLI pages by asking for more). */
const DEFAULT_LIMIT = 100;

/** Plain data without undefined members, whatever the client's marshall options. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The three copies of a promotion, each indexed for one listing. */
function copiesOf(promotion: Promotion): Array<Record<string, unknown>> {
  const body = { entity: 'promotion', ...plain(promotion) };
  const sort = promotionKeys.listingSort(promotion.requestedAt, promotion.id);
  return [
    {
      ...promotionKeys.record(promotion.id),
      [TABLE_INDEX.pk]: promotionKeys.listing.all,
      [TABLE_INDEX.sk]: sort,
      ...body,
    },
    {
      ...promotionKeys.byApp(promotion.id),
      [TABLE_INDEX.pk]: promotionKeys.listing.app(promotion.app),
      [TABLE_INDEX.sk]: sort,
      ...body,
    },
    {
      ...promotionKeys.byDigest(promotion.id),
      [TABLE_INDEX.pk]: promotionKeys.listing.digest(promotion.digest),
      [TABLE_INDEX.sk]: sort,
      ...body,
    },
  ];
}

function requestKey(promotion: Pick<Promotion, 'app' | 'to' | 'digest'>): TableKey {
  return promotionKeys.request(promotion.app, promotion.to.environment, promotion.digest);
}

/** Attempts at a transaction DynamoDB cancelled for a conflict with another one in flight on the same items. */
const CONFLICT_ATTEMPTS = 4;

/** Which items of a cancelled transaction failed their condition. */
function failedConditions(error: TransactionCanceledException): boolean[] {
  return (error.CancellationReasons ?? []).map((reason) => reason.Code === 'ConditionalCheckFailed');
}

function parse(item: Record<string, unknown> | undefined): Promotion | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _gpk, gsi1sk: _gsk, entity: _entity, ...rest } = item;
  return promotionSchema.parse(rest);
}

/** The reading side of the promotion records: what a capability that only looks (cleanup) needs. */
export type PromotionReader = Pick<PromotionStore, 'get' | 'list' | 'releases'>;

/** What {@link dynamoPromotionReader} calls: reads only. */
export const dynamoPromotionReaderPermissions: IamPermissions = [
  { actions: ['dynamodb:GetItem', 'dynamodb:Query'], resource: 'sentinel-table' },
  { actions: ['dynamodb:Query'], resource: 'sentinel-table-index' },
];

/** {@link PromotionReader} on the single table; {@link dynamoPromotions} reads through it too. */
export function dynamoPromotionReader(doc: DynamoDBDocumentClient, tableName: string): PromotionReader {
  return {
    async get(id) {
      return parse(
        (
          await doc.send(
            new GetCommand({ TableName: tableName, Key: promotionKeys.record(id), ConsistentRead: true }),
          )
        ).Item,
      );
    },

    async list(query) {
      const partition =
        query.digest !== undefined
          ? promotionKeys.listing.digest(query.digest)
          : query.app !== undefined
            ? promotionKeys.listing.app(query.app)
            : promotionKeys.listing.all;
      const out = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE_INDEX.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE_INDEX.pk },
          ExpressionAttributeValues: { ':pk': partition },
          ScanIndexForward: false,
          Limit: query.limit ?? DEFAULT_LIMIT,
        }),
      );
      const found = (out.Items ?? []).map((item) => parse(item) as Promotion);
      // A digest belongs to one app in practice; both filters given: narrow the digest's listing by app.
      return query.app !== undefined && query.digest !== undefined
        ? found.filter((p) => p.app === query.app)
        : found;
    },

    async releases(app) {
      const out = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :env)',
          ExpressionAttributeValues: {
            ':pk': releaseKeys.partition(app),
            ':env': releaseKeys.environmentPrefix,
          },
          ConsistentRead: true,
        }),
      );
      return (out.Items ?? []).map(({ pk: _pk, sk: _sk, entity: _entity, ...rest }) =>
        releaseSchema.parse(rest),
      );
    },
  };
}

/**
 * {@link PromotionStore} on the single table (keys in src/shared/table.ts). Each change is one
 * TransactWriteItems: the record's three copies, the open-request lock (claimed on create, released when the
 * promotion ends REJECTED, EXPIRED or FAILED, kept when COMPLETED so the same request returns it) and, on
 * completion, the release item of the target environment.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export function dynamoPromotions(doc: DynamoDBDocumentClient, tableName: string): PromotionStore {
  /**
   * One TransactWriteItems, again (after 25, 50, 100 ms) while DynamoDB cancels it only for a conflict with
   * another transaction on the same items (`TransactionConflict`): the retry then sees the other one's result.
   */
  const transact = async (items: TransactItem[]): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await doc.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        const conflict =
          error instanceof TransactionCanceledException &&
          (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict') &&
          !failedConditions(error).some(Boolean);
        if (!conflict || attempt >= CONFLICT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** (attempt - 1)));
      }
    }
  };

  const get = async (key: TableKey): Promise<Record<string, unknown> | undefined> =>
    (await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  const reader = dynamoPromotionReader(doc, tableName);

  const store: PromotionStore = {
    async create(promotion) {
      const claims = !REPEATABLE_STATUSES.has(promotion.status);
      const items: TransactItem[] = copiesOf(promotion).map((Item) => ({
        Put: { TableName: tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
      }));
      if (claims) {
        items.push({
          Put: {
            TableName: tableName,
            Item: { ...requestKey(promotion), entity: 'promotion-request', promotionId: promotion.id },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        });
      }
      try {
        await transact(items);
        return { promotion, created: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException) || !claims || !failedConditions(error)[3])
          throw error;
      }
      // Another promotion holds the request: that one is the answer.
      const existing = await store.findRequest(promotion.app, promotion.to.environment, promotion.digest);
      if (!existing) {
        throw new PromotionConflictError(
          `a promotion of ${promotion.digest} to ${promotion.to.environment} was being recorded at the same time: try again`,
        );
      }
      return { promotion: existing, created: false };
    },

    async findRequest(app, environment, digest) {
      const lock = await get(promotionKeys.request(app, environment, digest));
      const id = lock?.promotionId;
      return typeof id === 'string' ? store.get(id) : undefined;
    },

    get: reader.get,

    async transition(next, expected) {
      const [record, ...others] = copiesOf(next);
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tableName,
            Item: record,
            ConditionExpression: '#status = :expected',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':expected': expected },
          },
        },
        ...others.map((Item) => ({ Put: { TableName: tableName, Item } })),
      ];
      if (REPEATABLE_STATUSES.has(next.status) && OPEN_STATUSES.has(expected)) {
        items.push({
          Delete: {
            TableName: tableName,
            Key: requestKey(next),
            ConditionExpression: 'attribute_not_exists(pk) OR promotionId = :id',
            ExpressionAttributeValues: { ':id': next.id },
          },
        });
      }
      if (next.status === 'COMPLETED') {
        items.push({
          Put: {
            TableName: tableName,
            Item: {
              ...releaseKeys.environment(next.app, next.to.environment),
              entity: 'release',
              ...plain(releaseOf(next)),
            },
          },
        });
      }
      try {
        await transact(items);
      } catch (error) {
        if (!(error instanceof TransactionCanceledException) || !failedConditions(error)[0]) throw error;
        const now = await store.get(next.id);
        const by = now?.approvedBy ?? now?.rejectedBy;
        throw new PromotionConflictError(
          `promotion ${next.id} is ${now?.status ?? 'gone'}${by ? ` (by ${by})` : ''}, no longer ${expected}: it can't become ${next.status}`,
        );
      }
    },

    list: reader.list,
    releases: reader.releases,
  };
  return store;
}
