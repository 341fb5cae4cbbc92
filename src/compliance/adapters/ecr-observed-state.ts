import {
  BatchGetRepositoryScanningConfigurationCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  paginateDescribeRepositories,
  paginateDescribeRepositoryCreationTemplates,
  type Repository,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  type RepositoryScanningConfiguration,
  type RepositoryCreationTemplate as SdkCreationTemplate,
  type ImageTagMutabilityExclusionFilter as SdkExclusionFilter,
  type ReplicationRule as SdkReplicationRule,
  type Tag,
} from '@aws-sdk/client-ecr';
import { chunks, mapLimit } from '../../shared/concurrency.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import type {
  RegistryRead,
  RegistryState,
  ReplicationRule,
  RepositoryCreationTemplate,
  RepositoryRead,
  RepositoryState,
  ResourceTag,
  TagMutabilityExclusionFilter,
} from '../domain/state.ts';
import { type ObservedState, type ObservedStateReader, UnknownRepositoryError } from '../ports.ts';

/** DescribeRepositories' and DescribeRepositoryCreationTemplates' largest page (default 100). */
const PAGE = 1000;
/** DescribeRepositories takes at most 100 names per call. */
const NAMES_PER_DESCRIBE = 100;
/** BatchGetRepositoryScanningConfiguration takes at most 25 names per call. */
const NAMES_PER_SCANNING_BATCH = 25;
/**
 * Repositories read at once (three calls each), and scanning batches asked at once: enough to read thousands of
 * repositories in minutes, few enough to stay clear of ECR's per-action request rates most of the time; the SDK's
 * retries absorb the throttling that remains, and a read still throttled after them is reported unknown.
 */
const REPOSITORIES_IN_FLIGHT = 8;

/** What {@link ecrObservedState} calls. */
export const ecrObservedStatePermissions: IamPermissions = [
  {
    actions: [
      'ecr:DescribeRepositories',
      'ecr:GetLifecyclePolicy',
      'ecr:GetRepositoryPolicy',
      'ecr:ListTagsForResource',
      'ecr:BatchGetRepositoryScanningConfiguration',
    ],
    resource: 'ecr-repository',
  },
  {
    actions: [
      'ecr:DescribeRegistry',
      'ecr:GetRegistryScanningConfiguration',
      'ecr:DescribeRepositoryCreationTemplates',
    ],
    resource: '*',
  },
];

/** A read's value, or why it failed (`Action: ErrorName: message`). */
type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

async function attempt<T>(action: string, read: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    // Any failure (access denied, throttled past the SDK's retries, the repository deleted since it was
    // listed, a network error) is a reason the check can't be judged, not drift: it is reported as unknown.
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, reason: `${action}: ${e.name}: ${e.message}` };
  }
}

/**
 * {@link ObservedStateReader} on Amazon ECR, in the account and Region of `ecr`. Per run:
 * ⌈repositories/1000⌉ DescribeRepositories (or ⌈names/100⌉ with names), ⌈repositories/25⌉
 * BatchGetRepositoryScanningConfiguration, per repository one GetLifecyclePolicy, GetRepositoryPolicy and
 * ListTagsForResource (at most {@link REPOSITORIES_IN_FLIGHT} repositories at once), and for the registry one
 * DescribeRegistry, one GetRegistryScanningConfiguration and ⌈templates/1000⌉
 * DescribeRepositoryCreationTemplates.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetLifecyclePolicy.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRepositoryPolicy.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListTagsForResource.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetRepositoryScanningConfiguration.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRegistry.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRegistryScanningConfiguration.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositoryCreationTemplates.html
 */
export function ecrObservedState(ecr: ECRClient): ObservedStateReader {
  return {
    async read(query): Promise<ObservedState> {
      const listed = await listRepositories(ecr, query.repositoryNames);
      const [scanning, details, registry] = await Promise.all([
        repositoryScanning(
          ecr,
          listed.map((r) => r.repositoryName),
        ),
        mapLimit(listed, REPOSITORIES_IN_FLIGHT, (r) => repositoryDetails(ecr, r)),
        readRegistry(ecr, listed[0]?.registryId),
      ]);
      const repositories = listed.map((repository, index): RepositoryState => {
        const unreadable: Partial<Record<RepositoryRead, string>> = { ...details[index]?.unreadable };
        const frequency = scanning.get(repository.repositoryName);
        if (frequency === undefined || !frequency.ok)
          unreadable.scanFrequency =
            frequency?.reason ?? 'BatchGetRepositoryScanningConfiguration: no answer';
        return {
          ...repository,
          // MANUAL is a placeholder when unreadable: audit never judges it then.
          scanFrequency: frequency?.ok ? frequency.value : 'MANUAL',
          ...details[index]?.state,
          tags: details[index]?.state.tags ?? [],
          ...(Object.keys(unreadable).length > 0 ? { unreadable } : {}),
        };
      });
      return { registry, repositories };
    },
  };
}

/** A repository as DescribeRepositories describes it: what the other reads add to is left out. */
type Listed = Omit<RepositoryState, 'scanFrequency' | 'tags' | 'unreadable'>;

