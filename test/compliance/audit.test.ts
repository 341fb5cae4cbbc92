import { describe, expect, it } from 'vitest';
import { audit } from '../../src/compliance/domain/audit.ts';
import type { EcrActionName } from '../../src/compliance/domain/control.ts';
import { planEnforcement } from '../../src/compliance/domain/enforcement.ts';
import type { RepositoryState } from '../../src/compliance/domain/state.ts';
import { parseConfig } from '../../src/config/load.ts';
import { policyText, registry, repository, taggedAll, UNTAGGED_14_DAYS } from './state.ts';

const NOW = new Date('2026-11-28T03:00:00Z');

const config = parseConfig(`
version: 1
repositoryGroups:
  - { name: sandbox, repositories: ["sandbox-*"] }
  - { name: services, repositories: ["orders-*"] }
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH, mode: enforce }
    tagMutability: { mutability: IMMUTABLE_WITH_EXCLUSION, exclusionFilters: [latest], mode: enforce }
    encryption: { type: KMS, mode: enforce }
    lifecyclePolicy: { mode: audit }
    repositoryPolicy: { mode: enforce }
  groups:
    sandbox: { encryption: false, lifecyclePolicy: false, repositoryPolicy: false, tagMutability: false }
  registry:
    replication: { rules: [{ destinations: [{ region: eu-west-1, registryId: "222222222222" }] }], mode: enforce }
`);

const compliantPolicy = policyText(UNTAGGED_14_DAYS, taggedAll(2));
const kms = { encryptionType: 'KMS' as const, kmsKey: 'arn:aws:kms:eu-west-1:111111111111:key/k' };

const repositories: RepositoryState[] = [
  repository({
    repositoryName: 'orders-ok',
    encryptionConfiguration: kms,
    lifecyclePolicyText: compliantPolicy,
  }),
  repository({
    repositoryName: 'orders-bad',
    scanFrequency: 'MANUAL',
    imageTagMutability: 'MUTABLE',
    repositoryPolicyText: JSON.stringify({
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }],
    }),
  }),
  repository({ repositoryName: 'sandbox-x', scanFrequency: 'MANUAL' }),
];

const report = audit({
  now: NOW,
  settings: config.compliance,
  repositoryGroups: config.repositoryGroups,
  repositories,
  registry: registry(),
});

const statusOf = (name: string) =>
  Object.fromEntries(
    (report.repositories.find((r) => r.repositoryName === name)?.findings ?? []).map((f) => [
      f.controlId,
      f.status,
    ]),
  );

describe('audit', () => {
  it('checks each repository against its group’s desired state, one finding per check that applies', () => {
    expect(statusOf('orders-ok')).toEqual({
      scanning: 'pass',
      'tag-mutability': 'pass',
      encryption: 'pass',
      'lifecycle-policy': 'pass',
      'repository-policy': 'pass',
    });
    expect(statusOf('orders-bad')).toEqual({
      scanning: 'drift',
      'tag-mutability': 'drift',
      encryption: 'drift',
      'lifecycle-policy': 'drift',
      'repository-policy': 'drift',
    });
    expect(statusOf('sandbox-x')).toEqual({ scanning: 'drift' });
    expect(report.repositories.map((r) => [r.repositoryName, r.group])).toEqual([
      ['orders-bad', 'services'],
      ['orders-ok', 'services'],
      ['sandbox-x', 'sandbox'],
    ]);
  });

  it('summarises passes, drift and what enforce could fix', () => {
    expect(report.generatedAt).toBe('2026-11-28T03:00:00.000Z');
    expect(report.registry.map((f) => [f.controlId, f.status])).toEqual([['replication', 'drift']]);
    expect(report.summary).toMatchObject({
      repositories: 3,
      checks: 12,
      pass: 5,
      drift: 7,
      // scanning ×2, tag mutability, repository policy, replication; not encryption nor lifecycle (no template)
      fixable: 5,
      driftedRepositories: ['orders-bad', 'sandbox-x'],
    });
    expect(report.summary.byControl.scanning).toEqual({ pass: 1, drift: 2, unknown: 0, fixed: 0 });
  });
});

