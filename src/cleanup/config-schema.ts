import * as z from 'zod';
import { type LifecyclePolicy, parseLifecyclePolicy } from './domain/lifecycle-policy.ts';

/**
 * The `cleanup` section of `sentinel.config.yml`. Spread {@link cleanupConfigShape} into the top-level strict
 * object and call {@link checkCleanupReferences} from its superRefine (group names must exist).
 *
 * ```yaml
 * cleanup:
 *   dryRun: true              # the scheduled run only reports until this is false
 *   pricePerGbMonth: 0.10     # ECR standard storage, USD per GB-month, for the savings figure
 *   noticeDays: 0             # > 0: announce what will go, delete that many days later
 *   maxDeletions: { images: 500, percent: 50 }   # per repository and run; above either, refuse and alert
 *   defaults:
 *     policy:                 # an ECR lifecycle policy, as put-lifecycle-policy takes it (YAML or JSON)
 *       rules:
 *         - { rulePriority: 1, selection: { tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 14 }, action: { type: expire } }
 *     protect:
 *       minAgeDays: 7
 *       keepTagPatterns: ['release-*']
 *       inUse: { ecs: { taskDefinitionRevisions: 5 }, lambda: true, inspector: { withinDays: 30 } }
 *       promoted: { previous: 2 }
 *   groups:
 *     services: { protect: { minAgeDays: 14 } }
 * ```
 */

/** Defaults, the one home of each. */
export const CLEANUP_DEFAULTS = {
  dryRun: true,
  /** ECR standard storage in us-east-1, USD per GB-month (https://aws.amazon.com/ecr/pricing/). */
  pricePerGbMonth: 0.1,
  noticeDays: 0,
  maxDeletions: { images: 1000, percent: 80 },
  protect: {
    minAgeDays: 7,
    keepTagPatterns: [] as string[],
    inUse: {
      ecs: { taskDefinitionRevisions: 5 },
      lambda: true,
      inspector: { withinDays: 30 },
    },
    promoted: { previous: 2 },
  },
} as const;

/**
 * A lifecycle policy in the config, checked with the same rules as ECR's PutLifecyclePolicy; each problem's path
 * points into the policy (`rules[2].selection.countNumber`).
 */
export const lifecyclePolicySchema = z.unknown().transform((input, ctx): LifecyclePolicy => {
  const result = parseLifecyclePolicy(input);
  if (result.ok) return result.policy;
  for (const problem of result.problems) {
    ctx.addIssue({
      code: 'custom',
      message: problem.text,
      path: problem.ruleIndex === undefined ? [] : ['rules', problem.ruleIndex, ...problem.field.split('.')],
    });
  }
  return z.NEVER;
});

/** ECR-style wildcard over tags. */
const tagPattern = z.string().min(1).max(300);

const inUseLayerSchema = z.strictObject({
  /** ECS: running and pending tasks, services' current deployments, the newest N revisions of each family. */
  ecs: z
    .union([z.literal(false), z.strictObject({ taskDefinitionRevisions: z.number().int().min(0).max(1000) })])
    .optional(),
  /** Lambda functions packaged as images: every published version and alias. */
  lambda: z.boolean().optional(),
  /** Inspector's in-use data (EKS, ECS and more) where enhanced scanning is on: used within N days. */
  inspector: z
    .union([z.literal(false), z.strictObject({ withinDays: z.number().int().min(1).max(365) })])
    .optional(),
});

const protectLayerSchema = z.strictObject({
  /** Images pushed (or restored) less than this many days ago are kept. */
  minAgeDays: z.number().int().min(0).max(3650).optional(),
  /** Images with a tag matching one of these wildcards are kept. */
  keepTagPatterns: z.array(tagPattern).optional(),
  inUse: inUseLayerSchema.optional(),
  /** The digest each environment runs now plus this many before it, from the promotion records. */
  promoted: z
    .union([z.literal(false), z.strictObject({ previous: z.number().int().min(0).max(100) })])
    .optional(),
});

const capSchema = z.strictObject({
  /** At most this many deletions per repository and run. */
  images: z.number().int().min(1),
  /** At most this percentage of a repository's images per run. */
  percent: z.number().min(1).max(100),
});

const layerSchema = z.strictObject({
  policy: lifecyclePolicySchema.optional(),
  protect: protectLayerSchema.optional(),
  maxDeletions: capSchema.partial().optional(),
});

