import { createHash } from 'node:crypto';
import { groupOf } from '../../shared/repository-groups.ts';
import { compareSeverity, type Severity } from '../../shared/severity.ts';

/**
 * The scan gate policy of one repository: defaults ← repository group ← environment.
 * Structural types so the domain does not depend on the config module; the zod output of
 * `src/scan-gate/config-schema.ts` fits them.
 */

/** Per-severity maximum; `null` lifts a limit set by a lower layer; a missing severity is not limited. */
export type ThresholdLayer = Readonly<Partial<Record<Severity, number | null | undefined>>>;

export interface GateLayerSettings {
  thresholds?: ThresholdLayer | undefined;
  fixableOnly?: boolean | undefined;
  enforcement?: 'notify' | 'untag' | undefined;
  untagTags?: readonly string[] | undefined;
  alertOn?: 'change' | 'always' | undefined;
}

export interface GateSettings {
  defaults: GateLayerSettings;
  groups: Readonly<Record<string, GateLayerSettings>>;
  environments: Readonly<Record<string, GateLayerSettings>>;
}

export interface PolicyConfig {
  scanGate: GateSettings;
  repositoryGroups: readonly { name: string; repositories: readonly string[] }[];
  environments: readonly { name: string; repositoryTemplate: string }[];
}

/** The policy that applies to one repository. */
export interface EffectivePolicy {
  /** Only limited severities, worst first; a severity not present is unlimited. */
  thresholds: Readonly<Record<Severity, number>>;
  fixableOnly: boolean;
  enforcement: 'notify' | 'untag';
  /** Tags to remove from a failing image when `enforcement` is `untag` (else empty). */
  untagTags: readonly string[];
  alertOn: 'change' | 'always';
  /** Where the settings came from (not part of the policy hash). */
  source: { group?: string | undefined; environment?: string | undefined; application?: string | undefined };
}

/**
 * The gate when the configuration says nothing: no CRITICAL or HIGH finding allowed, alert on a change, never
 * untag. The config schema fills `scanGate.defaults` from it and {@link policyFor} starts from it.
 */
export const DEFAULT_GATE = {
  thresholds: { CRITICAL: 0, HIGH: 0 },
  fixableOnly: false,
  enforcement: 'notify',
  untagTags: [],
  alertOn: 'change',
} as const satisfies Required<GateLayerSettings>;

/**
 * Turn a repository template such as `{app}-{env}` into a regex for one environment: `{env}` becomes the
 * environment's name literally, `{app}` captures one or more characters, everything else is literal.
 */
export function templateToRegExp(template: string, environmentName: string): RegExp {
  const parts = template.split('{app}').map((part) =>
    part
      .split('{env}')
      .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join(environmentName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  );
  const [first = '', ...rest] = parts;
  return new RegExp(
    `^${first}${rest.map((part, i) => `${i === 0 ? '(?<app>.+?)' : '\\k<app>'}${part}`).join('')}$`,
  );
}

/**
 * The environment (and application) a repository belongs to: the environment whose template produces the
 * name. When several do (e.g. a template without `{env}`), the most specific wins — the one whose literal
 * part is longest — and among equals the first configured.
 */
export function environmentOf(
  environments: readonly { name: string; repositoryTemplate: string }[],
  repositoryName: string,
): { environment: string; application: string } | undefined {
  let best: { environment: string; application: string; literal: number } | undefined;
  for (const env of environments) {
    const match = templateToRegExp(env.repositoryTemplate, env.name).exec(repositoryName);
    const application = match?.groups?.app;
    if (application === undefined) continue;
    const literal =
      repositoryName.length - application.length * (env.repositoryTemplate.split('{app}').length - 1);
    if (best === undefined || literal > best.literal) best = { environment: env.name, application, literal };
  }
  return best && { environment: best.environment, application: best.application };
}

/**
 * The effective policy of a repository: built-in ← `scanGate.defaults` ← the first matching group ← the
 * environment whose template produces the name. `thresholds` of the defaults replace the built-in ones
 * whole; thresholds of a group or environment override per severity (`null` lifts a limit); other keys
 * override when set.
 */
export function policyFor(config: PolicyConfig, repositoryName: string): EffectivePolicy {
  const group = groupOf(config.repositoryGroups, repositoryName);
  const env = environmentOf(config.environments, repositoryName);
  const layers = [
    group === undefined ? undefined : config.scanGate.groups[group],
    env === undefined ? undefined : config.scanGate.environments[env.environment],
  ].filter((l): l is GateLayerSettings => l !== undefined);

  const thresholds: Record<Severity, number | null | undefined> = {
    ...(config.scanGate.defaults.thresholds ?? DEFAULT_GATE.thresholds),
  };
  let merged: GateLayerSettings = { ...DEFAULT_GATE, ...definedOnly(config.scanGate.defaults) };
  for (const layer of layers) {
    Object.assign(thresholds, layer.thresholds ?? {});
    merged = { ...merged, ...definedOnly(layer) };
  }
  const limited = Object.entries(thresholds)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .sort(([a], [b]) => compareSeverity(a, b));
  const enforcement = merged.enforcement ?? DEFAULT_GATE.enforcement;
  return {
    thresholds: Object.fromEntries(limited),
    fixableOnly: merged.fixableOnly ?? DEFAULT_GATE.fixableOnly,
    enforcement,
    untagTags: enforcement === 'untag' ? [...new Set(merged.untagTags ?? DEFAULT_GATE.untagTags)] : [],
    alertOn: merged.alertOn ?? DEFAULT_GATE.alertOn,
    source: { group, environment: env?.environment, application: env?.application },
  };
}

function definedOnly(layer: GateLayerSettings): GateLayerSettings {
  return Object.fromEntries(
    Object.entries(layer).filter(([key, value]) => value !== undefined && key !== 'thresholds'),
  ) as GateLayerSettings;
}

/**
 * sha256 (hex) of the canonical JSON of what decides and enforces a verdict (thresholds, fixableOnly,
 * enforcement, untagTags, alertOn). Key order and the policy's `source` do not change it.
 */
export function policyHash(policy: Omit<EffectivePolicy, 'source'>): string {
  const relevant = {
    thresholds: policy.thresholds,
    fixableOnly: policy.fixableOnly,
    enforcement: policy.enforcement,
    untagTags: [...policy.untagTags].sort(),
    alertOn: policy.alertOn,
  };
  return createHash('sha256').update(canonicalJson(relevant)).digest('hex');
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
