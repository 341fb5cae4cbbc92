import {
  CreateRepositoryCommand,
  CreateRepositoryCreationTemplateCommand,
  DeleteRepositoryPolicyCommand,
  type ECRClient,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  PutReplicationConfigurationCommand,
  RepositoryAlreadyExistsException,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UpdateRepositoryCreationTemplateCommand,
} from '@aws-sdk/client-ecr';
import { mapLimit } from '../../shared/concurrency.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import type { CreationTemplateInput, EcrCall } from '../domain/control.ts';
import type { ActionOutcome, EnforcementAction } from '../domain/enforcement.ts';
import type { CreateRepositoryInput } from '../domain/ensure.ts';
import type { TagMutabilityExclusionFilter } from '../domain/state.ts';
import type { Enforcer, RepositoryCreator } from '../ports.ts';

/**
 * Actions applied at once: different repositories' settings are independent, and a few in flight keep a large
 * plan quick while staying clear of ECR's per-action request rates (the SDK's retries absorb the rest).
 */
const ACTIONS_IN_FLIGHT = 4;

/** What {@link ecrEnforcer} calls: every action {@link EcrCall} can name, and nothing that deletes a repository. */
export const ecrEnforcerPermissions: IamPermissions = [
  {
    actions: [
      'ecr:PutImageTagMutability',
      'ecr:PutLifecyclePolicy',
      'ecr:SetRepositoryPolicy',
      'ecr:DeleteRepositoryPolicy',
      'ecr:TagResource',
      // Creating or updating a creation template needs the permissions of what the template will apply:
      // https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html
      'ecr:CreateRepository',
    ],
    resource: 'ecr-repository',
  },
  {
    actions: [
      'ecr:PutRegistryScanningConfiguration',
      'ecr:PutReplicationConfiguration',
      'ecr:CreateRepositoryCreationTemplate',
      'ecr:UpdateRepositoryCreationTemplate',
    ],
    resource: '*',
  },
];

/** What {@link ecrRepositoryCreator} calls (tags given at creation are authorised as TagResource too). */
export const ecrRepositoryCreatorPermissions: IamPermissions = [
  { actions: ['ecr:CreateRepository', 'ecr:TagResource'], resource: 'ecr-repository' },
];

function filters(list: readonly TagMutabilityExclusionFilter[] | undefined) {
  return list === undefined ? undefined : list.map((f) => ({ filterType: f.filterType, filter: f.filter }));
}

function templateInput(input: CreationTemplateInput) {
  return {
    prefix: input.prefix,
    appliedFor: [...input.appliedFor],
    imageTagMutability: input.imageTagMutability,
    imageTagMutabilityExclusionFilters: filters(input.imageTagMutabilityExclusionFilters),
    encryptionConfiguration: input.encryptionConfiguration,
    lifecyclePolicy: input.lifecyclePolicy,
    resourceTags: input.resourceTags?.map((t) => ({ Key: t.Key, Value: t.Value })),
  };
}

/** The one ECR call for an action; each case is the API action of the same name. */
async function send(ecr: ECRClient, call: EcrCall): Promise<void> {
  switch (call.action) {
    case 'PutRegistryScanningConfiguration':
      await ecr.send(
        new PutRegistryScanningConfigurationCommand({
          scanType: call.input.scanType,
          rules: call.input.rules.map((r) => ({
            scanFrequency: r.scanFrequency,
            repositoryFilters: r.repositoryFilters.map((f) => ({
              filter: f.filter,
              filterType: f.filterType,
            })),
          })),
        }),
      );
      return;
    case 'PutImageTagMutability':
      await ecr.send(
        new PutImageTagMutabilityCommand({
          repositoryName: call.input.repositoryName,
          imageTagMutability: call.input.imageTagMutability,
          imageTagMutabilityExclusionFilters: filters(call.input.imageTagMutabilityExclusionFilters),
        }),
      );
      return;
    case 'PutLifecyclePolicy':
      await ecr.send(new PutLifecyclePolicyCommand({ ...call.input }));
      return;
    case 'SetRepositoryPolicy':
      await ecr.send(new SetRepositoryPolicyCommand({ ...call.input }));
      return;
    case 'DeleteRepositoryPolicy':
      // The repository's policy only: the repository and its images stay.
      await ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: call.input.repositoryName }));
      return;
    case 'TagResource':
      await ecr.send(
        new TagResourceCommand({
          resourceArn: call.input.resourceArn,
          tags: call.input.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
        }),
      );
      return;
    case 'PutReplicationConfiguration':
      await ecr.send(
        new PutReplicationConfigurationCommand({
          replicationConfiguration: {
            rules: call.input.replicationConfiguration.rules.map((r) => ({
              destinations: r.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
              repositoryFilters: r.repositoryFilters?.map((f) => ({
                filter: f.filter,
                filterType: f.filterType,
              })),
            })),
          },
        }),
      );
      return;
    case 'CreateRepositoryCreationTemplate':
      await ecr.send(new CreateRepositoryCreationTemplateCommand(templateInput(call.input)));
      return;
    case 'UpdateRepositoryCreationTemplate':
      await ecr.send(new UpdateRepositoryCreationTemplateCommand(templateInput(call.input)));
      return;
  }
}

function reason(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  return `${e.name}: ${e.message}`;
}

/**
 * {@link Enforcer} on Amazon ECR, in the account and Region of `ecr`: one call per action, at most
 * {@link ACTIONS_IN_FLIGHT} at once. Any error (access denied, throttled past the SDK's retries, a repository
 * deleted meanwhile) fails that action only; the others still run, and every outcome is returned in plan order.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutRegistryScanningConfiguration.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageTagMutability.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutLifecyclePolicy.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepositoryPolicy.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_TagResource.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutReplicationConfiguration.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UpdateRepositoryCreationTemplate.html
 */
export function ecrEnforcer(ecr: ECRClient): Enforcer {
  return {
    apply(actions: readonly EnforcementAction[]): Promise<ActionOutcome[]> {
      return mapLimit(actions, ACTIONS_IN_FLIGHT, async (action): Promise<ActionOutcome> => {
        try {
          await send(ecr, action);
          return { ...action, outcome: 'applied' };
        } catch (error) {
          // Recorded, not thrown: one refused call must not leave the other fixes unapplied.
          return { ...action, outcome: 'failed', error: reason(error) };
        }
      });
    },
  };
}

/**
 * {@link RepositoryCreator} on Amazon ECR: CreateRepository with the settings given; an existing repository is
 * reported as such (`created: false`), never changed here.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
 */
export function ecrRepositoryCreator(ecr: ECRClient): RepositoryCreator {
  return {
    async create(input: CreateRepositoryInput) {
      try {
        const out = await ecr.send(
          new CreateRepositoryCommand({
            repositoryName: input.repositoryName,
            imageTagMutability: input.imageTagMutability,
            imageTagMutabilityExclusionFilters: filters(input.imageTagMutabilityExclusionFilters),
            encryptionConfiguration: input.encryptionConfiguration,
            imageScanningConfiguration: input.imageScanningConfiguration,
            tags: input.tags?.map((t) => ({ Key: t.Key, Value: t.Value })),
          }),
        );
        return {
          created: true,
          ...(out.repository?.repositoryArn ? { repositoryArn: out.repository.repositoryArn } : {}),
        };
      } catch (error) {
        // Created meanwhile (another pipeline's ensure, a push with create-on-push): then it is brought to the
        // desired state like any existing repository.
        if (error instanceof RepositoryAlreadyExistsException) return { created: false };
        throw error;
      }
    },
  };
}
