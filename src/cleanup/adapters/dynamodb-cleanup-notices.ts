import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { IamPermissions } from '../../shared/iam.ts';
import { cleanupNoticeKeys, expiresAfter } from '../../shared/table.ts';
import type { CleanupNotice, CleanupNotices } from '../ports.ts';
import { batchWriteAll } from './dynamodb-batch.ts';

/** What {@link dynamoCleanupNotices} calls (deletes go through BatchWriteItem). */
export const dynamoCleanupNoticesPermissions: IamPermissions = [
  { actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'], resource: 'sentinel-table' },
];

/** Digests per chunk item: 3,000 × ~72 bytes stays well under DynamoDB's 400 KB item limit. */
const DIGESTS_PER_CHUNK = 3_000;
/** A notice outlives its deletion day by this much (a run that never came still leaves no litter). */
const KEEP_AFTER_DELETE_DAYS = 30;

const headerSchema = z.object({
  repositoryName: z.string(),
  runId: z.string(),
  noticedAt: z.string(),
  deleteOn: z.string(),
  bytes: z.number(),
  chunks: z.number().int().min(0),
});
const chunkSchema = z.object({ chunk: z.number().int(), digests: z.array(z.string()) });

/**
 * {@link CleanupNotices} on the single table (keys: `cleanupNoticeKeys`, src/shared/table.ts): a header and the
 * digests in chunks. A put writes the new items and deletes the chunks a longer previous notice left, so a
 * notice is always read whole or (between the two calls) with stale extra chunks the header does not count.
 */
export function dynamoCleanupNotices(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): CleanupNotices {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const items = async (repositoryName: string): Promise<Record<string, unknown>[]> => {
    const found: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': cleanupNoticeKeys.partition(repositoryName) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return found;
  };
  const headerKey = (repositoryName: string) => cleanupNoticeKeys.header(repositoryName).sk;

  return {
    async get(repositoryName) {
      const found = await items(repositoryName);
      const headerItem = found.find((i) => i.sk === headerKey(repositoryName));
      if (!headerItem) return undefined;
      const header = headerSchema.parse(headerItem);
      const chunks = found
        .filter((i) => i.sk !== headerKey(repositoryName))
        .map((i) => chunkSchema.parse(i))
        .filter((c) => c.chunk < header.chunks)
        .sort((a, b) => a.chunk - b.chunk);
      const { chunks: _count, ...notice } = header;
      return { ...notice, digests: chunks.flatMap((c) => c.digests) } satisfies CleanupNotice;
    },

    async put(notice) {
      const previous = await items(notice.repositoryName);
      const expires = expiresAfter(
        new Date(Date.parse(`${notice.deleteOn}T00:00:00Z`)),
        KEEP_AFTER_DELETE_DAYS,
      );
      const chunks: string[][] = [];
      for (let i = 0; i < notice.digests.length; i += DIGESTS_PER_CHUNK)
        chunks.push(notice.digests.slice(i, i + DIGESTS_PER_CHUNK));
      const { digests: _digests, ...header } = notice;
      const writes = [
        ...chunks.map((digests, chunk) => ({
          ...cleanupNoticeKeys.digests(notice.repositoryName, chunk),
          entity: 'cleanup-notice-digests',
          chunk,
          digests,
          ...expires,
        })),
        // The header last: a reader never sees it counting chunks not yet written.
        {
          ...cleanupNoticeKeys.header(notice.repositoryName),
          entity: 'cleanup-notice',
          ...header,
          chunks: chunks.length,
          ...expires,
        },
      ];
      await batchWriteAll(
        doc,
        tableName,
        writes.map((Item) => ({ PutRequest: { Item } })),
        { what: 'notice item(s)', sleep },
      );
      const written = new Set(writes.map((w) => w.sk));
      const stale = previous.filter((i) => !written.has(String(i.sk)));
      await batchWriteAll(
        doc,
        tableName,
        stale.map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } })),
        { what: 'stale notice item(s)', sleep },
      );
    },

    async clear(repositoryName) {
      const found = await items(repositoryName);
      // The header first: once it is gone the notice is gone, whatever chunks a failure leaves.
      found.sort(
        (a, b) => Number(b.sk === headerKey(repositoryName)) - Number(a.sk === headerKey(repositoryName)),
      );
      await batchWriteAll(
        doc,
        tableName,
        found.map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } })),
        { what: 'notice item(s)', sleep },
      );
    },
  };
}
