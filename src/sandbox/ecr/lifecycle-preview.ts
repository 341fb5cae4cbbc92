import type {
  GetLifecyclePolicyPreviewResponse,
  LifecyclePolicyPreviewResult,
  StartLifecyclePolicyPreviewResponse,
} from '@aws-sdk/client-ecr';
import { evaluateLifecyclePolicy } from '../../cleanup/domain/lifecycle-evaluate.ts';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import { lifecycleImagesOf, lifecycleOf, validateLifecyclePolicy } from './lifecycle.ts';
import { decodeToken, encodeToken, lowerBound } from './pagination.ts';
import type { RepositoryRecord } from './state.ts';
import {
  enumOf,
  type ImageId,
  type Input,
  imageIdOf,
  maxResultsOf,
  optionalArray,
  optionalObject,
  optionalString,
} from './validation.ts';
import { seconds, type Wire } from './wire.ts';

const TAG_STATUSES = ['TAGGED', 'UNTAGGED', 'ANY'] as const;
/** GetLifecyclePolicyPreview's `maxResults` is 1–100, and 100 when absent (API model). */
const PREVIEW_MAX_RESULTS = 100;

/** One image a preview acts on, with the tags it had when the preview ran. */
interface PreviewEntry {
  seq: number;
  tags: string[];
  result: Wire<LifecyclePolicyPreviewResult>;
}

interface Preview {
  /** Distinguishes previews of one repository so a `nextToken` of an earlier one is refused. */
  id: number;
  policyText: string;
  /** In push order (ascending `seq`), for paging. */
  entries: PreviewEntry[];
  summary: NonNullable<Wire<GetLifecyclePolicyPreviewResponse>['summary']>;
}

/**
 * The lifecycle policy preview (dry run): StartLifecyclePolicyPreview evaluates a policy (the given text, else the
 * repository's) with the product's engine (evaluateLifecyclePolicy, src/cleanup/domain/) against the repository's
 * images at that moment, with the sandbox clock as `now`; GetLifecyclePolicyPreview pages through the images it
 * would expire or transition.
 *
 * Choices where the sandbox differs from or goes beyond AWS:
 * - the evaluation runs synchronously inside StartLifecyclePolicyPreview, so its status is already COMPLETE and
 *   LifecyclePolicyPreviewInProgressException never happens;
 * - a preview lives in memory until the next one of the same repository (it is not saved with the state);
 * - results are in push order.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_StartLifecyclePolicyPreview.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetLifecyclePolicyPreview.html
 */
export class LifecyclePreviews {
  private readonly previews = new WeakMap<RepositoryRecord, Preview>();
  private nextId = 1;

  constructor(private readonly ecr: EcrContext) {}

  operations(): Operations {
    return {
      StartLifecyclePolicyPreview: (i) => this.start(i),
      GetLifecyclePolicyPreview: (i) => this.get(i),
    };
  }

