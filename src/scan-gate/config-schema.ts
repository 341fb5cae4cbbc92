import * as z from 'zod';
import { SEVERITY_ORDER } from '../shared/severity.ts';
import { SSM_PARAMETER_NAME_PATTERN } from '../shared/ssm-names.ts';
import { DEFAULT_GATE } from './domain/policy.ts';

/**
 * The scan gate and alert sections of `sentinel.config.yml`: `scanGate`, `exceptions`, `alerts`.
 * Spread {@link scanPolicyConfigShape} into the top-level strict object and call
 * {@link checkScanPolicyReferences} from its superRefine (group and environment names must exist).
 *
 * ```yaml
 * scanGate:
 *   defaults: { thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: 10 }, fixableOnly: false, enforcement: notify, alertOn: change }
 *   groups:
 *     services: { thresholds: { HIGH: 2 } }
 *   environments:
 *     prod: { thresholds: { MEDIUM: 0 }, enforcement: untag, untagTags: [latest] }
 *     dev: { thresholds: { HIGH: ~ } }        # null: no limit for HIGH in dev
 * exceptions:
 *   - { cve: CVE-2024-1234, repositories: ['orders-api-*'], expires: 2027-01-31, owner: alice@example.com, reason: 'not reachable', ticket: SEC-12 }
 * alerts:
 *   email: [platform@example.com]
 *   slack: { webhookParameter: /ecr-sentinel/slack-webhook }
 * ```
 */

/** A required string whose absence is reported as "required: <what>" rather than a type error. */
function requiredString(what: string) {
  return z
    .string({
      error: (issue) => (issue.input === undefined ? `required: ${what}` : `expected a string (${what})`),
    })
    .trim()
    .min(1, `required: ${what}`);
}

/** Maximum findings per severity; `null` (YAML `~`) lifts a limit set by a lower layer. */
const thresholdValue = z.number().int().min(0).nullable();

/** Per-severity limits; a severity not listed is unlimited (unless a lower layer limits it). */
export const thresholdsSchema = z.strictObject(
  Object.fromEntries(SEVERITY_ORDER.map((s) => [s, thresholdValue.optional()])) as Record<
    (typeof SEVERITY_ORDER)[number],
    z.ZodOptional<typeof thresholdValue>
  >,
);

/** An ECR image tag, exactly (no wildcards: untagging removes these tags and nothing else). */
const imageTag = z.string().regex(/^[a-zA-Z0-9_.-]{1,300}$/, 'expected an image tag such as latest');

const enforcement = z.enum(['notify', 'untag']);
const alertOn = z.enum(['change', 'always']);

/** One layer of gate settings (defaults, a repository group, an environment); every key optional. */
export const gateLayerSchema = z.strictObject({
  thresholds: thresholdsSchema.optional(),
  /** Count only findings with a fix (findings whose fix status is unknown still count). */
  fixableOnly: z.boolean().optional(),
  /** `notify` (default) alerts only; `untag` also removes `untagTags` from a failing image. Never deletes. */
  enforcement: enforcement.optional(),
  untagTags: z.array(imageTag).min(1).optional(),
  /** `change` (default): alert when the verdict changes; `always`: on every evaluation. */
  alertOn: alertOn.optional(),
});

/** `scanGate.defaults`: a key left out takes its value from {@link DEFAULT_GATE}. */
export const gateDefaultsSchema = z.strictObject({
  /** Replaces the built-in thresholds as a whole: a severity not listed is unlimited. */
  thresholds: thresholdsSchema.default({ ...DEFAULT_GATE.thresholds }),
  fixableOnly: z.boolean().default(DEFAULT_GATE.fixableOnly),
  enforcement: enforcement.default(DEFAULT_GATE.enforcement),
  untagTags: z.array(imageTag).default([...DEFAULT_GATE.untagTags]),
  alertOn: alertOn.default(DEFAULT_GATE.alertOn),
});

