import {
  BatchDeleteImageCommand,
  type ECRClient,
  ECRServiceException,
  UpdateImageStorageClassCommand,
} from '@aws-sdk/client-ecr';
import type { IamPermissions } from '../../shared/iam.ts';
import type { ImageRemover, RemovalFailure, RemovalResult } from '../ports.ts';

/** BatchDeleteImage takes at most 100 image ids per call (101 → InvalidParameterException). */
const DELETE_BATCH = 100;
/** UpdateImageStorageClass calls in flight at once: one image per call, no published quota, so stay modest. */
const ARCHIVE_CONCURRENCY = 4;

/** What {@link ecrImageRemover} calls. */
export const ecrImageRemoverPermissions: IamPermissions = [
  { actions: ['ecr:BatchDeleteImage', 'ecr:UpdateImageStorageClass'], resource: 'ecr-repository' },
];

/** One attempt's outcome for some digests. */
interface Attempt {
  done: string[];
  failures: RemovalFailure[];
  /** The repository itself is gone: nothing more to try. */
  repositoryGone?: boolean;
}

/**
 * {@link ImageRemover} on Amazon ECR. Every digest gets at most two attempts: the first pass goes through the
 * digests in the order given; whatever failed (per item or whole call) is tried once more after the whole first
 * pass — so a child refused with `ImageReferencedByManifestList` because its index was in a later batch is
 * retried once that index is gone. Nothing throws for AWS errors: they end up in `failures` with ECR's failure
 * code or the error's name. Errors that did not come from an AWS call (programming errors) are thrown.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_UpdateImageStorageClass.html
 */
export function ecrImageRemover(ecr: ECRClient): ImageRemover {
  return {
    /**
     * BatchDeleteImage by digest, 100 a call, in the order given. Calls for N digests without failures: ⌈N/100⌉;
     * plus ⌈F/100⌉ for F digests that failed the first time. `ImageNotFound` counts as done (already gone).
     */
    expire(repositoryName, digests, onProgress) {
      const all = unique(digests);
      let attempted = 0;
      return twoPasses(all, async (pending) => {
        const attempt: Attempt = { done: [], failures: [] };
        for (let start = 0; start < pending.length; start += DELETE_BATCH) {
          const batch = pending.slice(start, start + DELETE_BATCH);
          if (attempt.repositoryGone) {
            attempt.failures.push(...batch.map((digest) => goneFailure(digest, repositoryName)));
            continue;
          }
          merge(attempt, await deleteBatch(ecr, repositoryName, batch));
          attempted += batch.length;
          onProgress?.(Math.min(attempted, all.length));
        }
        return attempt;
      });
    },

    /**
     * UpdateImageStorageClass to ARCHIVE, one call per digest (ARCHIVE_CONCURRENCY at a time). An image that is
     * gone (`ImageNotFoundException`) counts as done: nothing of it is left in standard storage.
     */
    archive(repositoryName, digests) {
      return twoPasses(unique(digests), async (pending) => {
        const outcomes = await mapLimit(pending, ARCHIVE_CONCURRENCY, (digest) =>
          archiveOne(ecr, repositoryName, digest),
        );
        const attempt: Attempt = { done: [], failures: [] };
        for (const outcome of outcomes) merge(attempt, outcome);
        return attempt;
      });
    },
  };
}

/** First pass over everything, second pass over what failed, results in the caller's order. */
async function twoPasses(
  digests: readonly string[],
  pass: (pending: readonly string[]) => Promise<Attempt>,
): Promise<RemovalResult> {
  const first = await pass(digests);
  const done = new Set(first.done);
  let failures = first.failures;
  if (!first.repositoryGone && failures.length > 0) {
    const failed = new Set(failures.map((f) => f.digest));
    const second = await pass(digests.filter((d) => failed.has(d)));
    for (const digest of second.done) done.add(digest);
    failures = second.failures;
  }
  const failedBy = new Map(failures.map((f) => [f.digest, f]));
  return {
    done: digests.filter((d) => done.has(d)),
    failures: digests.flatMap((d) => failedBy.get(d) ?? []),
  };
}

async function deleteBatch(
  ecr: ECRClient,
  repositoryName: string,
  batch: readonly string[],
): Promise<Attempt> {
  let out: Awaited<ReturnType<typeof sendDelete>>;
  try {
    out = await sendDelete(ecr, repositoryName, batch);
  } catch (error) {
    // Throttling or 5xx past the SDK's own retries: these digests fail this pass, the next batch still runs.
    if (!isAwsError(error)) throw error;
    return {
      done: [],
      failures: batch.map((digest) => ({ digest, code: error.name, message: error.message })),
      ...(error.name === 'RepositoryNotFoundException' ? { repositoryGone: true } : {}),
    };
  }
  const deleted = new Set((out.imageIds ?? []).map((id) => id.imageDigest));
  const failed = new Map((out.failures ?? []).map((f) => [f.imageId?.imageDigest, f]));
  const attempt: Attempt = { done: [], failures: [] };
  for (const digest of batch) {
    const failure = failed.get(digest);
    if (deleted.has(digest) || failure?.failureCode === 'ImageNotFound') attempt.done.push(digest);
    else if (failure) {
      attempt.failures.push({
        digest,
        code: failure.failureCode ?? 'Unknown',
        message: failure.failureReason ?? '',
      });
    } else {
      attempt.failures.push({
        digest,
        code: 'NotReported',
        message: 'BatchDeleteImage reported neither a deletion nor a failure for this digest',
      });
    }
  }
  return attempt;
}

function sendDelete(ecr: ECRClient, repositoryName: string, batch: readonly string[]) {
  return ecr.send(
    new BatchDeleteImageCommand({ repositoryName, imageIds: batch.map((imageDigest) => ({ imageDigest })) }),
  );
}

async function archiveOne(ecr: ECRClient, repositoryName: string, digest: string): Promise<Attempt> {
  try {
    await ecr.send(
      new UpdateImageStorageClassCommand({
        repositoryName,
        imageId: { imageDigest: digest },
        targetStorageClass: 'ARCHIVE',
      }),
    );
    return { done: [digest], failures: [] };
  } catch (error) {
    if (!isAwsError(error)) throw error;
    if (error.name === 'ImageNotFoundException') return { done: [digest], failures: [] };
    return {
      done: [],
      failures: [{ digest, code: error.name, message: error.message }],
      ...(error.name === 'RepositoryNotFoundException' ? { repositoryGone: true } : {}),
    };
  }
}

function goneFailure(digest: string, repositoryName: string): RemovalFailure {
  return {
    digest,
    code: 'RepositoryNotFoundException',
    message: `The repository ${repositoryName} no longer exists`,
  };
}

function merge(into: Attempt, from: Attempt): void {
  into.done.push(...from.done);
  into.failures.push(...from.failures);
  if (from.repositoryGone) into.repositoryGone = true;
}

function unique(digests: readonly string[]): string[] {
  return [...new Set(digests)];
}

/**
 * An error from an AWS call: a modelled or unmodelled service exception, or anything the SDK's retry layer
 * gave up on (it stamps `$metadata` on every error it rethrows: timeouts, connection resets). A TypeError from
 * our own code carries neither and is rethrown.
 */
function isAwsError(error: unknown): error is Error {
  return error instanceof ECRServiceException || (error instanceof Error && '$metadata' in error);
}

/** `work` over `items` with at most `limit` in flight, results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