async function listRepositories(ecr: ECRClient, names: readonly string[] | undefined): Promise<Listed[]> {
  const found: Listed[] = [];
  const keep = (repositories: Repository[] | undefined) => {
    for (const r of repositories ?? []) {
      const listed = fromRepository(r);
      if (listed) found.push(listed);
    }
  };
  if (names === undefined) {
    for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: PAGE }, {}))
      keep(page.repositories);
    return found;
  }
  for (const batch of chunks([...new Set(names)], NAMES_PER_DESCRIBE)) {
    try {
      keep((await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: batch }))).repositories);
    } catch (error) {
      // ECR refuses the whole call and names the missing repository in its message.
      if (error instanceof RepositoryNotFoundException) throw new UnknownRepositoryError(error.message);
      throw error;
    }
  }
  return found;
}

function fromRepository(r: Repository): Listed | undefined {
  if (r.repositoryName === undefined || r.repositoryArn === undefined || r.registryId === undefined)
    return undefined;
  return {
    repositoryName: r.repositoryName,
    repositoryArn: r.repositoryArn,
    registryId: r.registryId,
    imageTagMutability: r.imageTagMutability ?? 'MUTABLE',
    ...(r.imageTagMutabilityExclusionFilters?.length
      ? { imageTagMutabilityExclusionFilters: exclusionFilters(r.imageTagMutabilityExclusionFilters) }
      : {}),
    // A repository that names no encryption has ECR's default, AES256.
    encryptionConfiguration: {
      encryptionType: r.encryptionConfiguration?.encryptionType ?? 'AES256',
      ...(r.encryptionConfiguration?.kmsKey ? { kmsKey: r.encryptionConfiguration.kmsKey } : {}),
    },
  };
}

function exclusionFilters(filters: readonly SdkExclusionFilter[]): TagMutabilityExclusionFilter[] {
  return filters.flatMap((f) =>
    f.filter === undefined ? [] : [{ filterType: 'WILDCARD', filter: f.filter }],
  );
}

function resourceTags(tags: readonly Tag[] | undefined): ResourceTag[] {
  return (tags ?? []).flatMap((t) => (t.Key === undefined ? [] : [{ Key: t.Key, Value: t.Value ?? '' }]));
}

/** Each repository's effective scan frequency, or why it could not be read. */
async function repositoryScanning(
  ecr: ECRClient,
  names: readonly string[],
): Promise<Map<string, Read<RepositoryState['scanFrequency']>>> {
  const answers = new Map<string, Read<RepositoryState['scanFrequency']>>();
  const batches = chunks(names, NAMES_PER_SCANNING_BATCH);
  await mapLimit(batches, REPOSITORIES_IN_FLIGHT, async (repositoryNames) => {
    const out = await attempt('BatchGetRepositoryScanningConfiguration', () =>
      ecr.send(new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames })),
    );
    if (!out.ok) {
      for (const name of repositoryNames) answers.set(name, out);
      return;
    }
    for (const c of out.value.scanningConfigurations ?? []) {
      if (c.repositoryName !== undefined) answers.set(c.repositoryName, { ok: true, value: frequencyOf(c) });
    }
    for (const f of out.value.failures ?? []) {
      if (f.repositoryName !== undefined)
        answers.set(f.repositoryName, {
          ok: false,
          reason: `BatchGetRepositoryScanningConfiguration: ${f.failureCode ?? 'failure'}: ${f.failureReason ?? ''}`,
        });
    }
  });
  return answers;
}

function frequencyOf(c: RepositoryScanningConfiguration): RepositoryState['scanFrequency'] {
  // The deprecated per-repository scanOnPush still scans on push with BASIC scanning.
  return c.scanFrequency ?? (c.scanOnPush ? 'SCAN_ON_PUSH' : 'MANUAL');
}

