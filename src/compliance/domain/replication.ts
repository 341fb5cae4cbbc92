import * as z from 'zod';
import { drift, type Finding, modeSchema, pass, type RegistryControl, type Subject } from './control.ts';
import type { ReplicationRule } from './state.ts';

/**
 * Replication: the registry's replication rules equal the desired ones. Compared by meaning, not order: what
 * counts is which repositories (prefix filters; none means all) go to which destinations (account and Region),
 * so two rules or one rule with both destinations are the same configuration. Enforce puts the desired rules
 * (PutReplicationConfiguration replaces the whole configuration; replication never deletes images).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutReplicationConfiguration.html
 */

/** Service quotas: 10 rules, 25 unique destinations, 100 filters per rule. */
export const REPLICATION_LIMITS = { rules: 10, destinations: 25, filtersPerRule: 100 } as const;

const destinationSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS Region such as eu-west-1'),
  registryId: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id, e.g. "123456789012"'),
});

const ruleSchema = z.strictObject({
  destinations: z.array(destinationSchema).min(1).max(REPLICATION_LIMITS.destinations),
  /** Repository name prefixes (PREFIX_MATCH); omitted: every repository. */
  prefixes: z.array(z.string().min(2).max(256)).min(1).max(REPLICATION_LIMITS.filtersPerRule).optional(),
});

export const replicationSettingsSchema = z
  .strictObject({
    /** The complete desired configuration; `[]` means no replication at all. */
    rules: z.array(ruleSchema).max(REPLICATION_LIMITS.rules),
    mode: modeSchema,
  })
  .superRefine((s, ctx) => {
    const unique = new Set(s.rules.flatMap((r) => r.destinations.map((d) => `${d.registryId}/${d.region}`)));
    if (unique.size > REPLICATION_LIMITS.destinations)
      ctx.addIssue({
        code: 'custom',
        path: ['rules'],
        message: `at most ${REPLICATION_LIMITS.destinations} unique destinations (found ${unique.size})`,
      });
  });
export type ReplicationSettings = z.output<typeof replicationSettingsSchema>;

/** The desired rules as PutReplicationConfiguration takes them. */
export function desiredReplicationRules(settings: ReplicationSettings): ReplicationRule[] {
  return settings.rules.map((rule) => ({
    destinations: rule.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
    ...(rule.prefixes
      ? {
          repositoryFilters: rule.prefixes.map((filter) => ({ filter, filterType: 'PREFIX_MATCH' as const })),
        }
      : {}),
  }));
}

const EVERY = '';

/** Destination → prefixes ('' for every repository): what a configuration replicates, order-free. */
function coverage(rules: readonly ReplicationRule[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const rule of rules) {
    const filters = rule.repositoryFilters?.length ? rule.repositoryFilters.map((f) => f.filter) : [EVERY];
    for (const d of rule.destinations) {
      const key = `${d.registryId}/${d.region}`;
      const set = map.get(key) ?? new Set<string>();
      for (const f of filters) set.add(f);
      map.set(key, set);
    }
  }
  return map;
}

function describeCoverage(destination: string, prefixes: readonly string[]): string {
  const every = prefixes.includes(EVERY);
  const named = prefixes.filter((p) => p !== EVERY);
  const parts = [
    every ? 'every repository' : undefined,
    named.length ? `prefixes ${named.join(', ')}` : undefined,
  ];
  return `${destination} for ${parts.filter((p) => p !== undefined).join(' and ')}`;
}

/** What the actual rules lack and have beyond the desired ones, one readable line per destination. */
export function replicationDiff(
  desired: readonly ReplicationRule[],
  actual: readonly ReplicationRule[],
): { missing: string[]; extra: string[] } {
  const want = coverage(desired);
  const have = coverage(actual);
  const side = (from: Map<string, Set<string>>, other: Map<string, Set<string>>) =>
    [...from.entries()]
      .map(([destination, prefixes]) => {
        const absent = [...prefixes].filter((p) => !(other.get(destination)?.has(p) ?? false)).sort();
        return absent.length ? describeCoverage(destination, absent) : undefined;
      })
      .filter((line): line is string => line !== undefined)
      .sort();
  return { missing: side(want, have), extra: side(have, want) };
}

function summary(rules: readonly ReplicationRule[]): string {
  const map = coverage(rules);
  if (map.size === 0) return 'no replication';
  return [...map.entries()]
    .map(([d, p]) => describeCoverage(d, [...p].sort()))
    .sort()
    .join('; ');
}

export const replicationControl: RegistryControl<ReplicationSettings> = {
  id: 'replication',
  title: 'Replication rules are the desired ones',
  scope: 'registry',
  check({ registry, desired }): Finding[] {
    const subject: Subject = { kind: 'registry', registryId: registry.registryId, item: 'replication' };
    const rules = desiredReplicationRules(desired);
    const { missing, extra } = replicationDiff(rules, registry.replication.rules);
    const expected = summary(rules);
    const actual = summary(registry.replication.rules);
    if (missing.length === 0 && extra.length === 0)
      return [pass('replication', subject, desired.mode, expected, actual)];
    return [
      drift('replication', subject, desired.mode, {
        expected,
        actual,
        details: [...missing.map((m) => `missing: ${m}`), ...extra.map((e) => `extra: ${e}`)],
        fix: 'put the desired replication rules (PutReplicationConfiguration)',
        remediation: {
          action: 'PutReplicationConfiguration',
          input: { replicationConfiguration: { rules } },
          before: registry.replication,
          after: { rules },
        },
      }),
    ];
  },
};
