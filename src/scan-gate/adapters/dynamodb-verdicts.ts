import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IamPermissions } from '../../shared/iam.ts';
import { verdictKeys } from '../../shared/table.ts';
import { evaluationId, type Verdict } from '../domain/verdict.ts';
import type { AlertClaim, AlertClaims, AlertKey, VerdictStore } from '../ports.ts';

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
 * What {@link dynamoVerdicts} calls as a {@link VerdictStore} and {@link AlertClaims}: GetItem (`latest`),
 * BatchWriteItem (`save`), UpdateItem (`claim`, `published`, `release`). `history`, not part of the ports,
 * also calls dynamodb:Query: only tests and tools call it, and no function is granted it.
 */
export const dynamoVerdictsPermissions: IamPermissions = [
  {
    actions: ['dynamodb:GetItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'],
    resource: 'sentinel-table',
  },
];

/**
 * {@link VerdictStore} and {@link AlertClaims} on the single DynamoDB table. `save` writes the latest and a
 * history item in one BatchWriteItem: one call, one write unit per item. Who alerts is serialised by the alert
 * claim's conditional UpdateItem instead of a transaction around the save: that costs a write only when there
 * is something to alert, where a TransactWriteItems would double the cost of every event.
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
                verdictKeys.history(
                  repositoryName,
                  imageDigest,
                  verdict.scanCompletedAt ?? evaluatedAt,
                  evaluationId(verdict),
                ),
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

    /**
     * One UpdateItem whose condition is the decision: absent, or unpublished with its lease over (given up
     * claims have a lease of 0). A lost race is ConditionalCheckFailed, the expected answer for all but one.
     * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
     */
    async claim(key, request): Promise<AlertClaim | undefined> {
      const owner = randomUUID();
      const now = request.now.getTime();
      const takeOver = 'published = :false AND leaseUntil < :now';
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: claimKey(key),
            UpdateExpression:
              'SET entity = :entity, #owner = :owner, leaseUntil = :lease, published = :false, ' +
              'kind = if_not_exists(kind, :kind), claimedAt = :claimedAt',
            ConditionExpression: request.takeOverOnly
              ? `attribute_exists(pk) AND ${takeOver}`
              : `attribute_not_exists(pk) OR (${takeOver})`,
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':entity': 'AlertClaim',
              ':owner': owner,
              ':lease': now + request.leaseMs,
              ':now': now,
              ':false': false,
              ':kind': request.kind,
              ':claimedAt': request.now.toISOString(),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { key, owner, kind: String(out.Attributes?.kind ?? request.kind) };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    /** Unconditional: the alert went out, whoever else may have taken the claim over meanwhile. */
    async published(claim, messageId): Promise<void> {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: claimKey(claim.key),
          UpdateExpression: 'SET published = :true, messageId = :messageId',
          ExpressionAttributeValues: { ':true': true, ':messageId': messageId },
        }),
      );
    },

    /** Only our own, unpublished claim; someone else's take-over is left alone. */
    async release(claim): Promise<void> {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: claimKey(claim.key),
            UpdateExpression: 'SET leaseUntil = :zero',
            ConditionExpression: '#owner = :owner AND published = :false',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':zero': 0, ':owner': claim.owner, ':false': false },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    /** Every stored evaluation of one image, oldest scan first (for tools and tests). */
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
  } satisfies VerdictStore & AlertClaims & Record<string, unknown>;
}

function claimKey(key: AlertKey) {
  return verdictKeys.alertClaim(key.repositoryName, key.imageDigest, key.evaluationId, key.what);
}
