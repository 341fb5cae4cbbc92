import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { IamPermissions } from '../../shared/iam.ts';
import { complianceKeys, TABLE_INDEX } from '../../shared/table.ts';
import type { ComplianceRecords, RecordedStatus } from '../check-ports.ts';

/**
 * What {@link dynamoComplianceRecords} calls: UpdateItem (statuses, alert states), PutItem (remediations, alert
 * claims), Query (a trigger's unsent alerts).
 */
export const dynamoComplianceRecordsPermissions: IamPermissions = [
  { actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query'], resource: 'sentinel-table' },
];

/** How long a taken alert is left to its taker before another attempt may take it again. */
const ALERT_LEASE_MS = 60_000;

const previousSchema = z.object({ status: z.enum(['pass', 'drift']) }).partial();
const alertItemSchema = z.object({ sk: z.string(), document: z.string() });

/** Plain data without undefined members, whatever the client's marshall options. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

/**
 * {@link ComplianceRecords} on the single table (`complianceKeys`). Every invariant is a condition: a status
 * changes once (the write that finds it different), a remediation is written once per trigger (or upgraded from
 * failed to applied), an alert is taken by one invocation at a time.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
export function dynamoComplianceRecords(doc: DynamoDBDocumentClient, tableName: string): ComplianceRecords {
  const conditional = async (write: () => Promise<unknown>): Promise<boolean> => {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  return {
    async recordStatus(o) {
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: complianceKeys.status(o.subject, o.check),
            UpdateExpression:
              'SET #entity = :entity, #status = :status, #fingerprint = :fingerprint, #at = :at, ' +
              '#trigger = :trigger, #since = :at',
            ConditionExpression:
              'attribute_not_exists(pk) OR #status <> :status OR #fingerprint <> :fingerprint',
            ExpressionAttributeNames: {
              '#entity': 'entity',
              '#status': 'status',
              '#fingerprint': 'fingerprint',
              '#at': 'checkedAt',
              '#trigger': 'trigger',
              '#since': 'since',
            },
            ExpressionAttributeValues: {
              ':entity': 'compliance-status',
              ':status': o.status,
              ':fingerprint': o.fingerprint,
              ':at': o.at,
              ':trigger': plain(o.trigger),
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const previous = previousSchema.parse(out.Attributes ?? {}).status;
        return { changed: true, ...(previous ? { previous } : {}) };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException)
          return { changed: false, previous: o.status satisfies RecordedStatus };
        throw error;
      }
    },

    async recordRemediation(r) {
      const check = r.item === undefined ? r.controlId : `${r.controlId}#${r.item}`;
      const first = await conditional(() =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...complianceKeys.remediation(r.subject, r.trigger.id, check),
              [TABLE_INDEX.pk]: complianceKeys.remediationListing,
              [TABLE_INDEX.sk]: complianceKeys.remediationListingSort(r.at, r.subject, r.trigger.id, check),
              entity: 'compliance-remediation',
              ...plain(r),
              before: JSON.stringify(r.before ?? null),
              after: JSON.stringify(r.after ?? null),
            },
            // A retry that now succeeds replaces the failed record; nothing else is written twice.
            ConditionExpression: 'attribute_not_exists(pk) OR (#outcome = :failed AND :outcome = :applied)',
            ExpressionAttributeNames: { '#outcome': 'outcome' },
            ExpressionAttributeValues: { ':failed': 'failed', ':applied': 'applied', ':outcome': r.outcome },
          }),
        ),
      );
      return { first };
    },

    async claimAlert(subject, key, document) {
      await conditional(() =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...complianceKeys.alertClaim(subject, key),
              entity: 'compliance-alert',
              state: 'pending',
              document: JSON.stringify(document),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async takePendingAlerts(subject, triggerId, now) {
      const prefix = complianceKeys.alertClaim(subject, `${triggerId}#`);
      const out = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: '#state <> :sent',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pk': prefix.pk, ':prefix': prefix.sk, ':sent': 'sent' },
          ConsistentRead: true,
        }),
      );
      const taken: { key: string; document: unknown }[] = [];
      for (const raw of out.Items ?? []) {
        const item = alertItemSchema.parse(raw);
        const won = await conditional(() =>
          doc.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { pk: prefix.pk, sk: item.sk },
              UpdateExpression: 'SET #state = :taken, #until = :until',
              ConditionExpression: '#state = :pending OR (#state = :taken AND #until < :now)',
              ExpressionAttributeNames: { '#state': 'state', '#until': 'leaseUntil' },
              ExpressionAttributeValues: {
                ':taken': 'taken',
                ':pending': 'pending',
                ':now': now.toISOString(),
                ':until': new Date(now.getTime() + ALERT_LEASE_MS).toISOString(),
              },
            }),
          ),
        );
        if (won)
          taken.push({
            key: item.sk.slice(complianceKeys.alertClaim(subject, '').sk.length),
            document: JSON.parse(item.document),
          });
      }
      return taken;
    },

    async alertSent(subject, key) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: complianceKeys.alertClaim(subject, key),
          UpdateExpression: 'SET #state = :sent REMOVE #until',
          ExpressionAttributeNames: { '#state': 'state', '#until': 'leaseUntil' },
          ExpressionAttributeValues: { ':sent': 'sent' },
        }),
      );
    },

    async releaseAlert(subject, key) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: complianceKeys.alertClaim(subject, key),
          UpdateExpression: 'SET #state = :pending REMOVE #until',
          ConditionExpression: '#state = :taken',
          ExpressionAttributeNames: { '#state': 'state', '#until': 'leaseUntil' },
          ExpressionAttributeValues: { ':pending': 'pending', ':taken': 'taken' },
        }),
      );
    },
  };
}
