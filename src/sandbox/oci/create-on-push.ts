import { randomUUID } from 'node:crypto';
import type { EcrCaller } from '../contracts.ts';
import { cloudTrailEvent } from '../ecr/cloudtrail.ts';
import type { EcrContext } from '../ecr/context.ts';
import { repositoryFromTemplate, templateFor } from '../ecr/creation-templates.ts';
import { repositoryShape } from '../ecr/repositories.ts';
import type { CreationTemplateRecord } from '../ecr/settings-state.ts';
import type { RepositoryRecord } from '../ecr/state.ts';

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
  return templateFor(templates, name, 'CREATE_ON_PUSH');
}

/**
 * Create `name` from the template that covers it, or answer undefined when none does. The creation goes on the
 * bus as a CreateRepository call (CloudTrail via EventBridge), so what listens to CreateRepository (compliance's
 * check) hears of it too: see {@link createOnPushEvent}.
 */
export function createOnPush(
  ecr: EcrContext,
  name: string,
  pusher?: EcrCaller,
): RepositoryRecord | undefined {
  const template = templateForPush(ecr.state.settings.creationTemplates, name);
  if (!template) return undefined;
  const repo = repositoryFromTemplate(ecr, name, template);
  ecr.changed();
  ecr.emit([createOnPushEvent(ecr, repo, pusher)]);
  return repo;
}

/**
 * The CloudTrail record of a repository created on push. The ECR guide documents neither this record nor the
 * one of a repository a pull through cache or replication creates (it says only that ECR creates them with the
 * AWSServiceRoleForECRTemplate service-linked role, or the template's customRoleArn); so it mirrors what the
 * emulator records for CreateRepository, with the request ECR would make from the template, and names the
 * pusher as the caller and ECR as the service acting for them, as CloudTrail's userIdentity reference describes
 * a call a service makes on a user's behalf (`invokedBy`, and the service's DNS name as source and user agent).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/slr-rct.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
export function createOnPushEvent(ecr: EcrContext, repo: RepositoryRecord, pusher?: EcrCaller) {
  const { accountId, region } = ecr.options;
  const tags = [...repo.resourceTags].map(([Key, Value]) => ({ Key, Value }));
  const request: Record<string, unknown> = {
    repositoryName: repo.name,
    imageTagMutability: repo.imageTagMutability,
    ...(repo.exclusionFilters.length > 0
      ? { imageTagMutabilityExclusionFilters: repo.exclusionFilters }
      : {}),
    encryptionConfiguration: { ...repo.encryption },
    ...(tags.length > 0 ? { tags } : {}),
  };
  return cloudTrailEvent({
    action: 'CreateRepository',
    request,
    response: { repository: repositoryShape(ecr, repo) },
    caller: pusher ?? { accountId, region },
    registry: { accountId, region },
    requestId: randomUUID(),
    time: ecr.options.clock.now(),
    invokedBy: 'ecr.amazonaws.com',
  });
}
