import * as z from 'zod';
import { parseLifecyclePolicy } from '../../cleanup/index.ts';
import {
  type CreationTemplateInput,
  drift,
  type Finding,
  type Mode,
  modeSchema,
  pass,
  type RegistryControl,
  type Subject,
} from './control.ts';
import { desiredEncryption, type EncryptionSettings, judgeEncryption } from './encryption.ts';
import {
  capProblems,
  judgeLifecyclePolicy,
  type LifecyclePolicySettings,
  templateText,
} from './lifecycle-policy.ts';
import { fixingTags, type ResourceTagsSettings, tagProblems } from './resource-tags.ts';
import {
  CREATION_TEMPLATE_USES,
  type CreationTemplateUse,
  type RepositoryCreationTemplate,
  type ResourceTag,
} from './state.ts';
import { desiredMutability, judgeMutability, type TagMutabilitySettings } from './tag-mutability.ts';

/**
 * Repository creation templates (what ECR applies to repositories it creates itself: on push, for pull-through
 * cache, for replication) exist for the prefixes the config names and carry the group's settings: mutability,
 * encryption, lifecycle policy, tags, each judged exactly as the repository controls judge a repository.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html
 */

export const creationTemplatesSettingsSchema = z.strictObject({
  templates: z
    .array(
      z.strictObject({
        /** The repository name prefix, or ROOT for every repository no other template matches. */
        prefix: z
          .string()
          .regex(/^(ROOT|[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*\/?)$/, {
            message: 'expected ROOT or a repository name prefix such as services/',
          })
          .max(256),
        /** Whose settings the template must carry (`repositoryGroups[].name`); omitted: the defaults. */
        group: z.string().min(1).optional(),
        appliedFor: z.array(z.enum(CREATION_TEMPLATE_USES)).min(1).default(['CREATE_ON_PUSH']),
      }),
    )
    .min(1),
  mode: modeSchema,
});

/** The repository settings a template must carry (a group's, resolved). */
export interface TemplateSettings {
  readonly tagMutability?: TagMutabilitySettings | undefined;
  readonly encryption?: EncryptionSettings | undefined;
  readonly lifecyclePolicy?: LifecyclePolicySettings | undefined;
  readonly resourceTags?: ResourceTagsSettings | undefined;
}

/** What the control checks: each required prefix with its group's settings resolved. */
export interface CreationTemplatesDesired {
  readonly mode: Mode;
  readonly templates: readonly {
    readonly prefix: string;
    readonly appliedFor: readonly CreationTemplateUse[];
    readonly settings: TemplateSettings;
  }[];
}

/** The problems of an existing template, and whether enforce has what it needs to fix each. */
function templateProblems(
  template: RepositoryCreationTemplate,
  wanted: CreationTemplatesDesired['templates'][number],
): { problems: string[]; fixable: boolean } {
  const problems: string[] = [];
  let fixable = true;
  const s = wanted.settings;
  const uses = wanted.appliedFor.filter((u) => !(template.appliedFor ?? []).includes(u));
  if (uses.length) problems.push(`not applied for ${uses.join(', ')}`);
  if (s.tagMutability) {
    const m = judgeMutability(template, s.tagMutability);
    if (!m.ok) problems.push(`tag mutability ${m.actual}, expected ${m.expected}`);
  }
  if (s.encryption) {
    const e = judgeEncryption(template.encryptionConfiguration, s.encryption);
    if (!e.ok) problems.push(`encryption ${e.actual}, expected ${e.expected}`);
  }
  if (s.lifecyclePolicy) {
    const lp = s.lifecyclePolicy;
    const parsed =
      template.lifecyclePolicy === undefined ? undefined : parseLifecyclePolicy(template.lifecyclePolicy);
    const gaps =
      parsed === undefined
        ? ['no lifecycle policy']
        : parsed.ok
          ? capProblems(judgeLifecyclePolicy(parsed.policy), lp)
          : ['an invalid lifecycle policy'];
    if (gaps.length) {
      problems.push(`lifecycle policy: ${gaps.join('; ')}`);
      if (lp.template === undefined) fixable = false;
    }
  }
  if (s.resourceTags) {
    const tagGaps = tagProblems(template.resourceTags ?? [], s.resourceTags);
    if (tagGaps.length) {
      problems.push(`resource tags: ${tagGaps.map((p) => p.text).join('; ')}`);
      if (fixingTags(tagGaps, s.resourceTags) === undefined) fixable = false;
    }
  }
  return { problems, fixable };
}

/** The template input that carries the settings, keeping an existing template's other tags. */
function templateInput(
  wanted: CreationTemplatesDesired['templates'][number],
  existing: RepositoryCreationTemplate | undefined,
): CreationTemplateInput | undefined {
  const s = wanted.settings;
  let resourceTags: ResourceTag[] | undefined;
  if (s.resourceTags) {
    const current = existing?.resourceTags ?? [];
    const fixes = fixingTags(tagProblems(current, s.resourceTags), s.resourceTags);
    if (fixes === undefined) return undefined;
    const fixed = new Set(fixes.map((t) => t.Key));
    resourceTags = [...current.filter((t) => !fixed.has(t.Key)), ...fixes];
  }
  if (s.lifecyclePolicy && s.lifecyclePolicy.template === undefined && existing === undefined)
    return undefined;
  const appliedFor = [...new Set([...(existing?.appliedFor ?? []), ...wanted.appliedFor])];
  return {
    prefix: wanted.prefix,
    appliedFor,
    ...(s.tagMutability ? desiredMutability(s.tagMutability) : {}),
    ...(s.encryption ? { encryptionConfiguration: desiredEncryption(s.encryption) } : {}),
    ...(s.lifecyclePolicy?.template ? { lifecyclePolicy: templateText(s.lifecyclePolicy.template) } : {}),
    ...(resourceTags ? { resourceTags } : {}),
  };
}

export const creationTemplatesControl: RegistryControl<CreationTemplatesDesired> = {
  id: 'creation-templates',
  title: 'Repository creation templates carry the group settings',
  scope: 'registry',
  check({ registry, desired }): Finding[] {
    return desired.templates.map((wanted) => {
      const subject: Subject = {
        kind: 'registry',
        registryId: registry.registryId,
        item: `creation template ${wanted.prefix}`,
      };
      const expected = `a template for ${wanted.prefix} (${wanted.appliedFor.join(', ')}) with the group's settings`;
      const existing = registry.creationTemplates.find((t) => t.prefix === wanted.prefix);
      const input = templateInput(wanted, existing);
      if (existing === undefined)
        return drift('creation-templates', subject, desired.mode, {
          expected,
          actual: 'no template',
          fix:
            input === undefined
              ? `create a creation template for ${wanted.prefix} (the config lacks a lifecycle template or tag values to create it)`
              : `create the template (CreateRepositoryCreationTemplate)`,
          remediation:
            input === undefined
              ? undefined
              : { action: 'CreateRepositoryCreationTemplate', input, before: null, after: input },
        });
      const { problems, fixable } = templateProblems(existing, wanted);
      if (problems.length === 0)
        return pass('creation-templates', subject, desired.mode, expected, 'a template with those settings');
      return drift('creation-templates', subject, desired.mode, {
        expected,
        actual: problems.join('; '),
        details: problems,
        fix:
          fixable && input !== undefined
            ? 'update the template (UpdateRepositoryCreationTemplate)'
            : 'update the template by hand (the config lacks a lifecycle template or tag values to fix it)',
        remediation:
          fixable && input !== undefined
            ? { action: 'UpdateRepositoryCreationTemplate', input, before: existing, after: input }
            : undefined,
      });
    });
  },
};
