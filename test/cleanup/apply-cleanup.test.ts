import { describe, expect, it } from 'vitest';
import { applyRepositoryPlan } from '../../src/cleanup/apply-cleanup.ts';
import {
  type PlannedImage,
  PlannedImages,
  ProtectedImages,
  type RepositoryPlan,
} from '../../src/cleanup/domain/plan.ts';
import type { ImageRemover, RemovedImageRecord } from '../../src/cleanup/ports.ts';

const AT = new Date('2026-11-27T12:00:00Z');
const planned = (digest: string, type: 'EXPIRE' | 'TRANSITION' = 'EXPIRE'): PlannedImage => ({
  image: { digest, tags: [digest], pushedAt: AT.getTime(), storageClass: 'standard', sizeBytes: 100 },
  action: type === 'EXPIRE' ? { type } : { type, targetStorageClass: 'ARCHIVE' },
  appliedRulePriority: 2,
});
const PLAN: RepositoryPlan = {
  repositoryName: 'orders-api-dev',
  status: 'planned',
  imageCount: 6,
  expiring: PlannedImages.of(['a', 'b', 'c'].map((d) => planned(d))),
  transitioning: PlannedImages.of([planned('t', 'TRANSITION')]),
  protected: ProtectedImages.EMPTY,
  keptCount: 2,
  bytesReclaimed: 300,
  bytesTransitioned: 100,
  monthlySavingsUsd: 0.3,
};

/** A remover that deletes everything but `refuse`, reporting progress per digest (as if 1 per call). */
function remover(refuse: string[] = []): ImageRemover & { calls: string[] } {
  const calls: string[] = [];
  const result = (digests: readonly string[]) => ({
    done: digests.filter((d) => !refuse.includes(d)),
    failures: digests
      .filter((d) => refuse.includes(d))
      .map((digest) => ({ digest, code: 'ImageReferencedByManifestList', message: 'held' })),
  });
  return {
    calls,
    async expire(_repository, digests, onProgress) {
      calls.push(`expire ${digests.join(',')}`);
      for (let i = 1; i <= digests.length; i++) onProgress?.(i);
      return result(digests);
    },
    async archive(_repository, digests) {
      calls.push(`archive ${digests.join(',')}`);
      return result(digests);
    },
  };
}

describe('applyRepositoryPlan', () => {
  it('deletes, then archives, reports progress and records what it removed', async () => {
    const removed: RemovedImageRecord[] = [];
    const progress: string[] = [];
    const r = remover(['b']);
    const outcome = await applyRepositoryPlan(
      {
        remover: r,
        records: { recordRemoved: async (images) => void removed.push(...images) },
      },
      PLAN,
      {
        runId: 'RUN',
        dryRun: false,
        now: () => AT,
        onProgress: (done, total) => progress.push(`${done}/${total}`),
      },
    );
    expect(r.calls).toEqual(['expire a,b,c', 'archive t']);
    expect(progress).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(outcome).toMatchObject({
      status: 'cleaned',
      deletedCount: 2,
      bytesReclaimed: 200,
      monthlySavingsUsd: 0.2,
      reason: '1 of 4 images could not be removed',
      failures: [{ digest: 'b', code: 'ImageReferencedByManifestList' }],
    });
    expect(removed.map((i) => [i.digest, i.action, i.rulePriority])).toEqual([
      ['a', 'EXPIRE', 2],
      ['c', 'EXPIRE', 2],
      ['t', 'TRANSITION', 2],
    ]);
  });

  it.each([
    ['a dry run', PLAN, true, 'dry-run'],
    ['a refused plan', { ...PLAN, status: 'refused' as const, reason: 'over the cap' }, false, 'refused'],
    ['a skipped plan', { ...PLAN, status: 'skipped' as const, reason: 'doubt' }, false, 'skipped'],
  ])('removes nothing for %s', async (_case, plan, dryRun, status) => {
    const r = remover();
    const outcome = await applyRepositoryPlan({ remover: r }, plan, { runId: 'RUN', dryRun, now: () => AT });
    expect(r.calls).toEqual([]);
    expect(outcome).toMatchObject({ status, deletedCount: 0 });
  });
});
