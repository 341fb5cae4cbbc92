/**
 * The malformed-event corpus for on-scan-completed: variants of a genuine `ECR Image Scan` (basic) or
 * `Inspector2 Scan` (enhanced) event, each wrong in one way (wrong kind of event, missing, oversized, invalid or
 * mistyped fields, a repository ARN that is no ARN, huge strings), with the field its rejection must name. The
 * schema test and the reliability test against the sandbox both run it: every variant must be refused, naming
 * that field.
 */

import { eventVariants, HUGE, type MalformedEvent } from '../support/corpus.ts';

/**
 * A genuine basic scan event as ECR puts it on the bus.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export function basicScanEvent(image: {
  id?: string;
  repositoryName: string;
  imageDigest: string;
  imageTags?: string[];
  status?: string;
  account?: string;
  region?: string;
}): Record<string, unknown> {
  const account = image.account ?? '123456789012';
  const region = image.region ?? 'us-east-1';
  return {
    version: '0',
    id: image.id ?? '85fc3613-e913-7fc4-a80c-a3753e4aa9ae',
    'detail-type': 'ECR Image Scan',
    source: 'aws.ecr',
    account,
    time: '2026-11-27T10:00:00Z',
    region,
    resources: [`arn:aws:ecr:${region}:${account}:repository/${image.repositoryName}`],
    detail: {
      'scan-status': image.status ?? 'COMPLETE',
      'repository-name': image.repositoryName,
      'finding-severity-counts': { CRITICAL: 1 },
      'image-digest': image.imageDigest,
      'image-tags': image.imageTags ?? ['v1'],
    },
  };
}

/**
 * A genuine enhanced scan event as Inspector puts it on the bus.
 * https://docs.aws.amazon.com/inspector/latest/user/eventbridge-integration.html
 */
export function enhancedScanEvent(image: {
  id?: string;
  repositoryName: string;
  imageDigest: string;
  imageTags?: string[];
  account?: string;
  region?: string;
}): Record<string, unknown> {
  const account = image.account ?? '123456789012';
  const region = image.region ?? 'us-east-1';
  const arn = `arn:aws:ecr:${region}:${account}:repository/${image.repositoryName}`;
  return {
    version: '0',
    id: image.id ?? 'fdaa751a-984c-a709-44f9-9a9da9cd3606',
    'detail-type': 'Inspector2 Scan',
    source: 'aws.inspector2',
    account,
    time: '2026-11-27T10:00:00Z',
    region,
    resources: [arn],
    detail: {
      'scan-status': 'INITIAL_SCAN_COMPLETE',
      'repository-name': arn,
      'finding-severity-counts': { CRITICAL: 1, HIGH: 0, MEDIUM: 0, TOTAL: 1 },
      'image-digest': image.imageDigest,
      'image-tags': image.imageTags ?? ['v1'],
      version: '1.0',
    },
  };
}

export type { MalformedEvent };

type Variant = [string, unknown, string];

