import { describe, expect, it } from 'vitest';
import { complianceSettingsFor } from '../../src/compliance/config-schema.ts';
import { audit } from '../../src/compliance/domain/audit.ts';
import {
  type ActionOutcome,
  planEnforcement,
  settleEnforcement,
} from '../../src/compliance/domain/enforcement.ts';
import { creationInput } from '../../src/compliance/domain/ensure.ts';
import type { RepositoryState } from '../../src/compliance/domain/state.ts';
import { parseConfig } from '../../src/config/load.ts';
import { policyText, registry, repository, taggedAll, UNTAGGED_14_DAYS } from './state.ts';

const NOW = new Date('2026-11-28T03:00:00Z');

const config = parseConfig(`
version: 1
repositoryGroups:
  - { name: services, repositories: ["orders-*"] }
compliance:
  defaults:
    scanning: { frequency: SCAN_ON_PUSH, mode: enforce }
    tagMutability: { mutability: IMMUTABLE_WITH_EXCLUSION, exclusionFilters: [latest], mode: enforce }
    encryption: { type: AES256, mode: enforce }
    lifecyclePolicy:
      mode: audit
      template:
        rules:
          - { rulePriority: 1, selection: { tagStatus: any, countType: imageCountMoreThan, countNumber: 50 }, action: { type: expire } }
    resourceTags: { required: [team, owner], values: { team: platform }, mode: enforce }
`);

const compliantPolicy = policyText(UNTAGGED_14_DAYS, taggedAll(2));

function auditOf(repositories: RepositoryState[]) {
  return audit({
    now: NOW,
    settings: config.compliance,
    repositoryGroups: config.repositoryGroups,
    repositories,
    registry: registry(),
  });
}

const drifting = repository({
  repositoryName: 'orders-api',
  scanFrequency: 'MANUAL',
  imageTagMutability: 'MUTABLE',
  tags: [{ Key: 'owner', Value: 'a' }],
});
const before = auditOf([drifting]);

describe('planEnforcement', () => {
  it('fixes enforce-mode drift only, unless every mode is asked for (repo ensure)', () => {
    const enforceOnly = planEnforcement(before, registry()).actions.map((a) => a.action);
    const everyMode = planEnforcement(before, registry(), { everyMode: true }).actions.map((a) => a.action);

    expect(enforceOnly).toEqual(['PutRegistryScanningConfiguration', 'PutImageTagMutability', 'TagResource']);
    expect(everyMode).toEqual([
      'PutRegistryScanningConfiguration',
      'PutImageTagMutability',
      'PutLifecyclePolicy',
      'TagResource',
    ]);
  });
});

describe('settleEnforcement', () => {
  const plan = planEnforcement(before, registry());
  const outcome = (action: string, result: 'applied' | 'failed'): ActionOutcome => {
    const planned = plan.actions.find((a) => a.action === action);
    if (!planned) throw new Error(`no ${action} planned`);
    return result === 'applied'
      ? { ...planned, outcome: 'applied' }
      : { ...planned, outcome: 'failed', error: 'AccessDeniedException: no' };
  };
  // Read back: scanning and tags fixed; mutability still MUTABLE (its call failed).
  const recheck = auditOf([
    {
      ...drifting,
      scanFrequency: 'SCAN_ON_PUSH',
      tags: [...drifting.tags, { Key: 'team', Value: 'platform' }],
    },
  ]);

  it.each([
    ['scanning', 'fixed'],
    ['tag-mutability', 'drift'],
    ['encryption', 'pass'],
    ['lifecycle-policy', 'drift'],
    ['resource-tags', 'fixed'],
  ])('%s is %s: fixed only where an applied action fixed a drift', (controlId, status) => {
    const settled = settleEnforcement(before, recheck, [
      outcome('PutRegistryScanningConfiguration', 'applied'),
      outcome('PutImageTagMutability', 'failed'),
      outcome('TagResource', 'applied'),
    ]);

    const finding = settled.repositories[0]?.findings.find((f) => f.controlId === controlId);
    expect(finding?.status).toBe(status);
    expect(settled.summary).toMatchObject({ fixed: 2, drift: 2, pass: 1 });
  });

  it('a drift that passes on read-back without an applied action is pass, not fixed', () => {
    const settled = settleEnforcement(before, recheck, [outcome('TagResource', 'applied')]);

    const statuses = settled.repositories[0]?.findings.map((f) => [f.controlId, f.status]);
    expect(statuses).toContainEqual(['scanning', 'pass']);
    expect(statuses).toContainEqual(['resource-tags', 'fixed']);
  });

  it('without a read-back the audit stays as it was', () => {
    expect(settleEnforcement(before, undefined, [])).toBe(before);
  });
});

describe('creationInput', () => {
  it("puts the group's mutability, encryption, scan on push and the tags with configured values", () => {
    const desired = complianceSettingsFor(config.compliance, 'services');

    expect(creationInput('orders-new', desired)).toEqual({
      repositoryName: 'orders-new',
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      encryptionConfiguration: { encryptionType: 'AES256' },
      imageScanningConfiguration: { scanOnPush: true },
      tags: [{ Key: 'team', Value: 'platform' }],
    });
  });

  it('sets nothing a check that is off would ask for', () => {
    expect(creationInput('plain', {})).toEqual({ repositoryName: 'plain' });
  });
});

it('a compliant repository needs no action', () => {
  const ok = repository({
    repositoryName: 'orders-ok',
    imageTagMutability: 'IMMUTABLE',
    lifecyclePolicyText: compliantPolicy,
    tags: [
      { Key: 'team', Value: 'platform' },
      { Key: 'owner', Value: 'x' },
    ],
  });

  expect(planEnforcement(auditOf([ok]), registry(), { everyMode: true }).actions).toEqual([]);
});
