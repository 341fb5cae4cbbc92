import { describe, expect, it } from 'vitest';
import { dayAfter, noticeDecision } from '../../src/cleanup/domain/notice.ts';
import {
  type PlannedImage,
  PlannedImages,
  ProtectedImages,
  type RepositoryPlan,
} from '../../src/cleanup/domain/plan.ts';

const NOW = new Date('2026-11-27T23:30:00Z');
const planned = (digest: string): PlannedImage => ({
  image: { digest, tags: [], pushedAt: NOW.getTime(), storageClass: 'standard', sizeBytes: 1 },
  action: { type: 'EXPIRE' },
  appliedRulePriority: 1,
});
const plan = (digests: string[]): RepositoryPlan => ({
  repositoryName: 'r',
  status: 'planned',
  imageCount: 10,
  expiring: PlannedImages.of(digests.map(planned)),
  transitioning: PlannedImages.EMPTY,
  protected: ProtectedImages.EMPTY,
  keptCount: 10 - digests.length,
  bytesReclaimed: digests.length,
  bytesTransitioned: 0,
  monthlySavingsUsd: 0,
});
const digestsOf = (d: ReturnType<typeof noticeDecision>) =>
  'expiring' in d ? d.expiring.map((p) => p.image.digest) : undefined;

describe('noticeDecision', () => {
  it('announces what expires for the UTC day noticeDays later, deleting nothing', () => {
    const decision = noticeDecision(plan(['a', 'b']), undefined, 7, NOW);
    expect(decision).toMatchObject({ kind: 'announce', deleteOn: '2026-12-04' });
    expect(digestsOf(decision)).toEqual(['a', 'b']);
  });

  it('has nothing to announce when nothing expires', () => {
    expect(noticeDecision(plan([]), undefined, 7, NOW)).toEqual({ kind: 'none' });
  });

  it('waits until the day, even for images that became eligible since', () => {
    const notice = { deleteOn: '2026-11-28', digests: ['a'] };
    expect(noticeDecision(plan(['a', 'c']), notice, 7, NOW)).toEqual({
      kind: 'wait',
      deleteOn: '2026-11-28',
    });
  });

  it('on the day deletes only what was announced and is still eligible', () => {
    const notice = { deleteOn: '2026-11-27', digests: ['a', 'b', 'gone-meanwhile'] };
    // b is no longer eligible (e.g. now in use); c is new: neither goes.
    expect(digestsOf(noticeDecision(plan(['a', 'c']), notice, 7, NOW))).toEqual(['a']);
  });

  it.each([
    ['2026-11-27T00:00:00Z', 1, '2026-11-28'],
    ['2026-12-31T23:59:59Z', 1, '2027-01-01'],
    ['2026-02-27T12:00:00Z', 2, '2026-03-01'],
  ])('dayAfter(%s, %i) is %s', (time, days, expected) => {
    expect(dayAfter(new Date(time), days)).toBe(expected);
  });
});
