/**
 * The malformed-event corpus for on-image-pushed: variants of a genuine `ECR Image Action` PUSH event, each
 * wrong in one way (wrong kind of event, missing, oversized, invalid or mistyped fields, extra nesting, huge
 * strings), with the field its rejection must name. The schema test and the reliability test against the sandbox
 * both run it: every variant must be refused, naming that field.
 */

import { eventVariants, HUGE, type MalformedEvent } from '../support/corpus.ts';

/** A genuine push event as ECR puts it on the bus (https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html). */
export function pushEvent(image: {
  id?: string;
  repositoryName: string;
  imageDigest: string;
  imageTag?: string;
}): Record<string, unknown> {
  const detail: Record<string, unknown> = {
    result: 'SUCCESS',
    'repository-name': image.repositoryName,
    'image-digest': image.imageDigest,
    'action-type': 'PUSH',
  };
  if (image.imageTag !== undefined) detail['image-tag'] = image.imageTag;
  return {
    version: '0',
    id: image.id ?? '13cde686-328b-6117-af20-0e5566167482',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2026-11-27T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

export type { MalformedEvent };

/** Every variant of `genuine` (a {@link pushEvent}) the handler must refuse. */
export function malformedPushEvents(genuine: Record<string, unknown>): MalformedEvent[] {
  const detail = genuine.detail as Record<string, unknown>;
  const { withField, withoutField, withDetail, withoutDetail } = eventVariants(genuine);

  const envelope: Array<[string, unknown, string]> = [
    ['detail-type of a scan event', withField('detail-type', 'ECR Image Scan'), 'detail-type'],
    ['detail-type in lower case', withField('detail-type', 'ecr image action'), 'detail-type'],
    ['detail-type of a replication', withField('detail-type', 'ECR Replication Action'), 'detail-type'],
    ['no detail-type', withoutField('detail-type'), 'detail-type'],
    ['a numeric detail-type', withField('detail-type', 42), 'detail-type'],
    ['source of Inspector', withField('source', 'aws.inspector2'), 'source'],
    ['a custom source', withField('source', 'my.app'), 'source'],
    ['source with a trailing space', withField('source', 'aws.ecr '), 'source'],
    ['no source', withoutField('source'), 'source'],
    ['no id', withoutField('id'), 'id'],
    ['an empty id', withField('id', ''), 'id'],
    ['a 300 KB id', withField('id', HUGE), 'id'],
    ['a numeric id', withField('id', 7), 'id'],
    ['an account that is not 12 digits', withField('account', 'attacker'), 'account'],
    ['a 300 KB account', withField('account', HUGE), 'account'],
    ['a region that is no Region', withField('region', 'nowhere'), 'region'],
    ['a time that is not ISO 8601', withField('time', 'yesterday'), 'time'],
    ['a 300 KB version', withField('version', HUGE), 'version'],
    ['resources that are a string', withField('resources', 'arn:aws:ecr:x'), 'resources'],
    ['a 300 KB replay-name', withField('replay-name', HUGE), 'replay-name'],
    ['no detail', withoutField('detail'), 'detail'],
    ['detail as a JSON string', withField('detail', JSON.stringify(detail)), 'detail'],
    ['detail as an array', withField('detail', [detail]), 'detail'],
    ['detail null', withField('detail', null), 'detail'],
    ['detail nested in detail', withField('detail', { detail }), 'detail.repository-name'],
    ['an empty detail', withField('detail', {}), 'detail.action-type'],
  ];

  const inDetail: Array<[string, unknown, string]> = [
    ['action-type DELETE', withDetail('action-type', 'DELETE'), 'detail.action-type'],
    [
      'action-type UPDATE_STORAGE_CLASS',
      withDetail('action-type', 'UPDATE_STORAGE_CLASS'),
      'detail.action-type',
    ],
    ['action-type in lower case', withDetail('action-type', 'push'), 'detail.action-type'],
    ['no action-type', withoutDetail('action-type'), 'detail.action-type'],
    ['a numeric action-type', withDetail('action-type', 1), 'detail.action-type'],
    ['result FAILURE', withDetail('result', 'FAILURE'), 'detail.result'],
    ['result FAILED', withDetail('result', 'FAILED'), 'detail.result'],
    ['result in lower case', withDetail('result', 'success'), 'detail.result'],
    ['no result', withoutDetail('result'), 'detail.result'],
    ['result true', withDetail('result', true), 'detail.result'],
    ['no repository-name', withoutDetail('repository-name'), 'detail.repository-name'],
    ['an empty repository-name', withDetail('repository-name', ''), 'detail.repository-name'],
    ['a one-character repository-name', withDetail('repository-name', 'a'), 'detail.repository-name'],
    [
      'a 257-character repository-name',
      withDetail('repository-name', 'a'.repeat(257)),
      'detail.repository-name',
    ],
    ['a 300 KB repository-name', withDetail('repository-name', HUGE), 'detail.repository-name'],
    ['a repository-name in upper case', withDetail('repository-name', 'Shop-Dev'), 'detail.repository-name'],
    ['a repository-name with a space', withDetail('repository-name', 'shop dev'), 'detail.repository-name'],
    ['a repository-name climbing up', withDetail('repository-name', '../etc'), 'detail.repository-name'],
    ['a repository-name ending in /', withDetail('repository-name', 'shop/'), 'detail.repository-name'],
    [
      'a repository ARN as repository-name',
      withDetail('repository-name', 'arn:aws:ecr:us-east-1:123456789012:repository/shop'),
      'detail.repository-name',
    ],
    ['a numeric repository-name', withDetail('repository-name', 123), 'detail.repository-name'],
    ['repository-name as a list', withDetail('repository-name', ['shop-dev']), 'detail.repository-name'],
    [
      'repository-name as an object',
      withDetail('repository-name', { name: 'shop-dev' }),
      'detail.repository-name',
    ],
    ['no image-digest', withoutDetail('image-digest'), 'detail.image-digest'],
    ['an empty image-digest', withDetail('image-digest', ''), 'detail.image-digest'],
    ['a tag as image-digest', withDetail('image-digest', 'latest'), 'detail.image-digest'],
    ['an image-digest without hex', withDetail('image-digest', 'sha256:'), 'detail.image-digest'],
    ['an image-digest with a space', withDetail('image-digest', 'sha256:abc def'), 'detail.image-digest'],
    ['a 300 KB image-digest', withDetail('image-digest', `sha256:${HUGE}`), 'detail.image-digest'],
    ['image-digest null', withDetail('image-digest', null), 'detail.image-digest'],
    ['a numeric image-digest', withDetail('image-digest', 0), 'detail.image-digest'],
    ['an empty image-tag', withDetail('image-tag', ''), 'detail.image-tag'],
    ['a 300 KB image-tag', withDetail('image-tag', HUGE), 'detail.image-tag'],
    ['a 129-character image-tag', withDetail('image-tag', 'v'.repeat(129)), 'detail.image-tag'],
    ['an image-tag starting with -', withDetail('image-tag', '-v1'), 'detail.image-tag'],
    ['an image-tag starting with .', withDetail('image-tag', '.v1'), 'detail.image-tag'],
    ['an image-tag with a space', withDetail('image-tag', 'v 1'), 'detail.image-tag'],
    ['an image-tag with a colon', withDetail('image-tag', 'v1:latest'), 'detail.image-tag'],
    ['an image-tag with a slash', withDetail('image-tag', 'v1/latest'), 'detail.image-tag'],
    ['an image-tag with non-ASCII letters', withDetail('image-tag', 'vérsion'), 'detail.image-tag'],
    ['an image-tag of markup', withDetail('image-tag', '<script>alert(1)</script>'), 'detail.image-tag'],
    ['an image-tag with a newline', withDetail('image-tag', 'v1\nlatest'), 'detail.image-tag'],
    ['a numeric image-tag', withDetail('image-tag', 1), 'detail.image-tag'],
    ['image-tag as a list', withDetail('image-tag', ['v1', 'latest']), 'detail.image-tag'],
    ['image-tag null', withDetail('image-tag', null), 'detail.image-tag'],
    ['image-tag as an object', withDetail('image-tag', { tag: 'v1' }), 'detail.image-tag'],
  ];

  const notAnEvent: Array<[string, unknown, string]> = [
    ['the event in a list', [genuine], '(event)'],
    ['a string', 'PUSH', '(event)'],
    ['a number', 42, '(event)'],
    ['null', null, '(event)'],
  ];

  return [...envelope, ...inDetail, ...notAnEvent].map(([name, event, field]) => ({ name, event, field }));
}
