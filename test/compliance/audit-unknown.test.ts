import { describe, expect, it } from 'vitest';
import { audit } from '../../src/compliance/domain/audit.ts';
import { planEnforcement } from '../../src/compliance/domain/enforcement.ts';
import type { RegistryState, RepositoryState } from '../../src/compliance/domain/state.ts';
import { parseConfig } from '../../src/config/load.ts';
import { registry, repository } from './state.ts';

/** A read that failed is reported as `unknown` with its reason: never as drift, never "fixed". */

const NOW = new Date('2026-11-28T03:00:00Z');

const config = parseConfig(`
version: 1
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH, mode: enforce }
    tagMutability: { mutability: IMMUTABLE, mode: enforce }
    lifecyclePolicy:
      mode: enforce
      template: { rules: [{ rulePriority: 1, selection: { tagStatus: any, countType: imageCountMoreThan, countNumber: 5 }, action: { type: expire } }] }
    repositoryPolicy: { mode: enforce }
    resourceTags: { required: [team], values: { team: t }, mode: enforce }
  registry:
    replication: { rules: [{ destinations: [{ region: eu-west-1, registryId: "222222222222" }] }], mode: enforce }
    creationTemplates: { templates: [{ prefix: a/ }, { prefix: b/ }], mode: enforce }
`);

function run(repositories: RepositoryState[], observed: RegistryState = registry()) {
  return audit({
    now: NOW,
    settings: config.compliance,
    repositoryGroups: [],
    repositories,
    registry: observed,
  });
}

const statuses = (findings: readonly { controlId: string; status: string }[]) =>
  Object.fromEntries(findings.map((f) => [f.controlId, f.status]));

describe('audit with reads that failed', () => {
  it.each([
    ['lifecyclePolicyText', 'lifecycle-policy'],
    ['repositoryPolicyText', 'repository-policy'],
    ['tags', 'resource-tags'],
    ['scanFrequency', 'scanning'],
  ] as const)(
    'an unreadable %s makes %s unknown, with the reason, and leaves the other checks judged',
    (field, controlId) => {
      // Prepare: placeholders that would drift if they were judged
      const observed = repository({
        scanFrequency: 'MANUAL',
        tags: [],
        unreadable: { [field]: `${field}: AccessDeniedException: not authorized` },
      });

      // Act
      const report = run([observed]);

      // Assess
      const finding = report.repositories[0]?.findings.find((f) => f.controlId === controlId);
      expect(finding).toMatchObject({
        status: 'unknown',
        actual: 'could not be read',
        error: `${field}: AccessDeniedException: not authorized`,
        fixable: false,
      });
      expect(finding?.fix).toBeUndefined();
      expect(finding?.remediation).toBeUndefined();
      expect(finding?.expected).not.toBe('');
      expect(statuses(report.repositories[0]?.findings ?? [])['tag-mutability']).toBe('pass');
    },
  );

  it('counts unknown apart from pass and drift, and names the repositories', () => {
    const report = run([
      repository({ repositoryName: 'a-ok', lifecyclePolicyText: undefined }),
      repository({
        repositoryName: 'b-unread',
        unreadable: { lifecyclePolicyText: 'ThrottlingException: Rate exceeded' },
      }),
    ]);

    expect(report.summary).toMatchObject({
      unknown: 1,
      unknownRepositories: ['b-unread'],
      driftedRepositories: ['a-ok', 'b-unread'],
    });
    expect(report.summary.byControl['lifecycle-policy']).toEqual({ pass: 0, drift: 1, unknown: 1, fixed: 0 });
    expect(report.summary.checks).toBe(report.summary.pass + report.summary.drift + report.summary.unknown);
  });

  it('an unreadable registry scanning configuration makes every repository’s scanning check unknown', () => {
    const report = run(
      [repository({ repositoryName: 'x' }), repository({ repositoryName: 'y' })],
      registry({ unreadable: { scanning: 'GetRegistryScanningConfiguration: AccessDeniedException' } }),
    );

    expect(report.repositories.map((r) => statuses(r.findings).scanning)).toEqual(['unknown', 'unknown']);
  });

  it('unreadable replication and templates are unknown registry findings, one per item', () => {
    const report = run(
      [],
      registry({
        unreadable: {
          replication: 'DescribeRegistry: AccessDeniedException',
          creationTemplates: 'DescribeRepositoryCreationTemplates: ThrottlingException',
        },
      }),
    );

    expect(report.registry.map((f) => [f.controlId, f.subject, f.status, f.error])).toEqual([
      [
        'replication',
        { kind: 'registry', registryId: '111111111111', item: 'replication' },
        'unknown',
        'DescribeRegistry: AccessDeniedException',
      ],
      [
        'creation-templates',
        { kind: 'registry', registryId: '111111111111', item: 'creation template a/' },
        'unknown',
        'DescribeRepositoryCreationTemplates: ThrottlingException',
      ],
      [
        'creation-templates',
        { kind: 'registry', registryId: '111111111111', item: 'creation template b/' },
        'unknown',
        'DescribeRepositoryCreationTemplates: ThrottlingException',
      ],
    ]);
  });

  it('enforcement plans nothing for an unknown check, even in enforce mode', () => {
    const observed = registry({
      unreadable: { scanning: 'denied', replication: 'denied', creationTemplates: 'denied' },
    });
    const report = run(
      [
        repository({
          scanFrequency: 'MANUAL',
          unreadable: { lifecyclePolicyText: 'denied', repositoryPolicyText: 'denied', tags: 'denied' },
        }),
      ],
      observed,
    );

    const plan = planEnforcement(report, observed);

    expect(plan).toEqual({ actions: [], skipped: [] });
  });
});
