import { describe, expect, it } from 'vitest';
import { complianceKeys } from '../../src/shared/table.ts';

describe('compliance keys in the single table', () => {
  it('builds the keys stored today, byte for byte', () => {
    expect(complianceKeys.status('team/web', 'tag-mutability')).toEqual({
      pk: 'COMPLIANCE#team/web',
      sk: 'STATUS#tag-mutability',
    });
    expect(
      complianceKeys.status(complianceKeys.registrySubject('123456789012'), 'creation-templates#svc/'),
    ).toEqual({
      pk: 'COMPLIANCE#@registry:123456789012',
      sk: 'STATUS#creation-templates#svc/',
    });
    expect(complianceKeys.remediation('team/web', 'e1', 'scanning')).toEqual({
      pk: 'COMPLIANCE#team/web',
      sk: 'FIX#e1#scanning',
    });
    expect(complianceKeys.alertClaim('team/web', 'e1#ab12')).toEqual({
      pk: 'COMPLIANCE#team/web',
      sk: 'ALERT#e1#ab12',
    });
    expect(
      complianceKeys.remediationListingSort('2026-11-28T03:00:00.000Z', 'team/web', 'e1', 'scanning'),
    ).toBe('2026-11-28T03:00:00.000Z#team/web#e1#scanning');
  });

  it('keeps the registry apart from every repository: no repository name contains @', () => {
    expect(complianceKeys.registrySubject('123456789012')).toMatch(/^@/);
  });
});
