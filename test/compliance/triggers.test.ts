import { describe, expect, it } from 'vitest';
import { audit } from '../../src/compliance/domain/audit.ts';
import { CONTROL_IDS } from '../../src/compliance/domain/control.ts';
import {
  controlsOf,
  isOwnCall,
  repositoryOfArn,
  scopeReport,
  WATCHED_CALL_NAMES,
} from '../../src/compliance/domain/triggers.ts';
import { parseConfig } from '../../src/config/load.ts';
import { registry, repository } from './state.ts';

const NOW = new Date('2026-11-28T03:00:00Z');

describe('which checks a CloudTrail call asks for', () => {
  it.each([
    ['CreateRepository', CONTROL_IDS],
    ['PutImageTagMutability', ['tag-mutability']],
    ['SetRepositoryPolicy', ['repository-policy']],
    ['DeleteLifecyclePolicy', ['lifecycle-policy']],
    ['UntagResource', ['resource-tags']],
    ['PutRegistryScanningConfiguration', ['scanning']],
    ['PutReplicationConfiguration', ['replication']],
    ['CreateRepositoryCreationTemplate', ['creation-templates']],
  ] as const)('%s checks %j', (call, controls) => {
    expect(controlsOf(call)).toEqual(controls);
  });

  it('watches the calls the issue names, and the other writes that change what a check reads', () => {
    expect(WATCHED_CALL_NAMES).toEqual(
      expect.arrayContaining([
        'CreateRepository',
        'PutImageTagMutability',
        'SetRepositoryPolicy',
        'DeleteRepositoryPolicy',
        'PutLifecyclePolicy',
        'DeleteLifecyclePolicy',
        'PutRegistryScanningConfiguration',
        'PutReplicationConfiguration',
        'CreateRepositoryCreationTemplate',
        'TagResource',
        'UntagResource',
        'PutImageScanningConfiguration',
        'UpdateRepositoryCreationTemplate',
      ]),
    );
    expect(WATCHED_CALL_NAMES).not.toContain('DeleteRepository');
  });
});

describe('our own calls', () => {
  const enforcers = ['ecr-sentinel-prod-checkCompliance', 'ecr-sentinel-prod-checkRepositories'];

  it.each([
    ['arn:aws:sts::123456789012:assumed-role/CheckComplianceRole-X/ecr-sentinel-prod-checkCompliance', true],
    ['arn:aws:sts::123456789012:assumed-role/Other/ecr-sentinel-prod-checkRepositories', true],
    ['arn:aws:sts::123456789012:assumed-role/CheckComplianceRole-X/ecr-sentinel-dev-checkCompliance', false],
    ['arn:aws:iam::123456789012:user/ecr-sentinel-prod-checkCompliance', false],
    ['arn:aws:sts::123456789012:assumed-role/Admin/alice', false],
    [undefined, false],
  ])('%s is ours: %s', (arn, ours) => {
    expect(isOwnCall(arn, enforcers)).toBe(ours);
  });
});

describe('repository ARNs', () => {
  it.each([
    ['arn:aws:ecr:us-east-1:123456789012:repository/team/orders-api', 'team/orders-api'],
    ['arn:aws-cn:ecr:cn-north-1:123456789012:repository/web', 'web'],
    ['arn:aws:ecr:us-east-1:123456789012:repository-creation-template/web', undefined],
    ['arn:aws:s3:::bucket', undefined],
  ])('%s names %s', (arn, name) => {
    expect(repositoryOfArn(arn)).toBe(name);
  });
});

describe('scopeReport', () => {
  const config = parseConfig(`
version: 1
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH }
    tagMutability: { mutability: IMMUTABLE }
  registry:
    replication: { rules: [] }
`);
  const report = audit({
    now: NOW,
    settings: config.compliance,
    repositoryGroups: [],
    repositories: [repository({ repositoryName: 'orders', imageTagMutability: 'MUTABLE' })],
    registry: registry({
      replication: { rules: [{ destinations: [{ region: 'eu-west-1', registryId: '222222222222' }] }] },
    }),
  });

  it('keeps only the checks asked for, and the registry only when asked, with the summary recomputed', () => {
    const scoped = scopeReport(report, { controls: ['tag-mutability'], registry: false });

    expect(scoped.repositories[0]?.findings.map((f) => f.controlId)).toEqual(['tag-mutability']);
    expect(scoped.registry).toEqual([]);
    expect(scoped.summary).toMatchObject({ checks: 1, drift: 1 });
  });

  it('keeps everything without a list of checks', () => {
    const scoped = scopeReport(report, { registry: true });

    expect(scoped.summary.checks).toBe(report.summary.checks);
    expect(scoped.registry.map((f) => f.controlId)).toEqual(['replication']);
  });
});
