import { type AlertDocument, type AlertWhere, alertSubject } from '../notifications/index.ts';
import { consoleUrl } from '../shared/ecr/console.ts';
import { worstSeverity } from '../shared/severity.ts';
import type { AlertKind } from './domain/alerting.ts';
import type { Verdict } from './domain/verdict.ts';

/** Why a tag the policy removes was not removed: the tagger skips tags that are not on the image. */
export const UNTAG_SKIPPED_REASON =
  'not on this image (already removed, moved to another image, or never there)';

/** What `untag` enforcement did before the alert: the tags the policy removes, and what became of them. */
export interface UntagOutcome {
  tags: readonly string[];
  removed: readonly string[];
  skipped: readonly string[];
  /** The removal failed (it is retried): `could not remove tag latest: ThrottlingException, will retry`. */
  error?: string | undefined;
}

/**
 * Where the image lives (the account, Region and stage of the function that judged it), why we alert, and
 * what a verdict alone does not say: the repository's group and environment, what enforcement did, and the
 * verdict this one replaces (whose blocking ids that no longer block are what was fixed).
 */
export interface AlertContext extends AlertWhere {
  kind: AlertKind | 'enforcement-failed';
  group?: string | undefined;
  environment?: string | undefined;
  enforcement?: UntagOutcome | undefined;
  previous?: Pick<Verdict, 'blocking'> | undefined;
}

function enforcementOf(outcome: UntagOutcome): NonNullable<AlertDocument['enforcement']> {
  return {
    action: 'untag',
    tags: [...outcome.tags],
    removed: [...outcome.removed],
    skipped: outcome.skipped.map((tag) => ({ tag, reason: UNTAG_SKIPPED_REASON })),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  };
}

/** The ids `previous` blocked on that `verdict` does not (with the details `previous` kept of them). */
function fixedOf(previous: Pick<Verdict, 'blocking'>, verdict: Verdict): NonNullable<AlertDocument['fixed']> {
  const still = new Set(verdict.blocking.ids);
  const ids = [...new Set(previous.blocking.ids)].filter((id) => !still.has(id));
  const fixed = new Set(ids);
  return {
    count: ids.length,
    ids,
    idsTruncated: false,
    details: previous.blocking.details.filter((f) => fixed.has(f.id)),
  };
}

/**
 * The alert document of a verdict, complete: every tag, blocking id and exception. Notifications renders the
 * email and the subscribers' JSON from it and cuts both to what one SNS message holds, so the email can still
 * say how much it left out.
 */
export function verdictAlert(verdict: Verdict, context: AlertContext): AlertDocument {
  const { kind, accountId, region, stage, group, environment, previous } = context;
  const { repositoryName, imageDigest } = verdict;
  const enforcement = context.enforcement && enforcementOf(context.enforcement);
  // The tags the image has now: those enforcement removed (or found gone) are named as such, not as still there.
  const gone = new Set([...(enforcement?.removed ?? []), ...(enforcement?.skipped.map((k) => k.tag) ?? [])]);
  const imageTags = verdict.imageTags.filter((tag) => !gone.has(tag));
  const fixed =
    previous && (kind === 'resolved' || kind === 'changed') ? fixedOf(previous, verdict) : undefined;
  return {
    type: 'ecr-sentinel.scan-verdict',
    version: 1,
    kind,
    subject: alertSubject({ ...verdict, imageTags, kind, enforcement }),
    status: verdict.status,
    reason: verdict.reason,
    repositoryName,
    imageDigest,
    imageTags,
    scanStatus: verdict.scanStatus,
    accountId,
    region,
    ...(stage ? { stage } : {}),
    ...(group ? { group } : {}),
    ...(environment ? { environment } : {}),
    consoleUrl: consoleUrl({ region, accountId, repositoryName, imageDigest }),
    worstSeverity: worstSeverity(verdict.countsAfter) ?? 'NONE',
    countsBefore: verdict.countsBefore,
    countsAfter: verdict.countsAfter,
    thresholds: verdict.thresholds,
    fixableOnly: verdict.fixableOnly,
    exceeded: verdict.exceeded,
    blocking: {
      count: verdict.blocking.ids.length,
      ids: verdict.blocking.ids,
      idsTruncated: false,
      details: verdict.blocking.details,
    },
    ...(fixed && fixed.count > 0 ? { fixed } : {}),
    ...(enforcement ? { enforcement } : {}),
    exceptionsApplied: verdict.exceptionsApplied,
    exceptionsExpired: verdict.exceptionsExpired,
    policyHash: verdict.policyHash,
    evaluatedAt: verdict.evaluatedAt,
  };
}

/**
 * The alert that a verdict's enforcement failed, e.g. `could not remove tag latest: ThrottlingException, will
 * retry`: the verdict's document with `problem` as its reason, and a subject that leads with the problem (as an
 * ERROR's does) so nobody reads it as a second copy of the verdict alert. `status` stays the verdict's.
 */
export function enforcementFailedAlert(
  verdict: Verdict,
  context: Omit<AlertContext, 'kind'>,
  problem: string,
): AlertDocument {
  const kind = 'enforcement-failed';
  return {
    ...verdictAlert(verdict, { ...context, kind }),
    subject: alertSubject({ ...verdict, kind, status: 'ERROR', reason: problem }),
    reason: problem,
  };
}
