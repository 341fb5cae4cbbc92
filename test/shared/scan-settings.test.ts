import { describe, expect, it } from 'vitest';
import { type ScanSettings, scanDecision } from '../../src/shared/ecr/scan-settings.ts';

const basic = (over: Partial<ScanSettings> = {}): ScanSettings => ({
  repositoryScanOnPush: false,
  registryScanType: 'BASIC',
  registryRules: [],
  ...over,
});

describe('scan decision for a pushed image', () => {
  it.each([
    ['basic scanning, repository scans on push', basic({ repositoryScanOnPush: true }), 'scans-on-push'],
    ['basic scanning, nothing configured', basic(), 'start-scan'],
    [
      'basic scanning, a registry SCAN_ON_PUSH rule matching by wildcard',
      basic({ registryRules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: ['shop-*'] }] }),
      'scans-on-push',
    ],
    [
      'basic scanning, a registry rule for other repositories',
      basic({ registryRules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: ['billing-*'] }] }),
      'start-scan',
    ],
    [
      'basic scanning, a MANUAL registry rule',
      basic({ registryRules: [{ scanFrequency: 'MANUAL', repositoryFilters: ['*'] }] }),
      'start-scan',
    ],
    [
      'enhanced scanning with a continuous rule',
      basic({
        registryScanType: 'ENHANCED',
        registryRules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: ['*'] }],
      }),
      'scans-on-push',
    ],
    [
      'enhanced scanning with no rule covering the repository',
      basic({ registryScanType: 'ENHANCED', repositoryScanOnPush: true, registryRules: [] }),
      'not-scannable',
    ],
  ])('%s → %s', (_case, settings, expected) => {
    expect(scanDecision(settings, 'shop-dev')).toBe(expected);
  });
});
