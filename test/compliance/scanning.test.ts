import { describe, expect, it } from 'vitest';
import {
  coverRepository,
  mergeScanningConfigurations,
  scanningControl,
  scanningSettingsSchema,
} from '../../src/compliance/domain/scanning.ts';
import type { RegistryScanningConfiguration, ScanFrequency } from '../../src/compliance/domain/state.ts';
import { registry, repository } from './state.ts';

const settings = (input: object) => scanningSettingsSchema.parse(input);

describe('scanning control', () => {
  it.each<[ScanFrequency, 'BASIC' | 'ENHANCED', object, 'pass' | 'drift']>([
    ['SCAN_ON_PUSH', 'BASIC', { frequency: 'SCAN_ON_PUSH' }, 'pass'],
    ['CONTINUOUS_SCAN', 'ENHANCED', { frequency: 'SCAN_ON_PUSH' }, 'pass'],
    ['MANUAL', 'BASIC', { frequency: 'SCAN_ON_PUSH' }, 'drift'],
    ['SCAN_ON_PUSH', 'ENHANCED', { frequency: 'CONTINUOUS_SCAN' }, 'drift'],
    ['SCAN_ON_PUSH', 'BASIC', { frequency: 'SCAN_ON_PUSH', scanType: 'ENHANCED' }, 'drift'],
    ['CONTINUOUS_SCAN', 'ENHANCED', { frequency: 'CONTINUOUS_SCAN' }, 'pass'],
  ])('a repository scanned %s under %s against %j: %s', (frequency, scanType, desired, status) => {
    const finding = scanningControl.check({
      repository: repository({ scanFrequency: frequency }),
      registry: registry({ scanning: { scanType, rules: [] } }),
      desired: settings(desired),
    });

    expect(finding.status).toBe(status);
  });

  it('fixes a MANUAL repository by adding its name to the registry scan-on-push rule, keeping the other filters', () => {
    const before: RegistryScanningConfiguration = {
      scanType: 'BASIC',
      rules: [
        { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'web-*', filterType: 'WILDCARD' }] },
      ],
    };

    const finding = scanningControl.check({
      repository: repository({ repositoryName: 'orders-api-dev', scanFrequency: 'MANUAL' }),
      registry: registry({ scanning: before }),
      desired: settings({ frequency: 'SCAN_ON_PUSH', mode: 'enforce' }),
    });

    expect(finding).toMatchObject({
      status: 'drift',
      fixable: true,
      mode: 'enforce',
      actual: 'MANUAL (BASIC)',
    });
    expect(finding.remediation?.action).toBe('PutRegistryScanningConfiguration');
    expect(finding.remediation?.after).toEqual({
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [
            { filter: 'web-*', filterType: 'WILDCARD' },
            { filter: 'orders-api-dev', filterType: 'WILDCARD' },
          ],
        },
      ],
    });
    expect(finding.remediation?.before).toBe(before);
  });

  it('upgrades the registry to ENHANCED for continuous scanning, but never downgrades ENHANCED to BASIC', () => {
    const basic: RegistryScanningConfiguration = { scanType: 'BASIC', rules: [] };
    const enhanced: RegistryScanningConfiguration = {
      scanType: 'ENHANCED',
      rules: [
        { scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] },
      ],
    };

    expect(coverRepository(basic, 'a-repo', 'CONTINUOUS_SCAN', 'ENHANCED')).toEqual({
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [{ filter: 'a-repo', filterType: 'WILDCARD' }],
        },
      ],
    });
    expect(coverRepository(enhanced, 'a-repo', 'SCAN_ON_PUSH', 'BASIC')).toBeUndefined();
  });

  it('reports a registry that would have to downgrade as drift enforce cannot fix', () => {
    const finding = scanningControl.check({
      repository: repository({ scanFrequency: 'SCAN_ON_PUSH' }),
      registry: registry({ scanning: { scanType: 'ENHANCED', rules: [] } }),
      desired: settings({ frequency: 'SCAN_ON_PUSH', scanType: 'BASIC', mode: 'enforce' }),
    });

    expect(finding).toMatchObject({ status: 'drift', fixable: false });
    expect(finding.remediation).toBeUndefined();
    expect(finding.fix).toMatch(/by hand/);
  });

  it('merges several single-repository fixes into one configuration with every filter', () => {
    const before: RegistryScanningConfiguration = { scanType: 'BASIC', rules: [] };
    const a = coverRepository(before, 'a-repo', 'SCAN_ON_PUSH', undefined);
    const b = coverRepository(before, 'b-repo', 'CONTINUOUS_SCAN', 'ENHANCED');
    if (!a || !b) throw new Error('expected both fixes');

    expect(mergeScanningConfigurations(before, [a, b])).toEqual({
      scanType: 'ENHANCED',
      rules: [
        { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'a-repo', filterType: 'WILDCARD' }] },
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [{ filter: 'b-repo', filterType: 'WILDCARD' }],
        },
      ],
    });
  });
});
