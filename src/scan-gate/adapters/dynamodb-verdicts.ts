import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IamPermissions } from '../../shared/iam.ts';
import { verdictKeys } from '../../shared/table.ts';
import type { Verdict } from '../domain/verdict.ts';
import type { VerdictStore } from '../ports.ts';

/**
 * The item of one evaluation, keyed by {@link verdictKeys} (one partition per image): a few top-level
 * attributes to read and filter on, and the whole verdict.
 */
function itemOf(verdict: Verdict, key: { pk: string; sk: string }, entity: string) {
  return {
    ...key,
    entity,
    repositoryName: verdict.repositoryName,
    imageDigest: verdict.imageDigest,
    status: verdict.status,
    policyHash: verdict.policyHash,
    evaluatedAt: verdict.evaluatedAt,
    ...(verdict.scanCompletedAt === undefined ? {} : { scanCompletedAt: verdict.scanCompletedAt }),
    blockingCount: verdict.blocking.ids.length,
    // Plain data without undefined members (optional finding fields), whatever the client's marshall options.
    verdict: JSON.parse(JSON.stringify(verdict)) as Verdict,
  };
}

/** Attempts at writing what BatchWriteItem left unprocessed (throttling) before giving up (Lambda retries). */
const BATCH_ATTEMPTS = 4;

/**
 * What {@link dynamoVerdicts} calls as a {@link VerdictStore}: GetItem (`latest`), BatchWriteItem (`save`).
 * `history`, not part of the port, also calls dynamodb:Query: only tests and tools call it, and no function is
 * granted it.
 */
export const dynamoVerdictsPermissions: IamPermissions = [
  { actions: ['dynamodb:GetItem', 'dynamodb:BatchWriteItem'], resource: 'sentinel-table' },
];

/**
 * {@link VerdictStore} on the single DynamoDB table. `save` writes the latest and a history item in one
 * BatchWriteItem: one call, one write unit per item (a TransactWriteItems would cost twice that on every
 * event, to serialise a race that can at worst send a duplicate alert).
 */
export function dynamoVerdicts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
) {
  return {
    /** @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html */
    async latest(repositoryName: string, imageDigest: string): Promise<Verdict | undefined> {
      const out = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: verdictKeys.latest(repositoryName, imageDigest),
          ConsistentRead: true,
        }),
      );
      return out.Item?.verdict as Verdict | undefined;
    },

    /** @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html */
    async save(verdict: Verdict): Promise<void> {
      const { repositoryName, imageDigest, evaluatedAt } = verdict;
      let requests: BatchWriteCommandInput['RequestItems'] = {
        [tableName]: [
          {
            PutRequest: { Item: itemOf(verdict, verdictKeys.latest(repositoryName, imageDigest), 'Verdict') },
          },
          {
            PutRequest: {
              Item: itemOf(
                verdict,
                verdictKeys.history(repositoryName, imageDigest, evaluatedAt),
                'VerdictHistory',
              ),
            },
          },
        ],
      };
      for (let attempt = 1; ; attempt++) {
        const out: BatchWriteCommandOutput = await doc.send(
          new BatchWriteCommand({ RequestItems: requests }),
        );
        const left = out.UnprocessedItems?.[tableName]?.length ?? 0;
        if (left === 0) return;
        if (attempt >= BATCH_ATTEMPTS) {
          throw new Error(
            `DynamoDB left ${left} verdict item(s) of ${repositoryName}@${imageDigest} unprocessed`,
          );
        }
        requests = out.UnprocessedItems;
        await sleep(50 * 2 ** attempt);
      }
    },

    /** Every stored evaluation of one image, oldest first (for tools and tests). */
    async history(repositoryName: string, imageDigest: string): Promise<Verdict[]> {
      const items: Verdict[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :eval)',
            ExpressionAttributeValues: {
              ':pk': verdictKeys.partition(repositoryName, imageDigest),
              ':eval': verdictKeys.historyPrefix,
            },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) items.push(item.verdict as Verdict);
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },
  } satisfies VerdictStore & Record<string, unknown>;
}