export const scanGateSchema = z
  .strictObject({
    defaults: gateDefaultsSchema.prefault({}),
    /** By repository group name (`repositoryGroups[].name`); a repository uses its first matching group. */
    groups: z.record(z.string().min(1), gateLayerSchema).default({}),
    /** By environment name (`environments[].name`). */
    environments: z.record(z.string().min(1), gateLayerSchema).default({}),
  })
  .superRefine((gate, ctx) => {
    const layers: Array<[string[], z.infer<typeof gateLayerSchema>]> = [
      ...Object.entries(gate.groups).map(([k, v]): [string[], typeof v] => [['groups', k], v]),
      ...Object.entries(gate.environments).map(([k, v]): [string[], typeof v] => [['environments', k], v]),
      [['defaults'], gate.defaults],
    ];
    for (const [path, layer] of layers) {
      if (
        layer.enforcement === 'untag' &&
        (layer.untagTags ?? []).length === 0 &&
        gate.defaults.untagTags.length === 0
      ) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'untagTags'],
          message:
            'required with enforcement: untag: the mutable tags to remove from a failing image, e.g. [latest]',
        });
      }
    }
  });

/** `YYYY-MM-DD` that is a real calendar date. YAML's core schema (what `yaml` uses) reads 2027-01-31 as a string. */
export const isoDateSchema = z.preprocess(
  (value) =>
    value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : value,
  z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'required: expiry date YYYY-MM-DD' : 'expected a date YYYY-MM-DD',
    })
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
    .refine(isRealDate, 'expected a real calendar date YYYY-MM-DD'),
);

function isRealDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export const scanExceptionSchema = z.strictObject({
  cve: requiredString('the vulnerability id, e.g. CVE-2024-1234').regex(
    /^\S+$/,
    'expected a vulnerability id without spaces',
  ),
  repositories: z
    .array(z.string().min(1).max(256), {
      error: (i) => (i.input === undefined ? 'required: repository names or wildcards' : undefined),
    })
    .min(1, 'required: at least one repository name or wildcard'),
  /** Last day the exception applies (UTC); it stops applying the day after. */
  expires: isoDateSchema,
  owner: requiredString('who owns this exception'),
  reason: requiredString('why this vulnerability is accepted'),
  ticket: z.string().trim().min(1).optional(),
});

export const alertsSchema = z.strictObject({
  email: z.array(z.email('expected an email address')).default([]),
  slack: z
    .strictObject({
      /** Name of the SSM SecureString parameter holding the Slack incoming-webhook URL. */
      webhookParameter: z
        .string()
        .regex(
          SSM_PARAMETER_NAME_PATTERN,
          'expected an SSM parameter name such as /ecr-sentinel/slack-webhook',
        ),
    })
    .optional(),
});

/** Keys to spread into the top-level `sentinelConfigSchema` strict object. */
export const scanPolicyConfigShape = {
  scanGate: scanGateSchema.prefault({}),
  exceptions: z.array(scanExceptionSchema).default([]),
  alerts: alertsSchema.prefault({}),
};

/** The three sections on their own (tests, tooling). */
export const scanPolicyConfigSchema = z.strictObject(scanPolicyConfigShape);

export type ScanGateConfig = z.output<typeof scanGateSchema>;
export type GateLayer = z.output<typeof gateLayerSchema>;
export type ScanExceptionConfig = z.output<typeof scanExceptionSchema>;
export type AlertsConfig = z.output<typeof alertsSchema>;

/**
 * Group and environment keys of `scanGate` must name a configured repository group / environment.
 * Call from the top-level schema's superRefine.
 */
export function checkScanPolicyReferences(
  config: {
    scanGate: ScanGateConfig;
    repositoryGroups: readonly { name: string }[];
    environments: readonly { name: string }[];
  },
  ctx: z.RefinementCtx,
): void {
  const groups = new Set(config.repositoryGroups.map((g) => g.name));
  const environments = new Set(config.environments.map((e) => e.name));
  for (const name of Object.keys(config.scanGate.groups)) {
    if (!groups.has(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['scanGate', 'groups', name],
        message: `no repository group "${name}" (repositoryGroups: ${[...groups].join(', ') || 'none'})`,
      });
    }
  }
  for (const name of Object.keys(config.scanGate.environments)) {
    if (!environments.has(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['scanGate', 'environments', name],
        message: `no environment "${name}" (environments: ${[...environments].join(', ') || 'none'})`,
      });
    }
  }
}