/** Variants of either event, in what both share (envelope, digest, tags, status, counts). */
function sharedVariants(genuine: Record<string, unknown>, label: string): Variant[] {
  const detail = genuine.detail as Record<string, unknown>;
  const { withField, withoutField, withDetail, withoutDetail } = eventVariants(genuine);
  const variants: Variant[] = [
    ['detail-type of a push', withField('detail-type', 'ECR Image Action'), 'detail-type'],
    [
      'detail-type in lower case',
      withField('detail-type', String(genuine['detail-type']).toLowerCase()),
      'detail-type',
    ],
    ['detail-type of an Inspector2 Finding', withField('detail-type', 'Inspector2 Finding'), 'detail-type'],
    ['no detail-type', withoutField('detail-type'), 'detail-type'],
    ['a numeric detail-type', withField('detail-type', 42), 'detail-type'],
    ['a custom source', withField('source', 'my.app'), 'source'],
    ['source with a trailing space', withField('source', `${genuine.source} `), 'source'],
    ['no source', withoutField('source'), 'source'],
    ['an empty id', withField('id', ''), 'id'],
    ['a 300 KB id', withField('id', HUGE), 'id'],
    ['a numeric id', withField('id', 7), 'id'],
    ['an account that is not 12 digits', withField('account', 'attacker'), 'account'],
    ['no account', withoutField('account'), 'account'],
    ['a 300 KB account', withField('account', HUGE), 'account'],
    ['a region that is no Region', withField('region', 'nowhere'), 'region'],
    ['a 300 KB region', withField('region', HUGE), 'region'],
    ['a time that is not ISO 8601', withField('time', 'yesterday'), 'time'],
    ['a 300 KB version', withField('version', HUGE), 'version'],
    ['resources that are a string', withField('resources', 'arn:aws:ecr:x'), 'resources'],
    ['a 300 KB resource', withField('resources', [HUGE]), 'resources.0'],
    ['a 300 KB replay-name', withField('replay-name', HUGE), 'replay-name'],
    ['no detail', withoutField('detail'), 'detail'],
    ['detail as a JSON string', withField('detail', JSON.stringify(detail)), 'detail'],
    ['detail as an array', withField('detail', [detail]), 'detail'],
    ['detail null', withField('detail', null), 'detail'],
    ['detail nested in detail', withField('detail', { detail }), 'detail.scan-status'],
    ['no scan-status', withoutDetail('scan-status'), 'detail.scan-status'],
    ['an empty scan-status', withDetail('scan-status', ''), 'detail.scan-status'],
    ['a 300 KB scan-status', withDetail('scan-status', HUGE), 'detail.scan-status'],
    ['a scan-status of markup', withDetail('scan-status', '<b>COMPLETE</b>'), 'detail.scan-status'],
    ['a numeric scan-status', withDetail('scan-status', 1), 'detail.scan-status'],
    ['no image-digest', withoutDetail('image-digest'), 'detail.image-digest'],
    ['an empty image-digest', withDetail('image-digest', ''), 'detail.image-digest'],
    ['a tag as image-digest', withDetail('image-digest', 'latest'), 'detail.image-digest'],
    ['an image-digest without hex', withDetail('image-digest', 'sha256:'), 'detail.image-digest'],
    ['an image-digest with a space', withDetail('image-digest', 'sha256:abc def'), 'detail.image-digest'],
    ['a 300 KB image-digest', withDetail('image-digest', `sha256:${HUGE}`), 'detail.image-digest'],
    ['image-digest null', withDetail('image-digest', null), 'detail.image-digest'],
    ['image-tags as a string', withDetail('image-tags', 'v1'), 'detail.image-tags'],
    ['an empty image tag', withDetail('image-tags', ['']), 'detail.image-tags.0'],
    ['a 300 KB image tag', withDetail('image-tags', [HUGE]), 'detail.image-tags.0'],
    ['a 129-character image tag', withDetail('image-tags', ['v'.repeat(129)]), 'detail.image-tags.0'],
    ['an image tag starting with -', withDetail('image-tags', ['v1', '-v1']), 'detail.image-tags.1'],
    ['an image tag with a space', withDetail('image-tags', ['v 1']), 'detail.image-tags.0'],
    [
      'an image tag of markup',
      withDetail('image-tags', ['<script>alert(1)</script>']),
      'detail.image-tags.0',
    ],
    ['an image tag with a newline', withDetail('image-tags', ['v1\nlatest']), 'detail.image-tags.0'],
    ['a numeric image tag', withDetail('image-tags', [1]), 'detail.image-tags.0'],
    [
      'image tags beyond the quota',
      withDetail(
        'image-tags',
        Array.from({ length: 1001 }, (_, n) => `v${n}`),
      ),
      'detail.image-tags',
    ],
    [
      'negative counts',
      withDetail('finding-severity-counts', { HIGH: -1 }),
      'detail.finding-severity-counts.HIGH',
    ],
    [
      'fractional counts',
      withDetail('finding-severity-counts', { HIGH: 1.5 }),
      'detail.finding-severity-counts.HIGH',
    ],
    [
      'a count as a string',
      withDetail('finding-severity-counts', { HIGH: '3' }),
      'detail.finding-severity-counts.HIGH',
    ],
    [
      'a 300 KB severity',
      withDetail('finding-severity-counts', { [HUGE]: 1 }),
      'detail.finding-severity-counts',
    ],
    [
      'a severity of markup',
      withDetail('finding-severity-counts', { '<img src=x>': 1 }),
      'detail.finding-severity-counts',
    ],
    [
      '1000 severities',
      withDetail(
        'finding-severity-counts',
        Object.fromEntries(
          Array.from({ length: 1000 }, (_, n) => [
            // Letters only (n in binary, A for 0 and B for 1), so only their number is wrong.
            `S${n.toString(2).replaceAll('0', 'A').replaceAll('1', 'B')}`,
            1,
          ]),
        ),
      ),
      'detail.finding-severity-counts',
    ],
    ['counts as a list', withDetail('finding-severity-counts', [1, 2]), 'detail.finding-severity-counts'],
  ];
  return variants.map(([name, event, field]) => [`${label}: ${name}`, event, field]);
}

