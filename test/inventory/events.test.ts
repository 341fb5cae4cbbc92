import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageActionDetailSchema } from '../../src/inventory/events.ts';
import { imageDigestSchema } from '../../src/shared/ecr/names.ts';

const SAMPLES = new URL('../../events/aws/', import.meta.url);

describe('ECR event shapes', () => {
  it.each(['ecr-image-action-push.json', 'ecr-image-action-delete.json'])(
    'accepts the detail of AWS sample %s, whose digest is not 64 hex characters',
    (file) => {
      const event = JSON.parse(readFileSync(new URL(file, SAMPLES), 'utf8')) as { detail: unknown };

      expect(imageActionDetailSchema.safeParse(event.detail).success).toBe(true);
    },
  );

  it('accepts an untagged push without image-tag', () => {
    const detail = {
      result: 'SUCCESS',
      'repository-name': 'shop-dev',
      'image-digest': `sha256:${'a'.repeat(64)}`,
      'action-type': 'PUSH',
    };

    expect(imageActionDetailSchema.parse(detail)['image-tag']).toBeUndefined();
  });

  it.each([['latest'], ['sha256'], [''], ['sha256:'], ['SHA256:abc def']])(
    'rejects %j as a digest',
    (digest) => {
      expect(imageDigestSchema.safeParse(digest).success).toBe(false);
    },
  );

  it('names the missing field of a malformed detail', () => {
    const result = imageActionDetailSchema.safeParse({ result: 'SUCCESS', 'action-type': 'PUSH' });

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['repository-name', 'image-digest']),
    );
  });
});
