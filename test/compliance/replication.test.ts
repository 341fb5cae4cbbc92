import { describe, expect, it } from 'vitest';
import {
  replicationControl,
  replicationDiff,
  replicationSettingsSchema,
} from '../../src/compliance/domain/replication.ts';
import type { ReplicationRule } from '../../src/compliance/domain/state.ts';
import { registry } from './state.ts';

const IRELAND = { region: 'eu-west-1', registryId: '222222222222' };
const OHIO = { region: 'us-east-2', registryId: '222222222222' };
const prefixes = (...names: string[]) =>
  names.map((filter) => ({ filter, filterType: 'PREFIX_MATCH' as const }));

describe('replication diff', () => {
  it('treats rules as equal whatever their order and grouping', () => {
    const desired: ReplicationRule[] = [
      { destinations: [IRELAND, OHIO], repositoryFilters: prefixes('prod-', 'shared-') },
    ];
    const actual: ReplicationRule[] = [
      { destinations: [OHIO], repositoryFilters: prefixes('shared-', 'prod-') },
      { destinations: [IRELAND], repositoryFilters: prefixes('prod-') },
      { destinations: [IRELAND], repositoryFilters: prefixes('shared-') },
    ];

    expect(replicationDiff(desired, actual)).toEqual({ missing: [], extra: [] });
  });

  it('names missing and extra destinations and filters', () => {
    const desired: ReplicationRule[] = [
      { destinations: [IRELAND, OHIO], repositoryFilters: prefixes('prod-') },
    ];
    const actual: ReplicationRule[] = [
      { destinations: [IRELAND], repositoryFilters: prefixes('prod-', 'dev-') },
      { destinations: [{ region: 'ap-south-1', registryId: '333333333333' }] },
    ];

    expect(replicationDiff(desired, actual)).toEqual({
      missing: ['222222222222/us-east-2 for prefixes prod-'],
      extra: ['222222222222/eu-west-1 for prefixes dev-', '333333333333/ap-south-1 for every repository'],
    });
  });
});

describe('replication control', () => {
  it('passes when the registry replicates exactly as desired', () => {
    const desired = replicationSettingsSchema.parse({
      rules: [{ destinations: [IRELAND], prefixes: ['prod-'] }],
    });

    const [finding] = replicationControl.check({
      registry: registry({
        replication: { rules: [{ destinations: [IRELAND], repositoryFilters: prefixes('prod-') }] },
      }),
      desired,
    });

    expect(finding?.status).toBe('pass');
  });

  it('reports drift and proposes the desired configuration as a whole', () => {
    const desired = replicationSettingsSchema.parse({
      rules: [{ destinations: [IRELAND] }],
      mode: 'enforce',
    });

    const [finding] = replicationControl.check({ registry: registry(), desired });

    expect(finding).toMatchObject({
      status: 'drift',
      fixable: true,
      actual: 'no replication',
      details: ['missing: 222222222222/eu-west-1 for every repository'],
      subject: { kind: 'registry', registryId: '111111111111', item: 'replication' },
    });
    expect(finding?.remediation).toEqual({
      action: 'PutReplicationConfiguration',
      input: { replicationConfiguration: { rules: [{ destinations: [IRELAND] }] } },
      before: { rules: [] },
      after: { rules: [{ destinations: [IRELAND] }] },
    });
  });
});