/** Every variant of `basic` (a {@link basicScanEvent}) and `enhanced` ({@link enhancedScanEvent}) to refuse. */
export function malformedScanEvents(
  basic: Record<string, unknown>,
  enhanced: Record<string, unknown>,
): MalformedEvent[] {
  const basicDetail = basic.detail as Record<string, unknown>;
  const enhancedDetail = enhanced.detail as Record<string, unknown>;
  const basicName = (value: unknown) => ({ ...basic, detail: { ...basicDetail, 'repository-name': value } });
  const enhancedName = (value: unknown) => ({
    ...enhanced,
    detail: { ...enhancedDetail, 'repository-name': value },
  });
  const name = String(basicDetail['repository-name']);

  const basicNames: Variant[] = [
    ['no repository-name', basicName(undefined), 'detail.repository-name'],
    ['an empty repository-name', basicName(''), 'detail.repository-name'],
    ['a one-character repository-name', basicName('a'), 'detail.repository-name'],
    ['a 257-character repository-name', basicName('a'.repeat(257)), 'detail.repository-name'],
    ['a 300 KB repository-name', basicName(HUGE), 'detail.repository-name'],
    ['a repository-name in upper case', basicName('Shop-Dev'), 'detail.repository-name'],
    ['a repository-name with a space', basicName('shop dev'), 'detail.repository-name'],
    ['a repository-name climbing up', basicName('../etc'), 'detail.repository-name'],
    ['a repository-name ending in /', basicName('shop/'), 'detail.repository-name'],
    ['a repository-name of markup', basicName('<script>alert(1)</script>'), 'detail.repository-name'],
    [
      'a repository ARN as repository-name',
      basicName(`arn:aws:ecr:us-east-1:123456789012:repository/${name}`),
      'detail.repository-name',
    ],
    ['a numeric repository-name', basicName(123), 'detail.repository-name'],
    ['repository-name as a list', basicName([name]), 'detail.repository-name'],
    ['source of Inspector on a basic scan', { ...basic, source: 'aws.inspector2' }, 'detail-type'],
  ].map(([n, e, f]) => [`basic: ${n}`, e, f] as Variant);

  const enhancedArns: Variant[] = [
    ['a bare name for the repository ARN', enhancedName(name), 'detail.repository-name'],
    ['no repository-name', enhancedName(undefined), 'detail.repository-name'],
    ['an empty repository-name', enhancedName(''), 'detail.repository-name'],
    ['an ARN of another service', enhancedName(`arn:aws:s3:::${name}`), 'detail.repository-name'],
    [
      'an ARN without a repository',
      enhancedName('arn:aws:ecr:us-east-1:123456789012:repository/'),
      'detail.repository-name',
    ],
    [
      'an ARN with an 11-digit account',
      enhancedName(`arn:aws:ecr:us-east-1:12345678901:repository/${name}`),
      'detail.repository-name',
    ],
    [
      'an ARN with a word for account',
      enhancedName(`arn:aws:ecr:us-east-1:attacker:repository/${name}`),
      'detail.repository-name',
    ],
    [
      'an ARN with no Region',
      enhancedName(`arn:aws:ecr::123456789012:repository/${name}`),
      'detail.repository-name',
    ],
    [
      'an ARN whose Region is no Region',
      enhancedName(`arn:aws:ecr:nowhere:123456789012:repository/${name}`),
      'detail.repository-name',
    ],
    [
      'an ARN of an upper-case name',
      enhancedName('arn:aws:ecr:us-east-1:123456789012:repository/Shop'),
      'detail.repository-name',
    ],
    [
      'an ARN of a name climbing up',
      enhancedName('arn:aws:ecr:us-east-1:123456789012:repository/../etc'),
      'detail.repository-name',
    ],
    [
      'an ARN of a name with a space',
      enhancedName('arn:aws:ecr:us-east-1:123456789012:repository/shop dev'),
      'detail.repository-name',
    ],
    [
      'an ARN of an image (name/digest)',
      enhancedName(`arn:aws:ecr:us-east-1:123456789012:repository/${name}/sha256:abc`),
      'detail.repository-name',
    ],
    [
      'an ARN of a 257-character name',
      enhancedName(`arn:aws:ecr:us-east-1:123456789012:repository/${'a'.repeat(257)}`),
      'detail.repository-name',
    ],
    [
      'a 300 KB ARN',
      enhancedName(`arn:aws:ecr:us-east-1:123456789012:repository/${HUGE}`),
      'detail.repository-name',
    ],
    [
      'an ARN with a newline',
      enhancedName(`arn:aws:ecr:us-east-1:123456789012:repository/${name}\n`),
      'detail.repository-name',
    ],
    ['a numeric repository-name', enhancedName(42), 'detail.repository-name'],
    ['a 300 KB version', { ...enhanced, detail: { ...enhancedDetail, version: HUGE } }, 'detail.version'],
    ['source of ECR on an Inspector2 scan', { ...enhanced, source: 'aws.ecr' }, 'detail-type'],
  ].map(([n, e, f]) => [`enhanced: ${n}`, e, f] as Variant);

  const notAnEvent: Variant[] = [
    ['the event in a list', [basic], '(event)'],
    ['a string', 'COMPLETE', '(event)'],
    ['a number', 42, '(event)'],
    ['null', null, '(event)'],
  ];

  return [
    ...sharedVariants(basic, 'basic'),
    ...basicNames,
    ...sharedVariants(enhanced, 'enhanced'),
    ...enhancedArns,
    ...notAnEvent,
  ].map(([name, event, field]) => ({ name, event, field }));
}
