import * as z from 'zod';
import type { CreationTemplatesDesired } from './domain/creation-templates.ts';
import { creationTemplatesSettingsSchema } from './domain/creation-templates.ts';
import { type EncryptionSettings, encryptionSettingsSchema } from './domain/encryption.ts';
import { type LifecyclePolicySettings, lifecyclePolicySettingsSchema } from './domain/lifecycle-policy.ts';
import { type ReplicationSettings, replicationSettingsSchema } from './domain/replication.ts';
import { type RepositoryPolicySettings, repositoryPolicySettingsSchema } from './domain/repository-policy.ts';
import { type ResourceTagsSettings, resourceTagsSettingsSchema } from './domain/resource-tags.ts';
import { type ScanningSettings, scanningSettingsSchema } from './domain/scanning.ts';
import { type TagMutabilitySettings, tagMutabilitySettingsSchema } from './domain/tag-mutability.ts';

/**
 * The `compliance` section of `sentinel.config.yml`: the desired state of repositories, per repository group,
 * and of the registry. Spread {@link complianceConfigShape} into the top-level strict object and call
 * {@link checkComplianceReferences} from its superRefine. Each control's own settings schema lives with the
 * control (src/compliance/domain/<control>.ts); this file composes them.
 *
 * A check is on when its key is present (in `defaults` or the repository's group); a group's entry replaces the
 * defaults' entry whole, and `false` turns the check off for the group. Every check has `mode: audit | enforce`
 * (default audit).
 *
 * ```yaml
 * compliance:
 *   defaults:
 *     scanning: { frequency: SCAN_ON_PUSH, mode: enforce }
 *     tagMutability: { mutability: IMMUTABLE_WITH_EXCLUSION, exclusionFilters: [latest] }
 *     encryption: { type: AES256 }
 *     lifecyclePolicy: { capUntagged: true, capTagged: true }   # template: {rules: [...]} to enforce
 *     repositoryPolicy: { allowedAccounts: ['111122223333'], mode: enforce }
 *     resourceTags: { required: [team, cost-center], values: { team: platform } }
 *   groups:
 *     services: { tagMutability: { mutability: IMMUTABLE }, encryption: { type: KMS, kmsKey: 'arn:aws:kms:…' } }
 *     sandbox: { lifecyclePolicy: false }
 *   registry:
 *     replication: { rules: [{ destinations: [{ region: eu-west-1, registryId: '111122223333' }], prefixes: [prod-] }] }
 *     creationTemplates: { templates: [{ prefix: services/, group: services }] }
 * ```
 */

/**
 * A check's settings, or `false` to turn it off. Not a zod union: a union reports "Invalid input" on the key
 * instead of the field inside that is wrong.
 */
function switchable<S extends z.ZodType>(schema: S) {
  return z.unknown().transform((input, ctx): z.output<S> | false => {
    if (input === false) return false;
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    // The inner issues as they are, paths relative to this key, so the loader names the field and its line.
    // `never`: addIssue's parameter type is the union of raw issue shapes, and a finished issue (same fields,
    // plus a message) is one of them at runtime but not provably so to the compiler.
    for (const issue of result.error.issues) ctx.addIssue(issue as never);
    return z.NEVER;
  });
}

const layerSchema = z.strictObject({
  scanning: switchable(scanningSettingsSchema).optional(),
  tagMutability: switchable(tagMutabilitySettingsSchema).optional(),
  encryption: switchable(encryptionSettingsSchema).optional(),
  lifecyclePolicy: switchable(lifecyclePolicySettingsSchema).optional(),
  repositoryPolicy: switchable(repositoryPolicySettingsSchema).optional(),
  resourceTags: switchable(resourceTagsSettingsSchema).optional(),
});

const complianceSchema = z.strictObject({
  defaults: layerSchema.default({}),
  /** By repository group name (`repositoryGroups[].name`); a repository uses its first matching group. */
  groups: z.record(z.string().min(1), layerSchema).default({}),
  registry: z
    .strictObject({
      replication: replicationSettingsSchema.optional(),
      creationTemplates: creationTemplatesSettingsSchema.optional(),
    })
    .default({}),
});

/** Spread into the configuration's top-level object. */
export const complianceConfigShape = {
  compliance: complianceSchema.prefault({}),
};

/** The validated `compliance` section. */
export type ComplianceSettings = z.output<typeof complianceSchema>;

/** Group names used in `compliance` must name a configured repository group. */
export function checkComplianceReferences(
  config: { compliance: ComplianceSettings; repositoryGroups: readonly { name: string }[] },
  ctx: z.RefinementCtx,
): void {
  const groups = new Set(config.repositoryGroups.map((g) => g.name));
  const known = `(repositoryGroups: ${[...groups].join(', ') || 'none'})`;
  for (const name of Object.keys(config.compliance.groups)) {
    if (!groups.has(name))
      ctx.addIssue({
        code: 'custom',
        path: ['compliance', 'groups', name],
        message: `no repository group "${name}" ${known}`,
      });
  }
  config.compliance.registry.creationTemplates?.templates.forEach((t, index) => {
    if (t.group !== undefined && !groups.has(t.group))
      ctx.addIssue({
        code: 'custom',
        path: ['compliance', 'registry', 'creationTemplates', 'templates', index, 'group'],
        message: `no repository group "${t.group}" ${known}`,
      });
  });
}

/** The desired state of one repository: each check's settings, absent when the check is off. */
export interface RepositoryDesired {
  readonly scanning?: ScanningSettings;
  readonly tagMutability?: TagMutabilitySettings;
  readonly encryption?: EncryptionSettings;
  readonly lifecyclePolicy?: LifecyclePolicySettings;
  readonly repositoryPolicy?: RepositoryPolicySettings;
  readonly resourceTags?: ResourceTagsSettings;
}

/** The desired state of the registry, each part absent when not configured. */
export interface RegistryDesired {
  readonly replication?: ReplicationSettings;
  readonly creationTemplates?: CreationTemplatesDesired;
}

/**
 * The desired state of a repository in group `group` (see `groupOf`): for each check, the group's entry if it
 * has one (`false`: off), else the defaults' entry.
 */
export function complianceSettingsFor(
  settings: ComplianceSettings,
  group: string | undefined,
): RepositoryDesired {
  const groupLayer = group === undefined ? undefined : settings.groups[group];
  const pick = <K extends keyof RepositoryDesired>(key: K): Partial<Pick<RepositoryDesired, K>> => {
    const value = groupLayer?.[key] !== undefined ? groupLayer[key] : settings.defaults[key];
    return value === undefined || value === false ? {} : ({ [key]: value } as Pick<RepositoryDesired, K>);
  };
  return {
    ...pick('scanning'),
    ...pick('tagMutability'),
    ...pick('encryption'),
    ...pick('lifecyclePolicy'),
    ...pick('repositoryPolicy'),
    ...pick('resourceTags'),
  };
}

/** The registry's desired state, creation templates resolved to their groups' settings. */
export function registryDesiredFor(settings: ComplianceSettings): RegistryDesired {
  const { replication, creationTemplates } = settings.registry;
  return {
    ...(replication ? { replication } : {}),
    ...(creationTemplates
      ? {
          creationTemplates: {
            mode: creationTemplates.mode,
            templates: creationTemplates.templates.map((t) => ({
              prefix: t.prefix,
              appliedFor: t.appliedFor,
              settings: complianceSettingsFor(settings, t.group),
            })),
          },
        }
      : {}),
  };
}
