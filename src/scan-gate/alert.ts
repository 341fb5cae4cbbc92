import { type AlertDocument, alertSubject } from '../notifications/index.ts';
import { consoleUrl } from '../shared/ecr/console.ts';
import { worstSeverity } from '../shared/severity.ts';
import type { AlertKind } from './domain/alerting.ts';
import type { Verdict } from './domain/verdict.ts';

/** Where the image lives and why we alert: what a verdict alone does not say. */
export interface AlertContext {
  kind: AlertKind | 'enforcement-failed';
  accountId: string;
  region: string;
}

/**
 * The alert document of a verdict, complete: every tag, blocking id and exception. Notifications renders the
 * email and the subscribers' JSON from it and cuts both to what one SNS message holds, so the email can still
 * say how much it left out.
 */
export function verdictAlert(verdict: Verdict, context: AlertContext): AlertDocument {
  const { kind, accountId, region } = context;
  const { repositoryName, imageDigest } = verdict;
  return {
    type: 'ecr-sentinel.scan-verdict',
    version: 1,
    kind,
    subject: alertSubject({ ...verdict, kind }),
    status: verdict.status,
    reason: verdict.reason,
    repositoryName,
    imageDigest,
    imageTags: verdict.imageTags,
    scanStatus: verdict.scanStatus,
    accountId,
    region,
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
