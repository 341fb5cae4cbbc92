import type { DescribeImageReplicationStatusResponse, ReplicationStatus } from '@aws-sdk/client-ecr';
import type { EventEntry } from '../contracts.ts';
import { repositoryPolicyVerdict } from './access.ts';
import type { EcrContext, Operations } from './context.ts';
import { repositoryFromTemplate, templateFor } from './creation-templates.ts';
import { type EcrError, invalidParameter } from './errors.ts';
import { isTagImmutable } from './mutability.ts';
import type { CreationTemplateRecord } from './settings-state.ts';
import type { ImageRecord, RepositoryRecord } from './state.ts';
import { type Input, imageIdOf, optionalArray, optionalObject, REGISTRY_ID_PATTERN } from './validation.ts';
import type { Wire } from './wire.ts';

/**
 * Registry replication: PutReplicationConfiguration's validation, the replication itself after each push, and
 * DescribeImageReplicationStatus. ECR copies a pushed image to each destination of every rule whose repository
 * filters match, in other Regions and other accounts (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html):
 * same digest, manifest and blobs; the destination repository is created when missing (from a repository
 * creation template that applies to REPLICATION, else with default settings); a cross-account destination must
 * allow `ecr:ReplicateImage` (and `ecr:CreateRepository` to create the repository) to the source account in
 * its registry policy; an immutable tag already held by another image in the destination is left off the
 * replica. Replication does not chain and never deletes. Each destination gets an `ECR Replication Action`
 * event on its own bus. AWS replicates asynchronously (usually within 30 minutes); the sandbox does it before
 * the push answers, so a status is IN_PROGRESS only while the copy runs and then COMPLETE or FAILED.
 */

/** A validated replication rule as stored (and as DescribeRegistry answers it). */
export interface ReplicationRuleRecord {
  destinations: Array<{ region: string; registryId: string }>;
  repositoryFilters?: Array<{ filter: string; filterType: 'PREFIX_MATCH' }>;
}

/** One destination's outcome for an image (`ImageReplicationStatus`). */
export interface ReplicationStatusRecord {
  region: string;
  registryId: string;
  status: ReplicationStatus;
  failureCode?: string;
}

/** Rules per configuration, unique destinations overall (service quotas), destinations and filters per rule. */
const MAX_RULES = 10;
const MAX_DESTINATIONS = 25;
const MAX_PER_RULE = 100;
const REGION_PATTERN = /^[0-9a-z-]{2,25}$/;
/** RepositoryFilter's `filter` (the API model). */
const PREFIX_FILTER_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*\/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$/;

function constraint(field: string, what: string): EcrError {
  return invalidParameter(`Invalid parameter at '${field}' failed to satisfy constraint: '${what}'`);
}

/**
 * Validate PutReplicationConfiguration's `replicationConfiguration` for the registry `ecr`.
 * @throws EcrError InvalidParameterException naming the field and the constraint
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutReplicationConfiguration.html
 */
