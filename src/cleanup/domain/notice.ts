import type { RepositoryPlan } from './plan.ts';
import type { PlannedImages } from './planned-images.ts';

/**
 * Advance notice (cleanup.noticeDays), pure: what a scheduled run does with a repository's deletions given its
 * pending notice. Only deletions are announced; moving images to archive loses nothing and is not held back.
 *
 * - nothing expiring and no notice: nothing to announce or delete;
 * - expiring images and no notice: announce them for `today + noticeDays`, delete nothing;
 * - a notice not yet due: wait (images eligible since are announced by the next notice);
 * - a notice due: delete what the plan still expires and the notice announced, nothing else.
 */
export type NoticeDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'announce'; readonly deleteOn: string; readonly expiring: PlannedImages }
  | { readonly kind: 'wait'; readonly deleteOn: string }
  | { readonly kind: 'delete'; readonly expiring: PlannedImages };

/** `YYYY-MM-DD` of a time, in UTC. */
export function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/** The day `days` after `time`'s UTC day. */
export function dayAfter(time: Date, days: number): string {
  return utcDay(new Date(Date.parse(`${utcDay(time)}T00:00:00Z`) + days * 86_400_000));
}

/** Decides, for a planned repository, whether to announce, wait or delete (see {@link NoticeDecision}). */
export function noticeDecision(
  plan: RepositoryPlan,
  notice: { readonly deleteOn: string; readonly digests: readonly string[] } | undefined,
  noticeDays: number,
  now: Date,
): NoticeDecision {
  if (notice === undefined) {
    return plan.expiring.length === 0
      ? { kind: 'none' }
      : { kind: 'announce', deleteOn: dayAfter(now, noticeDays), expiring: plan.expiring };
  }
  if (utcDay(now) < notice.deleteOn) return { kind: 'wait', deleteOn: notice.deleteOn };
  const announced = new Set(notice.digests);
  return { kind: 'delete', expiring: plan.expiring.filter((p) => announced.has(p.image.digest)) };
}
