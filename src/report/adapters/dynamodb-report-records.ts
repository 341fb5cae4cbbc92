/**
 * The table reads the report needs that no capability's adapter offers: every stored verdict evaluation (the
 * scan gate reads verdicts one image at a time) and the cleanup runs of a period (its listing in gsi1). Keys and
 * prefixes come from src/shared/table.ts; items are parsed with the report's schemas of them (domain/sources.ts).
 */
import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { IamPermissions } from '../../shared/iam.ts';
import { cleanupKeys, TABLE_ENTITIES, TABLE_INDEX, verdictKeys } from '../../shared/table.ts';
import {
  type CleanupRunTotals,
  cleanupRunTotalsSchema,
  type StoredEvaluation,
  storedEvaluationSchema,
} from '../domain/sources.ts';
import type { CleanupRunReader, EvaluationReader } from '../ports.ts';

/** What {@link dynamoReportRecords} calls: one paginated Scan (verdicts), a Query of the index (runs). */
export const dynamoReportRecordsPermissions: IamPermissions = [
  { actions: ['dynamodb:Scan'], resource: 'sentinel-table' },
  { actions: ['dynamodb:Query'], resource: 'sentinel-table-index' },
];

/**
 * {@link EvaluationReader} and {@link CleanupRunReader} on the single table.
 *
 * Verdicts have a partition per image and no listing (table.ts), so every evaluation is found with one Scan
 * filtered to verdict history items: one pass over the table in 1 MB pages, where reading image by image would
 * need a listing of every image ever judged (deleted ones included) and a Query each. Only the `verdict`
 * attribute travels. The report runs on demand, so a Scan's cost (the whole table read once) is paid rarely.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html
 */
export function dynamoReportRecords(
  doc: DynamoDBDocumentClient,
  tableName: string,
): EvaluationReader & CleanupRunReader {
  return {
    async all(): Promise<StoredEvaluation[]> {
      const found: StoredEvaluation[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: 'begins_with(pk, :verdict) AND begins_with(sk, :history)',
            ProjectionExpression: 'verdict',
            ExpressionAttributeValues: {
              ':verdict': TABLE_ENTITIES.verdict.pkPrefix,
              ':history': verdictKeys.historyPrefix,
            },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) found.push(storedEvaluationSchema.parse(item.verdict));
        start = out.LastEvaluatedKey;
      } while (start);
      return found;
    },

    /** The run listing's sort key begins with `startedAt`, so the period is a key condition, newest first. */
    async since(startedAt: Date): Promise<CleanupRunTotals[]> {
      const found: CleanupRunTotals[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: TABLE_INDEX.name,
            KeyConditionExpression: '#pk = :pk AND #sk >= :since',
            ExpressionAttributeNames: { '#pk': TABLE_INDEX.pk, '#sk': TABLE_INDEX.sk },
            ExpressionAttributeValues: { ':pk': cleanupKeys.listing, ':since': startedAt.toISOString() },
            ScanIndexForward: false,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) found.push(cleanupRunTotalsSchema.parse(item));
        start = out.LastEvaluatedKey;
      } while (start);
      return found;
    },
  };
}
