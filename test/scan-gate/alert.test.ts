import { describe, expect, it } from 'vitest';
import { alertDocumentSchema } from '../../src/notifications/alert-document.ts';
import { enforcementFailedAlert, UNTAG_SKIPPED_REASON, verdictAlert } from '../../src/scan-gate/alert.ts';
import { consoleUrl } from '../../src/shared/ecr/console.ts';
import { failingVerdict, finding, NOW, verdictOf } from './verdict-fixtures.ts';

const failing = failingVerdict;

describe('verdict alert document', () => {
  it('builds a JSON document for sqs and lambda subscribers', () => {
    const document = verdictAlert(failing(), {
      kind: 'changed',
      accountId: '123456789012',
      region: 'eu-west-1',
    });

    expect(document).toMatchObject({
      type: 'ecr-sentinel.scan-verdict',
      version: 1,
      kind: 'changed',
      status: 'FAIL',
      repositoryName: 'my-web-app',
      worstSeverity: 'CRITICAL',
      blocking: { count: 7, idsTruncated: false },
      exceptionsApplied: [{ cve: 'CVE-2024-1234' }],
      exceptionsExpired: [{ cve: 'CVE-2024-2000' }],
      evaluatedAt: NOW.toISOString(),
    });
    expect(JSON.parse(JSON.stringify(document))).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('reports a failed enforcement as its own alert, valid for every subscriber, with the problem up front', () => {
    const problem = 'could not remove tag latest: ThrottlingException, will retry';

    const document = enforcementFailedAlert(
      failing(),
      { accountId: '123456789012', region: 'eu-west-1' },
      problem,
    );

    expect(alertDocumentSchema.parse(document)).toMatchObject({
      kind: 'enforcement-failed',
      status: 'FAIL',
      reason: problem,
      repositoryName: 'my-web-app',
    });
    expect(document.subject).toMatch(/^\[ERROR\] my-web-app@sha256:.*: could not remove tag latest/);
  });

  it('says where, what enforcement did and what was fixed, valid for every subscriber', () => {
    const before = failingVerdict();
    const after = verdictOf({
      repositoryName: 'my-web-app',
      imageTags: ['v1.2.3', 'latest'],
      findings: [finding('CVE-2024-1000', 'CRITICAL')],
    });

    const document = verdictAlert(after, {
      kind: 'changed',
      accountId: '123456789012',
      region: 'eu-west-1',
      stage: 'prod',
      environment: 'prod',
      group: 'payments',
      enforcement: { tags: ['latest', 'stable'], removed: ['latest'], skipped: ['stable'] },
      previous: before,
    });

    expect(alertDocumentSchema.parse(document)).toMatchObject({
      stage: 'prod',
      environment: 'prod',
      group: 'payments',
      imageTags: ['v1.2.3'],
      enforcement: {
        action: 'untag',
        tags: ['latest', 'stable'],
        removed: ['latest'],
        skipped: [{ tag: 'stable', reason: UNTAG_SKIPPED_REASON }],
      },
      fixed: {
        count: 6,
        ids: [
          'CVE-2024-1001',
          'CVE-2024-2000',
          'CVE-2024-2001',
          'CVE-2024-2002',
          'CVE-2024-2003',
          'CVE-2024-2004',
        ],
      },
    });
    expect(document.subject).toBe(
      '[FAIL] my-web-app@sha256:36c7b282abd0… (v1.2.3): 1 CRITICAL; removed tag latest',
    );
  });

  it('links namespaced repositories to their console page', () => {
    expect(
      consoleUrl({
        region: 'us-east-2',
        accountId: '123456789012',
        repositoryName: 'amazon/amazon-ecs-sample',
        imageDigest: 'sha256:abc',
      }),
    ).toBe(
      'https://us-east-2.console.aws.amazon.com/ecr/repositories/private/123456789012/amazon/amazon-ecs-sample/_/image/sha256:abc/details?region=us-east-2',
    );
  });
});
