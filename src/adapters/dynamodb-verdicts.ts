import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Verdict } from '../domain/verdict.ts';
import { VerdictConflictError, type VerdictStore } from '../ports.ts';

/**
 * Verdicts in the single table, one partition per image (repository + digest):
 *
 * | pk                                  | sk                    | item                                   |
 * |-------------------------------------|-----------------------|----------------------------------------|
 * | `VERDICT#<repository>#<digest>`     | `LATEST`              | the latest evaluation (one GetItem)    |
 * | `VERDICT#<repository>#<digest>`     | `EVAL#<evaluatedAt>`  | every evaluation, oldest first         |
 *
 * A partition of its own (not the inventory's `REPO#<repository>` partition, whose `IMAGE#<digest>` items
 * are the image records) keeps a repository's inventory query free of verdicts and spreads a busy
 * repository's writes. Neither a repository name nor a digest can contain `#`, so keys are unambiguous.
 */
export const verdictKeys = {
  partition: (repositoryName: string, imageDigest: string) => `VERDICT#${repositoryName}#${imageDigest}`,
  latest: (repositoryName: string, imageDigest: string) => ({
    pk: verdictKeys.partition(repositoryName, imageDigest),
    sk: 'LATEST',
  }),
  history: (repositoryName: string, imageDigest: string, evaluatedAt: string) => ({
    pk: verdictKeys.partition(repositoryName, imageDigest),
    sk: `EVAL#${evaluatedAt}`,
  }),
};

/** The item of one evaluation: a few top-level attributes to read and filter on, and the whole verdict. */
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

/**
 * {@link VerdictStore} on the single DynamoDB table. `save` writes the latest and a history item in one
 * TransactWriteItems; the latest carries the invariant as a ConditionExpression (no latest yet, or the one
 * the caller decided on), so a concurrent evaluation of the same image surfaces as {@link VerdictConflictError}.
 * IAM: dynamodb:GetItem (latest), dynamodb:PutItem (both puts of the transaction), dynamodb:Query (history,
 * not used by the Lambda function).
 */
export function dynamoVerdicts(doc: DynamoDBDocumentClient, tableName: string) {
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

    /** @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html */
    async save(verdict: Verdict, expectedPrevious: string | undefined): Promise<void> {
      const { repositoryName, imageDigest, evaluatedAt } = verdict;
      const condition =
        expectedPrevious === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'evaluatedAt = :expected',
              ExpressionAttributeValues: { ':expected': expectedPrevious },
            };
      try {
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: itemOf(verdict, verdictKeys.latest(repositoryName, imageDigest), 'Verdict'),
                  ...condition,
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: itemOf(
                    verdict,
                    verdictKeys.history(repositoryName, imageDigest, evaluatedAt),
                    'VerdictHistory',
                  ),
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
        ) {
          throw new VerdictConflictError(
            `a newer verdict for ${repositoryName}@${imageDigest} was stored concurrently`,
            { cause: error },
          );
        }
        throw error;
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
              ':eval': 'EVAL#',
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
