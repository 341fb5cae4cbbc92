import type { EcrContext } from '../ecr/context.ts';
import type { CreationTemplateRecord } from '../ecr/settings-state.ts';
import { templateKey } from '../ecr/settings-state.ts';
import type { RepositoryRecord, TagMutability } from '../ecr/state.ts';

/**
 * Create on push: a push (blob upload or manifest) through the registry API to a repository that does not exist
 * creates it when a repository creation template applied for CREATE_ON_PUSH covers the name, with the
 * template's settings (mutability and exclusions, encryption, resource tags, repository and lifecycle policy);
 * otherwise the push fails with NAME_UNKNOWN. A template covers the repositories under its prefix (`prod` covers
 * `prod/app`: "there is always an assumed / applied to the end of the prefix"); the longest prefix wins, and
 * `ROOT` covers names no other template does.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
 */

/** The CREATE_ON_PUSH template that covers `name`, if any. */
export function templateForPush(
  templates: readonly CreationTemplateRecord[] | undefined,
  name: string,
): CreationTemplateRecord | undefined {
  let best: CreationTemplateRecord | undefined;
  let bestLength = -1;
  for (const template of templates ?? []) {
    if (!template.appliedFor.includes('CREATE_ON_PUSH')) continue;
    const key = templateKey(template.prefix);
    const length = key === 'ROOT' ? 0 : name.startsWith(`${key}/`) ? key.length : -1;
    if (length > bestLength) {
      best = template;
      bestLength = length;
    }
  }
  return best;
}

/** Create `name` from the template that covers it, or answer undefined when none does. */
export function createOnPush(ecr: EcrContext, name: string): RepositoryRecord | undefined {
  const template = templateForPush(ecr.state.settings.creationTemplates, name);
  if (!template) return undefined;
  const encryption: RepositoryRecord['encryption'] = { encryptionType: template.encryption.encryptionType };
  if (template.encryption.encryptionType !== 'AES256') {
    encryption.kmsKey =
      template.encryption.kmsKey ?? `arn:aws:kms:${ecr.options.region}:${ecr.accountId}:alias/aws/ecr`;
  }
  const repo = ecr.state.newRepository({
    name,
    createdAt: ecr.nowMs(),
    imageTagMutability: template.imageTagMutability as TagMutability,
    exclusionFilters: template.exclusionFilters.map((filter) => ({ ...filter })),
    scanOnPush: false,
    encryption,
    resourceTags: new Map(template.resourceTags.map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    ...(template.lifecyclePolicy !== undefined
      ? { lifecyclePolicy: { text: template.lifecyclePolicy } }
      : {}),
    ...(template.repositoryPolicy !== undefined ? { policyText: template.repositoryPolicy } : {}),
  });
  ecr.changed();
  return repo;
}