  private start(input: Input): Wire<StartLifecyclePolicyPreviewResponse> {
    const ecr = this.ecr;
    const repo = ecr.repoOf(input);
    const text = optionalString(input, 'lifecyclePolicyText') ?? lifecycleOf(ecr, repo).text;
    const policy = validateLifecyclePolicy(text);
    const images = lifecycleImagesOf(ecr.state, repo);
    const evaluation = evaluateLifecyclePolicy(
      policy,
      images.map(({ image }) => image),
      ecr.options.clock.now(),
    );
    const entries: PreviewEntry[] = [];
    let expiring = 0;
    let transitioning = 0;
    evaluation.images.forEach(({ decision }, index) => {
      const record = images[index]?.record;
      if (!decision || !record) return;
      const transition = decision.action.type === 'transition';
      if (transition) transitioning++;
      else expiring++;
      const result: Wire<LifecyclePolicyPreviewResult> = {};
      if (record.tags.length > 0) result.imageTags = [...record.tags];
      result.imageDigest = record.digest;
      result.imagePushedAt = seconds(record.pushedAt);
      result.action = transition ? { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' } : { type: 'EXPIRE' };
      result.appliedRulePriority = decision.rulePriority;
      result.storageClass = record.storageClass;
      entries.push({ seq: record.seq, tags: [...record.tags], result });
    });
    this.previews.set(repo, {
      id: this.nextId++,
      policyText: text,
      entries,
      summary: {
        expiringImageTotalCount: expiring,
        // "This field is only present if at least one image will be transitoned" (API model).
        ...(transitioning > 0
          ? {
              transitioningImageTotalCounts: [
                { targetStorageClass: 'ARCHIVE', imageTotalCount: transitioning },
              ],
            }
          : {}),
      },
    });
    return {
      registryId: ecr.accountId,
      repositoryName: repo.name,
      lifecyclePolicyText: text,
      status: 'COMPLETE',
    };
  }

  private get(input: Input): Wire<GetLifecyclePolicyPreviewResponse> {
    const ecr = this.ecr;
    const repo = ecr.repoOf(input);
    const preview = this.previews.get(repo);
    if (!preview) {
      throw new EcrError(
        'LifecyclePolicyPreviewNotFoundException',
        `There is no dry run for the repository with name '${repo.name}' in the registry with id '${ecr.accountId}'`,
      );
    }
    const filter = optionalObject(input, 'filter');
    const tagStatus =
      filter?.tagStatus === undefined || filter.tagStatus === null
        ? 'ANY'
        : enumOf(filter.tagStatus, 'filter.tagStatus', TAG_STATUSES);
    const matches = (entry: PreviewEntry) =>
      tagStatus === 'ANY' || (tagStatus === 'TAGGED') === entry.tags.length > 0;
    const body = {
      registryId: ecr.accountId,
      repositoryName: repo.name,
      lifecyclePolicyText: preview.policyText,
      status: 'COMPLETE' as const,
    };

    const rawIds = optionalArray(input, 'imageIds');
    if (rawIds !== undefined) {
      if (input.nextToken !== undefined || input.maxResults !== undefined) {
        throw invalidParameter(
          'Invalid parameter: imageIds cannot be used together with maxResults or nextToken',
        );
      }
      if (rawIds.length < 1 || rawIds.length > 100) {
        throw invalidParameter(
          "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100 and greater than or equal to 1'",
        );
      }
      const ids = rawIds.map((raw, index) => imageIdOf(raw, `imageIds[${index}]`));
      const named = (entry: PreviewEntry) => ids.some((id) => namesEntry(id, entry));
      const previewResults = preview.entries.filter((e) => matches(e) && named(e)).map((e) => e.result);
      return { ...body, previewResults, summary: preview.summary };
    }

    const maxResults = maxResultsOf(input, PREVIEW_MAX_RESULTS, PREVIEW_MAX_RESULTS);
    const scope = `preview:${repo.seq}:${preview.id}:${tagStatus}`;
    const start =
      input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
    const previewResults: Wire<LifecyclePolicyPreviewResult>[] = [];
    let nextToken: string | undefined;
    for (let i = lowerBound(preview.entries, start); i < preview.entries.length; i++) {
      const entry = preview.entries[i] as PreviewEntry;
      if (!matches(entry)) continue;
      if (previewResults.length === maxResults) {
        nextToken = encodeToken({ scope, seq: entry.seq, sub: 0 });
        break;
      }
      previewResults.push(entry.result);
    }
    return {
      ...body,
      ...(nextToken === undefined ? {} : { nextToken }),
      previewResults,
      summary: preview.summary,
    };
  }
}

/** Whether an image identifier names a preview entry (by digest, by a tag it had, or both consistently). */
function namesEntry(id: ImageId, entry: PreviewEntry): boolean {
  if (id.imageDigest !== undefined && id.imageDigest !== entry.result.imageDigest) return false;
  if (id.imageTag !== undefined && !entry.tags.includes(id.imageTag)) return false;
  return id.imageDigest !== undefined || id.imageTag !== undefined;
}
