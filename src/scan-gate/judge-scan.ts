import type { AlertDocument, AlertPublisher } from '../notifications/index.ts';
import type { Clock } from '../shared/clock.ts';
import { ImageGoneError, SentinelError } from '../shared/errors.ts';
import { enforcementFailedAlert, type UntagOutcome, verdictAlert } from './alert.ts';
import { type AlertKind, alertDecision, isAlertKind } from './domain/alerting.ts';
import type { ScanException } from './domain/exceptions.ts';
import { type PolicyConfig, policyFor } from './domain/policy.ts';
import { isScanComplete, isScanRunning } from './domain/scan-status.ts';
import { evaluate, evaluationId, gateBlocks, type Verdict, type VerdictStatus } from './domain/verdict.ts';
import {
  assertHomeRegistry,
  type HomeRegistry,
  normaliseScanEvent,
  type ScanCompletedEvent,
} from './events.ts';
import type {
  AlertClaim,
  AlertClaims,
  AlertKey,
  ImageChecker,
  ImageTagger,
  ScanFindingsReader,
  ScanResult,
  VerdictStore,
} from './ports.ts';

/** What happened to one scan event, returned by the handler and logged. */
export interface JudgeScanSummary {
  repositoryName: string;
  imageDigest: string;
  /**
   * `judged`: a verdict was evaluated and stored (or found identical to the stored one under a concurrent
   * writer); `image-gone`: the image was deleted since the scan, or the registry never held it;
   * `scan-in-progress`: the event says complete but a newer scan of the image is running (its own event
   * follows); `stale`: a failed-scan event older than the scan the stored verdict judged.
   */
  outcome: 'judged' | 'image-gone' | 'scan-in-progress' | 'stale';
  status?: VerdictStatus;
  reason?: string;
  /** The verdict alert this invocation published; `none` when it had none to send or another one sent it. */
  alert: AlertKind | 'none';
  alertMessageId?: string;
  untagged: string[];
  /** Tags the policy would remove that were not on the image (moved elsewhere, or never there). */
  untagSkipped: string[];
}

/**
 * How long an alert claim keeps other invocations from publishing while its holder publishes: longer than
 * on-scan-completed's timeout (30 s), so a live holder is never overtaken, and shorter than Lambda's first
 * retry delay (about a minute), so the retry of an invocation that died holding it publishes the alert.
 */
export const ALERT_CLAIM_LEASE_MS = 45_000;

/**
 * Enforcement of a blocking verdict failed (e.g. ECR throttled the untag). Thrown after the verdict is stored
 * and the failure alerted, so that Lambda retries the enforcement; `summary` is what was done meanwhile.
 */
export class EnforcementError extends SentinelError {
  override readonly name = 'EnforcementError';

  constructor(
    message: string,
    readonly summary: JudgeScanSummary,
    options: { cause: unknown },
  ) {
    super(message, { retryable: true, cause: options.cause });
  }
}

/**
 * Judge a finished scan: read the findings, evaluate them against the repository's policy, store the verdict,
 * enforce `untag`, and alert when the verdict (or its blocking findings) changed — after the enforcement, so
 * that the alert says what was done ("removed tag latest", or why a tag was not removed) and lists the tags
 * the image has now.
 *
 * Exactly one alert per change, whatever fails and however often the event arrives:
 * - the alert is claimed first, before anything is stored or enforced: a conditional write on a claim keyed by
 *   the evaluation's identity ({@link evaluationId}), so of concurrent copies of one event exactly one
 *   publishes, and a retry after a successful publish finds the claim published and stays silent. The claim
 *   is held while the verdict is stored and enforced (well within its lease), then published;
 * - a failed publish gives the claim up and is thrown at the end: the retry takes the claim over and
 *   publishes (an alert is never lost); an invocation that dies holding the claim is overtaken when its lease
 *   ({@link ALERT_CLAIM_LEASE_MS}) ends. An evaluation already stored (a redelivery, a retry, or a concurrent
 *   copy that stored it first) may only take over such an unpublished claim, never start a new alert. A
 *   failed claim throws before anything else: nothing is stored, so the retry decides again;
 * - the verdict is stored, enforced and its claimed alert published, each attempted even when another fails:
 *   a failed untag leaves the verdict stored, is named in the verdict alert, is alerted once per evaluation on
 *   its own (`enforcement-failed`) and is thrown as an {@link EnforcementError} so that Lambda retries it
 *   (untagging is idempotent; the retry's removal is not alerted again). A take-over after a failed publish
 *   finds the tags removed already and says so (skipped: not on this image);
 * - the one duplicate left: SNS accepted a publish but recording the claim as published failed, and the
 *   evaluation is judged again after the lease.
 * The history item of an evaluation is keyed by its identity, so a replay stores it once.
 *
 * A scan of another account's or Region's registry than `home` (the function's own) is refused with a
 * ForeignRegistryError before any call. `home.stage`, when given, is named in the alerts with the account and
 * Region.
 *
 * AWS calls per event, in this order: DescribeImageScanFindings (one page up to 1000 findings; when the event
 * reports a failed scan, one call of one finding that confirms the image exists), GetItem; when alerting,
 * UpdateItem (claim); BatchWriteItem (latest + history); `untag` enforcement of a failing image adds
 * DescribeImages (+ BatchDeleteImage, + BatchGetImage and PutImage when the tags were its last); when
 * alerting, Publish and UpdateItem (published). A redelivery of a stored evaluation adds one UpdateItem
 * (take-over check); a failed untag adds its own alert's UpdateItem, Publish and UpdateItem, once per
 * evaluation.
 */
