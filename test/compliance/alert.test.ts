import { describe, expect, it } from 'vitest';
import { complianceChangeAlert, stateText } from '../../src/compliance/alert.ts';
import { complianceMetricPoints } from '../../src/compliance/compose.ts';
import { drift } from '../../src/compliance/domain/control.ts';
import type { ActionOutcome } from '../../src/compliance/domain/enforcement.ts';
import { complianceAlertSchema } from '../../src/notifications/index.ts';

const AT = new Date('2026-11-28T03:00:00Z');
const WHERE = { accountId: '123456789012', region: 'eu-west-1', stage: 'prod' };
const TRIGGER = { kind: 'cloudtrail' as const, id: 'e1', eventName: 'CreateRepository' };

const lifecycleDrift = drift(
  'lifecycle-policy',
  { kind: 'repository', repositoryName: 'team/web' },
  'audit',
  {
    expected: 'caps tagged images',
    actual: 'no lifecycle policy',
    fix: 'put the template',
  },
);
const applied: ActionOutcome = {
  action: 'PutImageTagMutability',
  input: { repositoryName: 'team/web', imageTagMutability: 'IMMUTABLE' },
  controlId: 'tag-mutability',
  repositoryNames: ['team/web'],
  before: { imageTagMutability: 'MUTABLE' },
  after: { imageTagMutability: 'IMMUTABLE' },
  outcome: 'applied',
};

describe('the compliance alert of one subject and trigger', () => {
  it('lists the new drift and the remediations with their states as text, linking the repository', () => {
    const alert = complianceChangeAlert({
      subject: { kind: 'repository', repositoryName: 'team/web', group: 'services' },
      trigger: TRIGGER,
      drift: [lifecycleDrift],
      remediations: [applied, { ...applied, outcome: 'failed', error: 'AccessDeniedException: no' }],
      where: WHERE,
      at: AT,
    });

    expect(complianceAlertSchema.parse(alert)).toEqual(alert);
    expect(alert).toMatchObject({
      kind: 'fix-failed',
      stage: 'prod',
      occurredAt: '2026-11-28T03:00:00.000Z',
      consoleUrl:
        'https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/team/web?region=eu-west-1',
      target: { kind: 'repository', repositoryName: 'team/web', group: 'services' },
      drift: [
        { check: 'lifecycle-policy', mode: 'audit', actual: 'no lifecycle policy', fix: 'put the template' },
      ],
      remediations: [
        {
          check: 'tag-mutability',
          action: 'PutImageTagMutability',
          outcome: 'applied',
          before: '{"imageTagMutability":"MUTABLE"}',
        },
        { outcome: 'failed', error: 'AccessDeniedException: no' },
      ],
      totals: { drift: 1, applied: 1, failed: 1 },
    });
  });

  it("links the registry's page for registry findings", () => {
    const alert = complianceChangeAlert({
      subject: { kind: 'registry', registryId: '123456789012' },
      trigger: { kind: 'sweep', id: '01JDZ' },
      drift: [
        drift('replication', { kind: 'registry', registryId: '123456789012', item: 'replication' }, 'audit', {
          expected: 'a',
          actual: 'b',
          fix: 'c',
        }),
      ],
      remediations: [],
      where: WHERE,
      at: AT,
    });

    expect(alert.consoleUrl).toBe(
      'https://eu-west-1.console.aws.amazon.com/ecr/private-registry/repositories?region=eu-west-1',
    );
    expect(alert.drift[0]).toMatchObject({ check: 'replication', item: 'replication' });
  });

  it.each([
    [undefined, 'none'],
    [null, 'none'],
    ['{"rules":[]}', '{"rules":[]}'],
    [{ a: 1 }, '{"a":1}'],
  ])('writes the state %j as %s', (value, text) => {
    expect(stateText(value)).toBe(text);
  });
});

describe('compliance metrics', () => {
  it('sums drift found and fixed per repository group and check, the registry ungrouped', () => {
    const config = {
      compliance: { defaults: {}, groups: {}, registry: {} },
      repositoryGroups: [{ name: 'services', repositories: ['svc-*'] }],
    };

    const points = complianceMetricPoints(config, {
      repositoriesChecked: 3,
      driftFound: [
        { repositoryName: 'svc-a', check: 'scanning' },
        { repositoryName: 'svc-b', check: 'scanning' },
        { repositoryName: 'other', check: 'scanning' },
        { check: 'replication' },
      ],
      driftFixed: [{ repositoryName: 'svc-a', check: 'scanning' }],
    });

    expect(points).toEqual([
      {
        name: 'ComplianceDriftFound',
        value: 2,
        dimensions: { RepositoryGroup: 'services', Check: 'scanning' },
      },
      {
        name: 'ComplianceDriftFound',
        value: 1,
        dimensions: { RepositoryGroup: 'ungrouped', Check: 'scanning' },
      },
      {
        name: 'ComplianceDriftFound',
        value: 1,
        dimensions: { RepositoryGroup: 'ungrouped', Check: 'replication' },
      },
      {
        name: 'ComplianceDriftFixed',
        value: 1,
        dimensions: { RepositoryGroup: 'services', Check: 'scanning' },
      },
      { name: 'RepositoriesChecked', value: 3, dimensions: {} },
    ]);
  });
});
