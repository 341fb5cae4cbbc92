import type { LifecycleImage } from '../../cleanup/domain/lifecycle-evaluate.ts';
import { type LifecyclePolicy, parseLifecyclePolicy } from '../../cleanup/domain/lifecycle-policy.ts';
import type { EcrContext } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import type { ImageRecord, RegistryState, RepositoryRecord } from './state.ts';

/**
 * Lifecycle policies in the emulator, with the engine the product uses (src/cleanup/domain/): the rules are
 * validated by parseLifecyclePolicy and evaluated by evaluateLifecyclePolicy, so a preview in the sandbox answers
 * exactly what the cleanup would decide, and there is one home of the rules.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html
 */

/**
 * Validate lifecycle policy text the way PutLifecyclePolicy and StartLifecyclePolicyPreview do. AWS doesn't
 * publish its messages; ours keep the API's `Invalid parameter at 'LifecyclePolicyText'` frame and list every
 * problem the engine's parser found (`rule 2: selection.countUnit: required with sinceImagePushed; ...`).
 * @throws EcrError InvalidParameterException
 */
export function validateLifecyclePolicy(text: string): LifecyclePolicy {
  const parsed = parseLifecyclePolicy(text);
  if (parsed.ok) return parsed.policy;
  throw invalidParameter(
    `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${parsed.problems.map((p) => p.text).join('; ')}'`,
  );
}

/** The repository's stored lifecycle policy, or LifecyclePolicyNotFoundException. */
export function lifecycleOf(
  ecr: EcrContext,
  repo: RepositoryRecord,
): NonNullable<RepositoryRecord['lifecyclePolicy']> {
  if (!repo.lifecyclePolicy) {
    throw new EcrError(
      'LifecyclePolicyNotFoundException',
      `Lifecycle policy does not exist for the repository with name '${repo.name}' in the registry with id '${ecr.accountId}'`,
    );
  }
  return repo.lifecyclePolicy;
}

/**
 * The images a lifecycle policy's rules see, in push order, with the engine's view of each.
 *
 * Inferred where AWS is silent:
 * - referrers (images with a `subject`: signatures, SBOMs) are left out: ECR says lifecycle policies expire or
 *   archive them "within 24 hours of the deletion or archival of the subject image"
 *   (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html), i.e. they follow their
 *   subject rather than being counted as versions by the rules (the run applies that, see lifecycle-run.ts);
 * - an image being restored (ACTIVATING) is left alone until it is active.
 */
export function lifecycleImagesOf(
  state: RegistryState,
  repo: RepositoryRecord,
): Array<{ record: ImageRecord; image: LifecycleImage }> {
  const images: Array<{ record: ImageRecord; image: LifecycleImage }> = [];
  for (const record of state.imagesFrom(repo, 0)) {
    if (record.subject !== undefined || record.imageStatus === 'ACTIVATING') continue;
    images.push({ record, image: lifecycleImageOf(record) });
  }
  return images;
}

/** An emulator image as the engine's LifecycleImage (DescribeImages' fields, index children as references). */
export function lifecycleImageOf(record: ImageRecord): LifecycleImage {
  const { lastPulledAt, lastActivatedAt, lastArchivedAt: transitionedAt } = record;
  return {
    digest: record.digest,
    tags: [...record.tags],
    pushedAt: record.pushedAt,
    ...(lastPulledAt === undefined ? {} : { lastPulledAt }),
    ...(lastActivatedAt === undefined ? {} : { lastActivatedAt }),
    storageClass: record.storageClass === 'ARCHIVE' ? 'archive' : 'standard',
    ...(transitionedAt === undefined ? {} : { transitionedAt }),
    ...(record.children.length > 0 ? { references: [...record.children] } : {}),
  };
}