/** A repository's lifecycle policy, repository policy and tags, each read on its own. */
async function repositoryDetails(
  ecr: ECRClient,
  repository: Listed,
): Promise<{
  state: Pick<RepositoryState, 'lifecyclePolicyText' | 'repositoryPolicyText' | 'tags'>;
  unreadable: Partial<Record<RepositoryRead, string>>;
}> {
  const { repositoryName } = repository;
  const [lifecycle, policy, tags] = await Promise.all([
    attempt('GetLifecyclePolicy', async () => {
      try {
        return (await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lifecyclePolicyText;
      } catch (error) {
        if (error instanceof LifecyclePolicyNotFoundException) return undefined;
        throw error;
      }
    }),
    attempt('GetRepositoryPolicy', async () => {
      try {
        return (await ecr.send(new GetRepositoryPolicyCommand({ repositoryName }))).policyText;
      } catch (error) {
        if (error instanceof RepositoryPolicyNotFoundException) return undefined;
        throw error;
      }
    }),
    attempt('ListTagsForResource', async () =>
      resourceTags(
        (await ecr.send(new ListTagsForResourceCommand({ resourceArn: repository.repositoryArn }))).tags,
      ),
    ),
  ]);
  const unreadable: Partial<Record<RepositoryRead, string>> = {};
  if (!lifecycle.ok) unreadable.lifecyclePolicyText = lifecycle.reason;
  if (!policy.ok) unreadable.repositoryPolicyText = policy.reason;
  if (!tags.ok) unreadable.tags = tags.reason;
  return {
    state: {
      ...(lifecycle.ok && lifecycle.value !== undefined ? { lifecyclePolicyText: lifecycle.value } : {}),
      ...(policy.ok && policy.value !== undefined ? { repositoryPolicyText: policy.value } : {}),
      tags: tags.ok ? tags.value : [],
    },
    unreadable,
  };
}

/** The registry's scanning rules, replication and creation templates; `registryId` when ECR names none. */
async function readRegistry(ecr: ECRClient, fallbackRegistryId: string | undefined): Promise<RegistryState> {
  const [described, scanning, templates] = await Promise.all([
    attempt('DescribeRegistry', () => ecr.send(new DescribeRegistryCommand({}))),
    attempt('GetRegistryScanningConfiguration', () =>
      ecr.send(new GetRegistryScanningConfigurationCommand({})),
    ),
    attempt('DescribeRepositoryCreationTemplates', async () => {
      const found: RepositoryCreationTemplate[] = [];
      const pages = paginateDescribeRepositoryCreationTemplates({ client: ecr, pageSize: PAGE }, {});
      for await (const page of pages)
        for (const t of page.repositoryCreationTemplates ?? []) {
          const template = fromTemplate(t);
          if (template) found.push(template);
        }
      return found;
    }),
  ]);
  const unreadable: Partial<Record<RegistryRead, string>> = {};
  if (!described.ok) unreadable.replication = described.reason;
  if (!scanning.ok) unreadable.scanning = scanning.reason;
  if (!templates.ok) unreadable.creationTemplates = templates.reason;
  const registryId =
    (described.ok ? described.value.registryId : undefined) ??
    (scanning.ok ? scanning.value.registryId : undefined) ??
    fallbackRegistryId ??
    'unknown';
  const config = scanning.ok ? scanning.value.scanningConfiguration : undefined;
  return {
    registryId,
    // Placeholders where unreadable: audit never judges them then.
    scanning: {
      scanType: config?.scanType ?? 'BASIC',
      rules: (config?.rules ?? []).flatMap((rule) =>
        rule.scanFrequency === undefined
          ? []
          : [
              {
                scanFrequency: rule.scanFrequency,
                repositoryFilters: (rule.repositoryFilters ?? []).flatMap((f) =>
                  f.filter === undefined ? [] : [{ filter: f.filter, filterType: 'WILDCARD' as const }],
                ),
              },
            ],
      ),
    },
    replication: {
      rules: described.ok ? replicationRules(described.value.replicationConfiguration?.rules) : [],
    },
    creationTemplates: templates.ok ? templates.value : [],
    ...(Object.keys(unreadable).length > 0 ? { unreadable } : {}),
  };
}

function replicationRules(rules: readonly SdkReplicationRule[] | undefined): ReplicationRule[] {
  return (rules ?? []).map((rule) => {
    const filters = (rule.repositoryFilters ?? []).flatMap((f) =>
      f.filter === undefined ? [] : [{ filter: f.filter, filterType: 'PREFIX_MATCH' as const }],
    );
    return {
      destinations: (rule.destinations ?? []).flatMap((d) =>
        d.region === undefined || d.registryId === undefined
          ? []
          : [{ region: d.region, registryId: d.registryId }],
      ),
      ...(filters.length > 0 ? { repositoryFilters: filters } : {}),
    };
  });
}

function fromTemplate(t: SdkCreationTemplate): RepositoryCreationTemplate | undefined {
  if (t.prefix === undefined) return undefined;
  const encryption = t.encryptionConfiguration;
  return {
    prefix: t.prefix,
    ...(t.description !== undefined ? { description: t.description } : {}),
    ...(encryption?.encryptionType !== undefined
      ? {
          encryptionConfiguration: {
            encryptionType: encryption.encryptionType,
            ...(encryption.kmsKey ? { kmsKey: encryption.kmsKey } : {}),
          },
        }
      : {}),
    ...(t.resourceTags !== undefined ? { resourceTags: resourceTags(t.resourceTags) } : {}),
    ...(t.imageTagMutability !== undefined ? { imageTagMutability: t.imageTagMutability } : {}),
    ...(t.imageTagMutabilityExclusionFilters?.length
      ? { imageTagMutabilityExclusionFilters: exclusionFilters(t.imageTagMutabilityExclusionFilters) }
      : {}),
    ...(t.repositoryPolicy !== undefined ? { repositoryPolicy: t.repositoryPolicy } : {}),
    ...(t.lifecyclePolicy !== undefined ? { lifecyclePolicy: t.lifecyclePolicy } : {}),
    ...(t.appliedFor !== undefined ? { appliedFor: t.appliedFor } : {}),
    ...(t.customRoleArn !== undefined ? { customRoleArn: t.customRoleArn } : {}),
  };
}
