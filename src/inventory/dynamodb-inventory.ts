import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IamPermissions } from '../shared/iam.ts';
import { imageKey } from '../shared/table.ts';
import type { InventoryImage, InventoryStore } from './ports.ts';

/** What {@link dynamoInventory} calls. */
export const dynamoInventoryPermissions: IamPermissions = [
  { actions: ['dynamodb:UpdateItem'], resource: 'sentinel-table' },
];

/**
 * {@link InventoryStore} on the single DynamoDB table. One UpdateItem per record: tags are a string set that
 * only grows (ADD), first-seen fields are written once (if_not_exists), so replays and duplicates converge.
 */
export function dynamoInventory(doc: DynamoDBDocumentClient, tableName: string): InventoryStore {
  return {
    async recordImage(image: InventoryImage) {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const sets: string[] = [];
      const set = (attribute: string, value: unknown, onlyIfNew = false) => {
        if (value === undefined) return;
        names[`#${attribute}`] = attribute;
        values[`:${attribute}`] = value;
        sets.push(
          onlyIfNew
            ? `#${attribute} = if_not_exists(#${attribute}, :${attribute})`
            : `#${attribute} = :${attribute}`,
        );
      };
      set('entity', 'Image');
      set('repositoryName', image.repositoryName);
      set('imageDigest', image.imageDigest);
      set('pushedAt', image.pushedAt?.toISOString());
      set('sizeInBytes', image.sizeInBytes);
      set('mediaType', image.mediaType);
      set('artifactMediaType', image.artifactMediaType);
      set('firstRecordedAt', image.recordedAt.toISOString(), true);
      set('updatedAt', image.recordedAt.toISOString());
      set('lastEventId', image.sourceEventId);
      let update = `SET ${sets.join(', ')}`;
      if (image.tags.length > 0) {
        names['#tags'] = 'tags';
        values[':tags'] = new Set(image.tags);
        update += ' ADD #tags :tags';
      }
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: imageKey(image.repositoryName, image.imageDigest),
          UpdateExpression: update,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },
  };
}