const cleanupSchema = z.strictObject({
  dryRun: z.boolean().default(CLEANUP_DEFAULTS.dryRun),
  pricePerGbMonth: z.number().min(0).max(100).default(CLEANUP_DEFAULTS.pricePerGbMonth),
  noticeDays: z.number().int().min(0).max(90).default(CLEANUP_DEFAULTS.noticeDays),
  maxDeletions: capSchema.default({ ...CLEANUP_DEFAULTS.maxDeletions }),
  defaults: layerSchema.default({}),
  /** By repository group name (`repositoryGroups[].name`); a repository uses its first matching group. */
  groups: z.record(z.string().min(1), layerSchema).default({}),
});

/** Spread into the configuration's top-level object. */
export const cleanupConfigShape = {
  cleanup: cleanupSchema.prefault({}),
};

/** The validated `cleanup` section. */
export type CleanupSettings = z.output<typeof cleanupSchema>;
type ProtectLayer = z.output<typeof protectLayerSchema>;

/** Group keys of `cleanup.groups` must name a configured repository group. */
export function checkCleanupReferences(
  config: { cleanup: CleanupSettings; repositoryGroups: readonly { name: string }[] },
  ctx: z.RefinementCtx,
): void {
  const groups = new Set(config.repositoryGroups.map((g) => g.name));
  for (const name of Object.keys(config.cleanup.groups)) {
    if (!groups.has(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cleanup', 'groups', name],
        message: `no repository group "${name}" (repositoryGroups: ${[...groups].join(', ') || 'none'})`,
      });
    }
  }
}

/** What protects images of one repository, every layer merged. */
export interface ProtectSettings {
  readonly minAgeDays: number;
  readonly keepTagPatterns: readonly string[];
  /** Newest task-definition revisions per family kept; undefined when the ECS signal is off. */
  readonly ecsTaskDefinitionRevisions: number | undefined;
  readonly lambda: boolean;
  /** Inspector's in-use window in days; undefined when off. */
  readonly inspectorWithinDays: number | undefined;
  /** Previous promoted digests kept per environment; undefined when off. */
  readonly promotedPrevious: number | undefined;
}

/** The cleanup settings of one repository: built-in ← `cleanup.defaults` ← its group. */
export interface RepositoryCleanupSettings {
  /** The configured policy, or undefined when the config names none (then the repository's own applies). */
  readonly policy: LifecyclePolicy | undefined;
  readonly protect: ProtectSettings;
  readonly maxDeletions: { readonly images: number; readonly percent: number };
}

function mergeProtect(layers: readonly (ProtectLayer | undefined)[]): ProtectSettings {
  const d = CLEANUP_DEFAULTS.protect;
  let minAgeDays: number = d.minAgeDays;
  let keepTagPatterns: readonly string[] = d.keepTagPatterns;
  let ecs: number | undefined = d.inUse.ecs.taskDefinitionRevisions;
  let lambda: boolean = d.inUse.lambda;
  let inspector: number | undefined = d.inUse.inspector.withinDays;
  let promoted: number | undefined = d.promoted.previous;
  for (const layer of layers) {
    if (layer === undefined) continue;
    minAgeDays = layer.minAgeDays ?? minAgeDays;
    keepTagPatterns = layer.keepTagPatterns ?? keepTagPatterns;
    if (layer.inUse?.ecs !== undefined)
      ecs = layer.inUse.ecs === false ? undefined : layer.inUse.ecs.taskDefinitionRevisions;
    lambda = layer.inUse?.lambda ?? lambda;
    if (layer.inUse?.inspector !== undefined)
      inspector = layer.inUse.inspector === false ? undefined : layer.inUse.inspector.withinDays;
    if (layer.promoted !== undefined)
      promoted = layer.promoted === false ? undefined : layer.promoted.previous;
  }
  return {
    minAgeDays,
    keepTagPatterns,
    ecsTaskDefinitionRevisions: ecs,
    lambda,
    inspectorWithinDays: inspector,
    promotedPrevious: promoted,
  };
}

/**
 * The effective settings of a repository in group `group` (see `groupOf`): a group's policy replaces the
 * defaults' policy whole; protect keys and caps override one by one.
 */
export function cleanupSettingsFor(
  settings: CleanupSettings,
  group: string | undefined,
): RepositoryCleanupSettings {
  const groupLayer = group === undefined ? undefined : settings.groups[group];
  return {
    policy: groupLayer?.policy ?? settings.defaults.policy,
    protect: mergeProtect([settings.defaults.protect, groupLayer?.protect]),
    maxDeletions: {
      ...settings.maxDeletions,
      ...settings.defaults.maxDeletions,
      ...groupLayer?.maxDeletions,
    },
  };
}
