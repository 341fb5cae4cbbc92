import * as z from 'zod';
import {
  drift,
  type Finding,
  modeSchema,
  pass,
  type RepositoryControl,
  repositorySubject,
} from './control.ts';
import type {
  RegistryScanningConfiguration,
  RegistryScanningRule,
  ScanFrequency,
  ScanType,
} from './state.ts';

/**
 * Scanning: the registry's scanning rules cover the repository with the required frequency (and scan type).
 * Scanning is configured per registry (PutRegistryScanningConfiguration); the per-repository `scanOnPush` is
 * deprecated. BASIC supports SCAN_ON_PUSH only; ENHANCED (Inspector) supports SCAN_ON_PUSH and CONTINUOUS_SCAN;
 * a repository no rule covers is MANUAL.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutRegistryScanningConfiguration.html
 */

/** Filters per scanning rule (API model: repositoryFilters 0..100). */
export const MAX_SCANNING_FILTERS_PER_RULE = 100;

export const scanningSettingsSchema = z
  .strictObject({
    /** The least a repository must get: CONTINUOUS_SCAN also satisfies SCAN_ON_PUSH. */
    frequency: z.enum(['SCAN_ON_PUSH', 'CONTINUOUS_SCAN']).default('SCAN_ON_PUSH'),
    /** The registry's scan type; omitted: either (ENHANCED when frequency is CONTINUOUS_SCAN). */
    scanType: z.enum(['BASIC', 'ENHANCED']).optional(),
    mode: modeSchema,
  })
  .superRefine((s, ctx) => {
    if (s.frequency === 'CONTINUOUS_SCAN' && s.scanType === 'BASIC')
      ctx.addIssue({
        code: 'custom',
        path: ['scanType'],
        message: 'BASIC scanning only scans on push; CONTINUOUS_SCAN needs ENHANCED',
      });
  });
export type ScanningSettings = z.output<typeof scanningSettingsSchema>;

const RANK: Record<ScanFrequency, number> = { MANUAL: 0, SCAN_ON_PUSH: 1, CONTINUOUS_SCAN: 2 };

/** The scan type the settings require, if any: continuous scanning exists only with ENHANCED. */
export function requiredScanType(settings: ScanningSettings): ScanType | undefined {
  return settings.scanType ?? (settings.frequency === 'CONTINUOUS_SCAN' ? 'ENHANCED' : undefined);
}

/**
 * The registry configuration with `repositoryName` added (as a literal wildcard filter) to the rule of
 * `frequency`, switched to `scanType` if given; undefined when that can't be done without taking coverage away
 * from other repositories (ENHANCED → BASIC drops every continuous rule) or the rule is full.
 */
export function coverRepository(
  current: RegistryScanningConfiguration,
  repositoryName: string,
  frequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN',
  scanType: ScanType | undefined,
): RegistryScanningConfiguration | undefined {
  const targetType = scanType ?? current.scanType;
  if (current.scanType === 'ENHANCED' && targetType === 'BASIC') return undefined;
  const rules: RegistryScanningRule[] = [...current.rules];
  const index = rules.findIndex((r) => r.scanFrequency === frequency);
  const existing = index === -1 ? undefined : rules[index];
  const filters = existing?.repositoryFilters ?? [];
  if (!filters.some((f) => f.filter === repositoryName)) {
    if (filters.length >= MAX_SCANNING_FILTERS_PER_RULE) return undefined;
    const rule: RegistryScanningRule = {
      scanFrequency: frequency,
      repositoryFilters: [...filters, { filter: repositoryName, filterType: 'WILDCARD' }],
    };
    if (index === -1) rules.push(rule);
    else rules[index] = rule;
  }
  return { scanType: targetType, rules };
}

/**
 * Several single-repository fixes of the same registry configuration as one: the union of their filters per
 * frequency, ENHANCED if any of them upgrades. Each of `after` is `before` plus additions, so the union loses
 * nothing any of them needed.
 */
export function mergeScanningConfigurations(
  before: RegistryScanningConfiguration,
  after: readonly RegistryScanningConfiguration[],
): RegistryScanningConfiguration {
  const scanType: ScanType = after.some((c) => c.scanType === 'ENHANCED') ? 'ENHANCED' : before.scanType;
  const order: ScanFrequency[] = [];
  const filters = new Map<ScanFrequency, string[]>();
  for (const config of [before, ...after]) {
    for (const rule of config.rules) {
      if (!filters.has(rule.scanFrequency)) {
        order.push(rule.scanFrequency);
        filters.set(rule.scanFrequency, []);
      }
      const list = filters.get(rule.scanFrequency) ?? [];
      for (const f of rule.repositoryFilters) if (!list.includes(f.filter)) list.push(f.filter);
    }
  }
  return {
    scanType,
    rules: order.map((scanFrequency) => ({
      scanFrequency,
      repositoryFilters: (filters.get(scanFrequency) ?? []).map((filter) => ({
        filter,
        filterType: 'WILDCARD' as const,
      })),
    })),
  };
}

function describe(frequency: string, scanType: string | undefined): string {
  return scanType === undefined ? frequency : `${frequency} (${scanType})`;
}

export const scanningControl: RepositoryControl<ScanningSettings> = {
  id: 'scanning',
  title: 'Images are scanned',
  scope: 'repository',
  check({ repository, registry, desired }): Finding {
    const subject = repositorySubject(repository);
    const scanType = requiredScanType(desired);
    const expected = `${describe(desired.frequency, scanType)} or better`;
    const actual = describe(repository.scanFrequency, registry.scanning.scanType);
    const frequencyOk = RANK[repository.scanFrequency] >= RANK[desired.frequency];
    const typeOk = scanType === undefined || registry.scanning.scanType === scanType;
    if (frequencyOk && typeOk) return pass('scanning', subject, desired.mode, expected, actual);

    const after = coverRepository(registry.scanning, repository.repositoryName, desired.frequency, scanType);
    const typeChange =
      !typeOk && scanType !== undefined
        ? ` and switch the registry's scan type to ${scanType} (registry-wide)`
        : '';
    const fix =
      after === undefined
        ? `the registry's scanning rules can't be extended safely (${registry.scanning.scanType} → ${scanType ?? registry.scanning.scanType}, or the ${desired.frequency} rule is full): change them by hand so ${repository.repositoryName} is scanned ${desired.frequency}`
        : `add ${repository.repositoryName} to the registry's ${desired.frequency} scanning rule${typeChange} (PutRegistryScanningConfiguration)`;
    return drift('scanning', subject, desired.mode, {
      expected,
      actual,
      fix,
      remediation:
        after === undefined
          ? undefined
          : {
              action: 'PutRegistryScanningConfiguration',
              input: after,
              before: registry.scanning,
              after,
            },
    });
  },
};
