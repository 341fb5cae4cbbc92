import { describe, expect, it } from 'vitest';
import {
  type CloudTrailCheck,
  cloudTrailCheckSchema,
  complianceMessageSchema,
  isEcho,
  sweepEventSchema,
} from '../../src/compliance/events.ts';
import { cloudTrailEvent } from '../../src/sandbox/ecr/cloudtrail.ts';

/** An ECR call as the sandbox's emulator puts it on the bus (shaped after AWS's CloudTrail records). */
function eventOf(action: string, request: Record<string, unknown>, principalArn?: string) {
  const entry = cloudTrailEvent({
    action,
    request,
    response: {},
    caller: { accountId: '123456789012', ...(principalArn ? { principalArn } : {}) },
    registry: { accountId: '123456789012', region: 'us-east-1' },
    requestId: 'f1b2c3d4-0000-4000-8000-000000000000',
    time: new Date('2026-11-28T03:00:00Z'),
  } as Parameters<typeof cloudTrailEvent>[0]);
  return {
    version: '0',
    id: 'a1b2c3d4-1111-4111-8111-111111111111',
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '123456789012',
    time: '2026-11-28T03:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
  };
}

describe('the CloudTrail events checkCompliance takes', () => {
  it('checks the repository a repository-level call acted on', () => {
    const event = eventOf('PutImageTagMutability', {
      repositoryName: 'orders-api',
      imageTagMutability: 'MUTABLE',
    });

    const check = cloudTrailCheckSchema.parse(event);

    expect(check).toMatchObject({
      kind: 'check',
      call: 'PutImageTagMutability',
      target: { scope: 'repository', repositoryName: 'orders-api' },
      trigger: { kind: 'cloudtrail', eventName: 'PutImageTagMutability', id: event.detail.eventID },
    });
  });

  it('reads the repository of a tag call from its resource ARN, and ignores tags on anything else', () => {
    const tagged = cloudTrailCheckSchema.parse(
      eventOf('TagResource', {
        resourceArn: 'arn:aws:ecr:us-east-1:123456789012:repository/team/web',
        tags: [{ Key: 'team', Value: 'web' }],
      }),
    );
    const other = cloudTrailCheckSchema.parse(
      eventOf('TagResource', { resourceArn: 'arn:aws:ecr:us-east-1:123456789012:something/else', tags: [] }),
    );

    expect(tagged).toMatchObject({ kind: 'check', target: { repositoryName: 'team/web' } });
    expect(other).toMatchObject({ kind: 'ignore' });
  });

  it.each([
    ['PutRegistryScanningConfiguration', 'every-repository'],
    ['PutReplicationConfiguration', 'registry'],
    ['UpdateRepositoryCreationTemplate', 'registry'],
  ])('checks %s at the %s level', (action, scope) => {
    expect(cloudTrailCheckSchema.parse(eventOf(action, { scanType: 'BASIC' }))).toMatchObject({
      target: { scope },
    });
  });

  it('ignores a call that failed', () => {
    const event = eventOf('CreateRepository', { repositoryName: 'orders-api' });
    event.detail.errorCode = 'RepositoryAlreadyExistsException';

    expect(cloudTrailCheckSchema.parse(event)).toMatchObject({ kind: 'ignore' });
  });

  it.each([
    [
      'a call it does not watch',
      (e: ReturnType<typeof eventOf>) => ({ ...e, detail: { ...e.detail, eventName: 'DeleteRepository' } }),
      'detail.eventName',
    ],
    ['another source', (e: ReturnType<typeof eventOf>) => ({ ...e, source: 'aws.s3' }), 'source'],
    [
      'no repository',
      (e: ReturnType<typeof eventOf>) => ({ ...e, detail: { ...e.detail, requestParameters: null } }),
      'detail.requestParameters.repositoryName',
    ],
    [
      'a name ECR would refuse',
      (e: ReturnType<typeof eventOf>) => ({
        ...e,
        detail: { ...e.detail, requestParameters: { repositoryName: 'Bad Name' } },
      }),
      'detail.requestParameters.repositoryName',
    ],
  ])('refuses %s, naming the field', (_what, change, path) => {
    const result = cloudTrailCheckSchema.safeParse(
      change(eventOf('CreateRepository', { repositoryName: 'ok-name' })),
    );

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it("tells the echo of our own fix from a person's call", () => {
    const enforcers = ['ecr-sentinel-dev-checkCompliance'];
    const ours = cloudTrailCheckSchema.parse(
      eventOf(
        'PutImageTagMutability',
        { repositoryName: 'web' },
        'arn:aws:sts::123456789012:assumed-role/CheckComplianceRole/ecr-sentinel-dev-checkCompliance',
      ),
    ) as CloudTrailCheck;
    const theirs = cloudTrailCheckSchema.parse(eventOf('PutImageTagMutability', { repositoryName: 'web' }));

    expect(isEcho(ours, enforcers)).toBe(true);
    expect(isEcho(theirs, enforcers)).toBe(false);
  });
});

describe('the sweep and its messages', () => {
  it('takes the schedule and a direct invocation', () => {
    expect(
      sweepEventSchema.parse({ 'detail-type': 'Scheduled Event', source: 'aws.events', id: 'x', detail: {} }),
    ).toEqual({});
    expect(sweepEventSchema.parse({ repositories: ['orders-api'] })).toEqual({
      repositories: ['orders-api'],
    });
    expect(sweepEventSchema.safeParse({ repositories: ['Bad Name'] }).success).toBe(false);
  });

  it('takes a batch of at most 25 repositories and refuses unknown checks', () => {
    const message = {
      version: 1,
      trigger: { kind: 'sweep', id: '01JDZ0000000000000000000000' },
      repositoryNames: ['a1', 'b2'],
      registry: true,
      enforce: true,
    };

    expect(complianceMessageSchema.parse(message)).toEqual(message);
    expect(
      complianceMessageSchema.safeParse({ ...message, repositoryNames: Array(26).fill('ab') }).success,
    ).toBe(false);
    expect(complianceMessageSchema.safeParse({ ...message, controls: ['colour'] }).success).toBe(false);
  });
});