describe('planEnforcement', () => {
  const plan = planEnforcement(report, registry());

  it('plans fixes only for drift in enforce mode that enforce can fix', () => {
    expect(plan.actions.map((a) => [a.controlId, a.action, a.repositoryNames])).toEqual([
      ['scanning', 'PutRegistryScanningConfiguration', ['orders-bad', 'sandbox-x']],
      ['tag-mutability', 'PutImageTagMutability', ['orders-bad']],
      ['repository-policy', 'DeleteRepositoryPolicy', ['orders-bad']],
      ['replication', 'PutReplicationConfiguration', []],
    ]);
  });

  it('merges every repository’s scanning fix into one registry configuration, with before and after', () => {
    const scanning = plan.actions[0];

    expect(scanning?.before).toEqual({ scanType: 'BASIC', rules: [] });
    expect(scanning?.input).toEqual({
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [
            { filter: 'orders-bad', filterType: 'WILDCARD' },
            { filter: 'sandbox-x', filterType: 'WILDCARD' },
          ],
        },
      ],
    });
  });

  it('lists enforce-mode drift it can’t fix with the reason, and leaves audit-mode drift alone', () => {
    expect(plan.skipped.map((s) => [s.controlId, s.subject])).toEqual([['encryption', 'orders-bad']]);
    expect(plan.skipped[0]?.reason).toMatch(/can't change after creation/);
    expect(plan.actions.some((a) => a.controlId === 'lifecycle-policy')).toBe(false);
  });

  it('never proposes deleting a repository or an image, whatever drifts', () => {
    const forbidden: ReadonlySet<string> = new Set([
      'DeleteRepository',
      'BatchDeleteImage',
      'DeleteImage',
      'DeleteLifecyclePolicy',
      'DeleteRepositoryCreationTemplate',
      'DeleteRegistryPolicy',
    ]);
    const everything = parseConfig(`
version: 1
compliance:
  defaults:
    scanning: { frequency: CONTINUOUS_SCAN, mode: enforce }
    tagMutability: { mutability: IMMUTABLE, mode: enforce }
    encryption: { type: KMS, mode: enforce }
    lifecyclePolicy:
      mode: enforce
      template: { rules: [{ rulePriority: 1, selection: { tagStatus: any, countType: imageCountMoreThan, countNumber: 5 }, action: { type: expire } }] }
    repositoryPolicy: { mode: enforce }
    resourceTags: { required: [team], values: { team: t }, mode: enforce }
  registry:
    replication: { rules: [], mode: enforce }
    creationTemplates: { templates: [{ prefix: ROOT }], mode: enforce }
`);
    const drifted = repository({
      scanFrequency: 'MANUAL',
      imageTagMutability: 'MUTABLE',
      lifecyclePolicyText: '{"rules": []}',
      repositoryPolicyText: JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }],
      }),
    });
    const observed = registry({
      replication: { rules: [{ destinations: [{ region: 'us-east-2', registryId: '333333333333' }] }] },
    });

    const all = planEnforcement(
      audit({
        now: NOW,
        settings: everything.compliance,
        repositoryGroups: [],
        repositories: [drifted],
        registry: observed,
      }),
      observed,
    );

    const names: EcrActionName[] = all.actions.map((a) => a.action);
    expect(names).toEqual([
      'PutRegistryScanningConfiguration',
      'PutImageTagMutability',
      'PutLifecyclePolicy',
      'DeleteRepositoryPolicy',
      'TagResource',
      'PutReplicationConfiguration',
      'CreateRepositoryCreationTemplate',
    ]);
    expect(names.filter((n) => forbidden.has(n))).toEqual([]);
    expect(all.skipped.map((s) => s.controlId)).toEqual(['encryption']);
  });
});
