import { readFileSync } from 'node:fs';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { describe, expect, it } from 'vitest';
import { imageActionDetailSchema, imageActionEventSchema } from '../../src/inventory/events.ts';
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

describe('ECR Image Action envelope', () => {
  const sample = JSON.parse(readFileSync(new URL('ecr-image-action-push.json', SAMPLES), 'utf8')) as Record<
    string,
    unknown
  >;
  const powertools = EventBridgeSchema.extend({ detail: imageActionDetailSchema });
  const without = (key: string) => Object.fromEntries(Object.entries(sample).filter(([k]) => k !== key));

  it.each([
    ['the AWS sample', sample],
    ['a replayed event', { ...sample, 'replay-name': 'replay-1' }],
    ['an event with a field EventBridge may add', { ...sample, 'ingestion-time': 1 }],
    ['an event without time', without('time')],
    ['a time that is not ISO 8601', { ...sample, time: '16/11/2019 01:54' }],
    ['resources that are not strings', { ...sample, resources: [1] }],
    ['an event without id', without('id')],
    ['an event without account', without('account')],
    ['a detail without digest', { ...sample, detail: { result: 'SUCCESS', 'repository-name': 'r' } }],
    ['something that is not an event', 'PUSH'],
  ])('validates %s exactly as the Powertools EventBridge schema did', (_name, event) => {
    const ours = imageActionEventSchema.safeParse(event);
    const theirs = powertools.safeParse(event);

    expect(ours.success).toBe(theirs.success);
    expect(ours.data).toEqual(theirs.data);
    expect(ours.error?.issues.map((i) => [i.path.join('.'), i.code])).toEqual(
      theirs.error?.issues.map((i) => [i.path.join('.'), i.code]),
    );
  });
});
