import { readFileSync } from 'node:fs';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { imagePushedDetailSchema, imagePushedEventSchema } from '../../src/inventory/events.ts';
import { imageDigestSchema } from '../../src/shared/ecr/names.ts';
import { malformedPushEvents, pushEvent } from './malformed-push-events.ts';

const SAMPLES = new URL('../../events/aws/', import.meta.url);
const sampleEvent = (file: string) => JSON.parse(readFileSync(new URL(file, SAMPLES), 'utf8')) as unknown;

/** The problems as parse-event reports them: `path: message`, `(event)` for the event itself. */
const problemsOf = (error: z.ZodError | undefined) =>
  (error?.issues ?? []).map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);

describe('ECR push event shapes', () => {
  it('accepts the AWS sample push, whose digest is not 64 hex characters', () => {
    expect(imagePushedEventSchema.safeParse(sampleEvent('ecr-image-action-push.json')).success).toBe(true);
  });

  it.each([
    ['ecr-image-action-delete.json', 'detail.action-type'],
    ['ecr-image-action-archive.json', 'detail.action-type'],
    ['ecr-image-action-restore.json', 'detail.action-type'],
    ['ecr-image-scan-basic.json', 'detail-type'],
    ['ecr-replication-action-success.json', 'detail-type'],
    ['inspector2-scan-ecr.json', 'source'],
  ])('refuses the AWS sample %s, naming %s', (file, field) => {
    const result = imagePushedEventSchema.safeParse(sampleEvent(file));

    expect(result.success).toBe(false);
    expect(problemsOf(result.error)).toContainEqual(expect.stringMatching(new RegExp(`^${field}: `)));
  });

  it('accepts an untagged push without image-tag', () => {
    const event = pushEvent({ repositoryName: 'shop-dev', imageDigest: `sha256:${'a'.repeat(64)}` });

    expect(imagePushedEventSchema.parse(event).detail['image-tag']).toBeUndefined();
  });

  it.each([
    ['the longest tag', 'v'.repeat(128)],
    ['a tag starting with _', '_build'],
    ['a tag of every allowed character', 'Release_1.2.3-rc.1'],
  ])('accepts %s', (_name, imageTag) => {
    const event = pushEvent({
      repositoryName: 'shop-dev',
      imageDigest: `sha256:${'a'.repeat(64)}`,
      imageTag,
    });

    expect(imagePushedEventSchema.safeParse(event).success).toBe(true);
  });

  it.each([['us-gov-west-1'], ['cn-north-1'], ['us-isob-east-1'], ['ap-southeast-5'], ['il-central-1']])(
    'accepts an event from %s',
    (region) => {
      const event = pushEvent({ repositoryName: 'shop-dev', imageDigest: `sha256:${'a'.repeat(64)}` });

      expect(imagePushedEventSchema.safeParse({ ...event, region }).success).toBe(true);
    },
  );

  it.each([
    ['the shortest repository name', 'ab'],
    ['the longest repository name', 'a'.repeat(256)],
    ['a namespaced repository name', 'team/shop_api-dev.v2'],
  ])('accepts %s', (_name, repositoryName) => {
    const event = pushEvent({ repositoryName, imageDigest: `sha256:${'a'.repeat(64)}` });

    expect(imagePushedEventSchema.safeParse(event).success).toBe(true);
  });

  it.each([['latest'], ['sha256'], [''], ['sha256:'], ['SHA256:abc def'], [`sha256:${'a'.repeat(249)}`]])(
    'rejects %j as a digest',
    (digest) => {
      expect(imageDigestSchema.safeParse(digest).success).toBe(false);
    },
  );

  it('names the missing fields of a malformed detail', () => {
    const result = imagePushedDetailSchema.safeParse({ result: 'SUCCESS', 'action-type': 'PUSH' });

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['repository-name', 'image-digest']),
    );
  });
});

describe('the malformed push event corpus', () => {
  const genuine = pushEvent({
    repositoryName: 'shop-dev',
    imageDigest: `sha256:${'a'.repeat(64)}`,
    imageTag: 'v1.0.0',
  });
  const corpus = malformedPushEvents(genuine);

  it('starts from an event the schema accepts', () => {
    expect(imagePushedEventSchema.safeParse(genuine).success).toBe(true);
  });

  it('has no variant the schema accepts', () => {
    const accepted = corpus.filter(({ event }) => imagePushedEventSchema.safeParse(event).success);

    expect(corpus.length).toBeGreaterThan(70);
    expect(accepted.map((v) => v.name)).toEqual([]);
  });

  it.each(corpus.map((v) => [v.name, v.field, v.event] as const))(
    'refuses %s, naming %s',
    (_name, field, event) => {
      const problems = problemsOf(imagePushedEventSchema.safeParse(event).error);

      expect(problems).toContainEqual(
        expect.stringMatching(new RegExp(`^${field.replace(/[.()]/g, '\\$&')}: `)),
      );
      // A huge value is named, never echoed into the error (which reaches the logs and the onFailure record).
      expect(problems.join('; ').length).toBeLessThan(2000);
    },
  );
});

describe('ECR Image Action envelope', () => {
  const sample = sampleEvent('ecr-image-action-push.json') as Record<string, unknown>;
  const powertools = EventBridgeSchema.extend({ detail: imagePushedDetailSchema });
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
  ])('validates %s as the Powertools EventBridge schema did, where that schema checks it', (_name, event) => {
    const ours = imagePushedEventSchema.safeParse(event);
    const theirs = powertools.safeParse(event);

    expect(ours.success).toBe(theirs.success);
    expect(ours.data).toEqual(theirs.data);
    expect(ours.error?.issues.map((i) => [i.path.join('.'), i.code])).toEqual(
      theirs.error?.issues.map((i) => [i.path.join('.'), i.code]),
    );
  });
});
