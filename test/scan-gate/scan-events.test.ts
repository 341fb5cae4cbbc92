import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isScanComplete } from '../../src/scan-gate/domain/scan-status.ts';
import {
  normaliseScanEvent,
  parseRepositoryArn,
  scanCompletedEventSchema,
} from '../../src/scan-gate/events.ts';

const sample = (name: string): unknown => JSON.parse(readFileSync(`events/aws/${name}`, 'utf8'));
const zeros = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0, UNDEFINED: 0 };

describe('scan-completed events', () => {
  it.each([
    [
      'the basic ECR Image Scan sample (missing severities are 0)',
      'ecr-image-scan-basic.json',
      {
        repositoryName: 'my-repository-name',
        imageDigest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
        imageTags: [],
        scanStatus: 'COMPLETE',
        source: 'basic',
        severityCounts: { ...zeros, CRITICAL: 10, MEDIUM: 9 },
        accountId: '123456789012',
        region: 'us-east-1',
      },
    ],
    [
      'the Inspector2 Scan sample (repository from its ARN, TOTAL dropped)',
      'inspector2-scan-ecr.json',
      {
        repositoryName: 'amazon/amazon-ecs-sample',
        imageDigest: 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE',
        imageTags: ['latest'],
        scanStatus: 'INITIAL_SCAN_COMPLETE',
        source: 'enhanced',
        severityCounts: { ...zeros, CRITICAL: 7, HIGH: 61, MEDIUM: 62 },
        accountId: '123456789012',
        region: 'us-east-2',
      },
    ],
    [
      'the Inspector guide sample (all zero)',
      'inspector2-scan-ecr-inspector-guide.json',
      {
        repositoryName: 'inspector2',
        imageDigest: 'sha256:965fbcae990b0467ed5657caceaec165018ef44a4d2d46c7cdea80a9dff0d1ea',
        imageTags: ['ubuntu22'],
        scanStatus: 'INITIAL_SCAN_COMPLETE',
        source: 'enhanced',
        severityCounts: zeros,
        accountId: '111122223333',
        region: 'us-east-1',
      },
    ],
  ])('normalises %s', (_case, file, expected) => {
    const event = scanCompletedEventSchema.parse(sample(file));

    const scan = normaliseScanEvent(event);

    expect(scan).toEqual(expected);
    expect(isScanComplete(scan.scanStatus)).toBe(true);
  });

  it('keeps unknown severities such as UNDEFINED and drops TOTAL', () => {
    const event = scanCompletedEventSchema.parse({
      ...(sample('inspector2-scan-ecr.json') as object),
      detail: {
        'scan-status': 'INITIAL_SCAN_COMPLETE',
        'repository-name': 'arn:aws:ecr:eu-west-1:210987654321:repository/team/app',
        'image-digest': 'sha256:abc',
        'finding-severity-counts': { UNDEFINED: 3, UNTRIAGED: 1, TOTAL: 99, low: 2 },
      },
    });

    const scan = normaliseScanEvent(event);

    expect(scan.severityCounts).toEqual({ ...zeros, LOW: 2, UNTRIAGED: 1, UNDEFINED: 3 });
    expect(scan).toMatchObject({
      repositoryName: 'team/app',
      imageTags: [],
      accountId: '210987654321',
      region: 'eu-west-1',
    });
  });

  it.each([
    ['a FAILED basic scan', { 'scan-status': 'FAILED' }, 'FAILED'],
    ['an UNSUPPORTED_IMAGE basic scan', { 'scan-status': 'UNSUPPORTED_IMAGE' }, 'UNSUPPORTED_IMAGE'],
  ])('reads %s as not complete', (_case, over, status) => {
    const raw = sample('ecr-image-scan-basic.json') as { detail: object };
    const event = scanCompletedEventSchema.parse({ ...raw, detail: { ...raw.detail, ...over } });

    const scan = normaliseScanEvent(event);

    expect(scan.scanStatus).toBe(status);
    expect(isScanComplete(scan.scanStatus)).toBe(false);
  });

  it.each([
    ['a digest without an algorithm', { 'image-digest': 'not-a-digest' }, ['detail', 'image-digest']],
    ['a missing repository name', { 'repository-name': undefined }, ['detail', 'repository-name']],
    [
      'negative counts',
      { 'finding-severity-counts': { HIGH: -1 } },
      ['detail', 'finding-severity-counts', 'HIGH'],
    ],
  ])('rejects %s, naming the key', (_case, over, path) => {
    const raw = sample('ecr-image-scan-basic.json') as { detail: object };

    const result = scanCompletedEventSchema.safeParse({ ...raw, detail: { ...raw.detail, ...over } });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });

  it.each([
    ['arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample', 'amazon/amazon-ecs-sample'],
    ['arn:aws-cn:ecr:cn-north-1:123456789012:repository/app', 'app'],
    ['my-repository-name', undefined],
  ])('reads the repository name of %s', (value, name) => {
    expect(parseRepositoryArn(value)?.repositoryName).toBe(name);
  });
});