export function replicationRulesOf(ecr: EcrContext, input: Input): ReplicationRuleRecord[] {
  const config = optionalObject(input, 'replicationConfiguration');
  const rules = config ? optionalArray(config, 'rules') : undefined;
  if (!config || rules === undefined) throw constraint('replicationConfiguration.rules', 'must not be null');
  if (rules.length > MAX_RULES) {
    throw constraint(
      'replicationConfiguration.rules',
      `Member must have length less than or equal to ${MAX_RULES}`,
    );
  }
  const unique = new Set<string>();
  const records = rules.map((raw, index): ReplicationRuleRecord => {
    const field = `replicationConfiguration.rules[${index}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw constraint(field, 'must be a structure');
    const rule = raw as Input;
    const destinations = rule.destinations;
    if (!Array.isArray(destinations) || destinations.length < 1 || destinations.length > MAX_PER_RULE) {
      throw constraint(`${field}.destinations`, `Member must have length between 1 and ${MAX_PER_RULE}`);
    }
    const record: ReplicationRuleRecord = {
      destinations: destinations.map((destination, d) => {
        const one = (destination ?? {}) as Input;
        const where = `${field}.destinations[${d}]`;
        if (typeof one.region !== 'string' || !REGION_PATTERN.test(one.region)) {
          throw constraint(
            `${where}.region`,
            'Member must satisfy regular expression pattern: [0-9a-z-]{2,25}',
          );
        }
        if (typeof one.registryId !== 'string' || !REGISTRY_ID_PATTERN.test(one.registryId)) {
          throw constraint(
            `${where}.registryId`,
            'Member must satisfy regular expression pattern: [0-9]{12}',
          );
        }
        if (one.region === ecr.options.region && one.registryId === ecr.accountId) {
          throw constraint(
            'replicationConfiguration',
            'Replication destination cannot be the same as the source registry',
          );
        }
        unique.add(`${one.registryId}/${one.region}`);
        return { region: one.region, registryId: one.registryId };
      }),
    };
    const filters = optionalArray(rule, 'repositoryFilters');
    if (filters !== undefined) {
      if (filters.length < 1 || filters.length > MAX_PER_RULE) {
        throw constraint(
          `${field}.repositoryFilters`,
          `Member must have length between 1 and ${MAX_PER_RULE}`,
        );
      }
      record.repositoryFilters = filters.map((item, f) => {
        const one = (item ?? {}) as Input;
        const where = `${field}.repositoryFilters[${f}]`;
        if (one.filterType !== 'PREFIX_MATCH') {
          throw constraint(`${where}.filterType`, 'Member must satisfy enum value set: [PREFIX_MATCH]');
        }
        if (
          typeof one.filter !== 'string' ||
          one.filter.length < 2 ||
          one.filter.length > 256 ||
          !PREFIX_FILTER_PATTERN.test(one.filter)
        ) {
          throw constraint(
            `${where}.filter`,
            `Member must satisfy regular expression pattern: ${PREFIX_FILTER_PATTERN.source.slice(1, -1)} and have length between 2 and 256`,
          );
        }
        return { filter: one.filter, filterType: 'PREFIX_MATCH' };
      });
    }
    return record;
  });
  if (unique.size > MAX_DESTINATIONS) {
    throw constraint(
      'replicationConfiguration',
      `Replication configuration can have at most ${MAX_DESTINATIONS} unique destinations, found ${unique.size}`,
    );
  }
  return records;
}

// ---- the registries replication reaches ----------------------------------------------------------------

/** The registry (its context) of an account in a Region, created on first use. */
export type PeerLookup = (accountId: string, region: string) => EcrContext;
const peersOf = new WeakMap<EcrContext, PeerLookup>();

/** Let `ecr` reach other registries of the same emulator (service.ts does it for each registry). */
export function linkPeers(ecr: EcrContext, lookup: PeerLookup): void {
  peersOf.set(ecr, lookup);
}

function rulesOf(ecr: EcrContext): ReplicationRuleRecord[] {
  return ecr.state.settings.replicationRules as ReplicationRuleRecord[];
}

/** The destinations the registry's rules send a repository's pushes to (each once, in rule order). */
export function destinationsFor(
  ecr: EcrContext,
  repositoryName: string,
): ReplicationRuleRecord['destinations'] {
  const seen = new Map<string, { region: string; registryId: string }>();
  for (const rule of rulesOf(ecr)) {
    const filters = rule.repositoryFilters;
    if (filters && !filters.some((f) => repositoryName.startsWith(f.filter))) continue;
    for (const d of rule.destinations) {
      // State saved before the source-registry check could still name it: a registry never replicates to itself.
      if (d.registryId === ecr.accountId && d.region === ecr.options.region) continue;
      seen.set(`${d.registryId}/${d.region}`, d);
    }
  }
  return [...seen.values()];
}

/** Create a repository the way ECR does for replication or a pull through cache: from a template, or default. */
export function createRepositoryFor(
  ecr: EcrContext,
  name: string,
  use: CreationTemplateRecord['appliedFor'][number],
): RepositoryRecord {
  return repositoryFromTemplate(ecr, name, templateFor(ecr.state.settings.creationTemplates, name, use));
}

function replicationEvent(
  source: EcrContext,
  target: EcrContext,
  repositoryName: string,
  digest: string,
  tag: string | undefined,
  result: 'SUCCESS' | 'FAILED',
): EventEntry {
  const detail: Record<string, string> = {
    result,
    'repository-name': repositoryName,
    'image-digest': digest,
    'source-account': source.accountId,
    'action-type': 'REPLICATE',
    'source-region': source.options.region,
  };
  if (tag !== undefined) detail['image-tag'] = tag;
  return {
    Source: 'aws.ecr',
    DetailType: 'ECR Replication Action',
    Detail: JSON.stringify(detail),
    Resources: [target.repositoryArn(repositoryName)],
    Time: target.options.clock.now(),
  };
}

/** Why a cross-account destination refuses the source (undefined when its registry policy allows it). */
function refusal(source: EcrContext, target: EcrContext, name: string, creates: boolean): string | undefined {
  if (source.accountId === target.accountId) return undefined;
  const caller = {
    accountId: source.accountId,
    region: source.options.region,
    principalArn: `arn:aws:iam::${source.accountId}:root`,
  };
  const arn = target.repositoryArn(name);
  const policy = target.state.settings.registryPolicyText;
  for (const action of creates ? ['ReplicateImage', 'CreateRepository'] : ['ReplicateImage']) {
    if (repositoryPolicyVerdict(policy, caller, action, arn) !== 'allow') return action;
  }
  return undefined;
}

/** Copy one image (its index children first) into `repo` of the destination; answers the replica. */
function copyImage(
  source: EcrContext,
  from: RepositoryRecord,
  image: ImageRecord,
  target: EcrContext,
  repo: RepositoryRecord,
): ImageRecord {
  const existing = repo.images.get(image.digest);
  if (existing) return existing;
  for (const child of image.children) {
    const childImage = from.images.get(child);
    if (childImage) copyImage(source, from, childImage, target, repo);
  }
  for (const blob of image.blobs) {
    if (source.state.blobs.has(blob)) target.state.addBlobToRepository(repo, blob);
  }
  return target.state.insertImage(repo, {
    digest: image.digest,
    manifest: image.manifest,
    mediaType: image.mediaType,
    ...(image.artifactMediaType !== undefined ? { artifactMediaType: image.artifactMediaType } : {}),
    ...(image.subject !== undefined ? { subject: image.subject } : {}),
    children: [...image.children],
    blobs: [...image.blobs],
    size: image.size,
    tags: [],
    pushedAt: target.nowMs(),
    storageClass: 'STANDARD',
    imageStatus: 'ACTIVE',
  });
}

/** Put `tag` on the replica unless the destination holds it immutably on another image. */
function tagReplica(repo: RepositoryRecord, replica: ImageRecord, tag: string | undefined): void {
  if (tag === undefined || replica.tags.includes(tag)) return;
  const holderDigest = repo.tagIndex.get(tag);
  const holder = holderDigest === undefined ? undefined : repo.images.get(holderDigest);
  if (holder && holder !== replica) {
    if (isTagImmutable(repo, tag)) return;
    holder.tags = holder.tags.filter((t) => t !== tag);
  }
  replica.tags.push(tag);
  repo.tagIndex.set(tag, replica.digest);
}

/**
 * Replicate a push (image `image` of `repo`, with `tag` when one was pushed) to every destination the
 * registry's rules name; records the outcome per destination on the image for DescribeImageReplicationStatus.
 */
export function replicatePush(
  ecr: EcrContext,
  repo: RepositoryRecord,
  image: ImageRecord,
  tag: string | undefined,
): void {
  const destinations = destinationsFor(ecr, repo.name);
  const lookup = peersOf.get(ecr);
  if (destinations.length === 0 || lookup === undefined) return;
  const statuses: ReplicationStatusRecord[] = destinations.map((d) => ({ ...d, status: 'IN_PROGRESS' }));
  image.replication = statuses;
  for (const status of statuses) {
    const target = lookup(status.registryId, status.region);
    let targetRepo = target.state.repos.get(repo.name);
    const denied = refusal(ecr, target, repo.name, targetRepo === undefined);
    if (denied !== undefined) {
      status.status = 'FAILED';
      status.failureCode = `The destination registry's policy does not allow ecr:${denied} to account ${ecr.accountId}`;
      target.emit([replicationEvent(ecr, target, repo.name, image.digest, tag, 'FAILED')]);
      continue;
    }
    targetRepo ??= createRepositoryFor(target, repo.name, 'REPLICATION');
    const replica = copyImage(ecr, repo, image, target, targetRepo);
    tagReplica(targetRepo, replica, tag);
    status.status = 'COMPLETE';
    target.emit([replicationEvent(ecr, target, repo.name, image.digest, tag, 'SUCCESS')]);
  }
}

// ---- DescribeImageReplicationStatus --------------------------------------------------------------------

export function replicationOperations(ecr: EcrContext): Operations {
  return { DescribeImageReplicationStatus: (i) => describeImageReplicationStatus(ecr, i) };
}

/**
 * The replication status of an image per destination; an image pushed while no rule covered its repository
 * has none (an empty list).
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageReplicationStatus.html
 */
function describeImageReplicationStatus(
  ecr: EcrContext,
  input: Input,
): Wire<DescribeImageReplicationStatusResponse> {
  const repo = ecr.repoOf(input);
  if (input.imageId === undefined || input.imageId === null) throw constraint('imageId', 'must not be null');
  const id = imageIdOf(input.imageId);
  const image = ecr.findImage(repo, id);
  return {
    repositoryName: repo.name,
    imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
    replicationStatuses: (image.replication ?? []).map((s) => ({ ...s })),
  };
}
