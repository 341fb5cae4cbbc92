import { describe, expect, it } from 'vitest';
import { imageUseOf, parseEcrImageUri, usesOf } from '../../src/cleanup/domain/image-uri.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const here = { accountId: '123456789012', region: 'eu-west-1' };

describe('parsing an image reference', () => {
  it.each([
    [`${HOST}/team/app:v1`, { repositoryName: 'team/app', tag: 'v1' }],
    [`${HOST}/app`, { repositoryName: 'app', tag: 'latest' }],
    [`${HOST}/team/app@${DIGEST}`, { repositoryName: 'team/app', digest: DIGEST }],
    [`${HOST}/team/app:v1@${DIGEST}`, { repositoryName: 'team/app', digest: DIGEST }],
    [`123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1`, { region: 'us-gov-west-1', tag: '1' }],
    [
      `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1`,
      { region: 'cn-north-1', repositoryName: 'app' },
    ],
    [`123456789012.dkr-ecr.eu-west-1.on.aws/app:1`, { region: 'eu-west-1', repositoryName: 'app' }],
  ])('reads %s', (uri, expected) => {
    expect(parseEcrImageUri(uri)).toMatchObject({ registryId: '123456789012', ...expected });
  });

  it('names a tag or a digest, never both (the digest wins, as the registry resolves it)', () => {
    expect(parseEcrImageUri(`${HOST}/app:v1@${DIGEST}`)).toEqual({
      registryId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'app',
      digest: DIGEST,
    });
  });

  it.each([
    'nginx:latest',
    'docker.io/library/nginx:1.25',
    'public.ecr.aws/lambda/nodejs:20',
    `${HOST}/`,
    `${HOST}/App:v1`,
    `${HOST}/app:`,
    `${HOST}/app@sha256`,
    `${HOST}/app@sha256@sha256:${'b'.repeat(64)}`,
    '12345.dkr.ecr.eu-west-1.amazonaws.com/app:v1',
    '',
  ])('is not an ECR private image: %s', (uri) => {
    expect(parseEcrImageUri(uri)).toBeUndefined();
  });
});

describe('the use an image reference makes', () => {
  it('has no registryId for an image of the cleaned account', () => {
    expect(imageUseOf(`${HOST}/app:v1`, here, 'runs')).toEqual({
      repositoryName: 'app',
      tag: 'v1',
      reason: 'runs',
    });
  });

  it("keeps another account's registryId in the cleaned Region", () => {
    expect(imageUseOf(`210987654321.dkr.ecr.eu-west-1.amazonaws.com/app@${DIGEST}`, here, 'runs')).toEqual({
      repositoryName: 'app',
      registryId: '210987654321',
      digest: DIGEST,
      reason: 'runs',
    });
  });

  it('is none for an image of another Region or another registry', () => {
    expect(imageUseOf('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1', here, 'runs')).toBeUndefined();
    expect(imageUseOf('nginx:latest', here, 'runs')).toBeUndefined();
  });
});

describe('the uses reported', () => {
  const a = { repositoryName: 'a', digest: DIGEST, reason: 'one' };
  const b = { repositoryName: 'b', tag: 'v1', reason: 'two' };

  it('keeps only the repositories asked about, each use once', () => {
    expect(usesOf([a, b, { ...a }], ['a'])).toEqual([a]);
  });

  it('keeps every repository when none is named', () => {
    expect(usesOf([a, b], [])).toEqual([a, b]);
  });
});