export function judgeScan(deps: {
  reader: ScanFindingsReader & ImageChecker;
  store: VerdictStore;
  claims: AlertClaims;
  publisher: AlertPublisher;
  tagger: ImageTagger;
  config: PolicyConfig & { exceptions: readonly ScanException[] };
  clock: Clock;
}) {
  /** Claim the alert `key`; undefined when another invocation has or does. A failed claim throws. */
  function claimAlert(key: AlertKey, request: { kind: string; takeOverOnly?: boolean }) {
    return deps.claims.claim(key, { ...request, now: deps.clock.now(), leaseMs: ALERT_CLAIM_LEASE_MS });
  }

  /**
   * Publish a claimed alert and record it published. A failed publish gives the claim up and comes back as
   * `error`, so that the caller still finishes its work (a retry then takes the given-up claim over).
   */
  async function publishClaimed(
    claim: AlertClaim,
    document: (claimedKind: string) => AlertDocument,
  ): Promise<{ sent?: { kind: string; messageId: string }; error?: unknown }> {
    let messageId: string;
    try {
      ({ messageId } = await deps.publisher.publish(document(claim.kind)));
    } catch (error) {
      // Best effort, whatever failed: a claim not given up is overtaken when its lease ends.
      await deps.claims.release(claim).catch(() => undefined);
      return { error };
    }
    await deps.claims.published(claim, messageId);
    return { sent: { kind: claim.kind, messageId } };
  }

  /** The `enforcement-failed` alert, once per evaluation; what went wrong alerting it, if anything. */
  async function alertEnforcementFailed(key: AlertKey, document: () => AlertDocument): Promise<unknown> {
    try {
      const claim = await claimAlert({ ...key, what: 'ENFORCEMENT' }, { kind: 'enforcement-failed' });
      return claim === undefined ? undefined : (await publishClaimed(claim, document)).error;
    } catch (claimError) {
      // The EnforcementError the caller throws makes Lambda retry, and the retry alerts: report this one in its
      // message rather than mask the enforcement failure.
      return claimError;
    }
  }

  return async (
    event: ScanCompletedEvent,
    home: HomeRegistry & { stage?: string | undefined },
  ): Promise<JudgeScanSummary> => {
    const scan = normaliseScanEvent(event);
    assertHomeRegistry(scan, home);
    const { repositoryName, imageDigest } = scan;
    const skip = (outcome: JudgeScanSummary['outcome']): JudgeScanSummary => ({
      repositoryName,
      imageDigest,
      outcome,
      alert: 'none',
      untagged: [],
      untagSkipped: [],
    });

    // A failed scan is judged from the event alone (fail closed): its findings would say nothing more. The
    // image must exist though: a verdict and an alert for an image ECR doesn't hold would be the event's word.
    let result: ScanResult;
    if (isScanComplete(scan.scanStatus)) {
      try {
        result = await deps.reader.read(repositoryName, imageDigest);
      } catch (error) {
        if (error instanceof ImageGoneError) return skip('image-gone');
        throw error;
      }
      if (isScanRunning(result.scanStatus)) return skip('scan-in-progress');
    } else {
      if (!(await deps.reader.exists(repositoryName, imageDigest))) return skip('image-gone');
      result = {
        scanStatus: scan.scanStatus,
        findings: undefined,
        scanCompletedAt: eventTime(event.time),
      };
    }

    const policy = policyFor(deps.config, repositoryName);
    const verdict = evaluate({
      repositoryName,
      imageDigest,
      imageTags: scan.imageTags,
      scanStatus: result.scanStatus,
      scanStatusDescription: result.scanStatusDescription,
      findings: result.findings,
      policy,
      exceptions: deps.config.exceptions,
      now: deps.clock.now(),
      scanCompletedAt: (result.scanCompletedAt ?? eventTime(event.time))?.toISOString(),
    });
    const context = {
      accountId: scan.accountId,
      region: scan.region,
      stage: home.stage,
      group: policy.source.group,
      environment: policy.source.environment,
    };

    const previous = await deps.store.latest(repositoryName, imageDigest);
    if (!isScanComplete(scan.scanStatus) && isNewer(previous, verdict)) return skip('stale');

    const id = evaluationId(verdict);
    const key: AlertKey = { repositoryName, imageDigest, evaluationId: id };
    // Stored already: its alert, if it had one, was decided when it was first judged.
    const stored = previous !== undefined && evaluationId(previous) === id;
    const decision = alertDecision(previous, verdict, policy.alertOn);
    // A failed claim throws here, before anything is stored: storing would make the retry's evaluation one
    // already stored, which never starts an alert.
    const claim =
      decision.send || stored
        ? await claimAlert(key, { kind: decision.kind, takeOverOnly: stored })
        : undefined;

    const summary: JudgeScanSummary = {
      repositoryName,
      imageDigest,
      outcome: 'judged',
      status: verdict.status,
      reason: verdict.reason,
      alert: 'none',
      untagged: [],
      untagSkipped: [],
    };

    // Stored, enforced and alerted, each even when another fails (a failed publish's claim, given up, is taken
    // over by the retry).
    let saveError: unknown;
    try {
      await deps.store.save(verdict);
    } catch (error) {
      saveError = error;
    }

    let enforcement: UntagOutcome | undefined;
    let untagError: unknown;
    if (gateBlocks(verdict) && policy.enforcement === 'untag' && policy.untagTags.length > 0) {
      const tags = policy.untagTags;
      try {
        const untag = await deps.tagger.untag(repositoryName, imageDigest, tags);
        summary.untagged = untag.removed;
        summary.untagSkipped = untag.skipped;
        enforcement = { tags, ...untag };
      } catch (error) {
        untagError = error;
        enforcement = {
          tags,
          removed: [],
          skipped: [],
          error: `could not remove tag ${tags.join(', ')}: ${errorCode(error)}, will retry`,
        };
      }
    }

    const { sent, error: publishError } =
      claim === undefined
        ? {}
        : await publishClaimed(claim, (claimed) =>
            verdictAlert(verdict, {
              kind: isAlertKind(claimed) ? claimed : decision.kind,
              ...context,
              enforcement,
              previous,
            }),
          );
    if (sent !== undefined && isAlertKind(sent.kind)) {
      summary.alert = sent.kind;
      summary.alertMessageId = sent.messageId;
    }

    if (enforcement?.error !== undefined) {
      const problem = enforcement.error;
      const alertProblem = await alertEnforcementFailed(key, () =>
        enforcementFailedAlert(verdict, context, problem),
      );
      const also = [
        alertProblem === undefined ? '' : `; alerting it failed: ${errorCode(alertProblem)}`,
        publishError === undefined ? '' : `; the verdict alert was not published: ${errorCode(publishError)}`,
        saveError === undefined ? '' : `; the verdict was not stored: ${errorCode(saveError)}`,
      ].join('');
      throw new EnforcementError(`${problem}${also}`, summary, { cause: untagError });
    }
    if (publishError !== undefined) throw publishError;
    if (saveError !== undefined) throw saveError;

    return summary;
  };
}

/** An error's code for a one-line report: the AWS error name (`ThrottlingException`) or an adapter's code. */
function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  return error.name === 'Error' ? error.message : error.name;
}

function eventTime(time: string | undefined): Date | undefined {
  if (time === undefined) return undefined;
  const parsed = new Date(time);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** The stored verdict judged a scan that finished after the one `verdict` is about. */
function isNewer(stored: Verdict | undefined, verdict: Verdict): boolean {
  if (stored?.scanCompletedAt === undefined || verdict.scanCompletedAt === undefined) return false;
  return Date.parse(stored.scanCompletedAt) > Date.parse(verdict.scanCompletedAt);
}
