import type { AlertPublisher } from '../notifications/index.ts';
import type { Clock } from '../shared/clock.ts';
import { ImageGoneError } from '../shared/errors.ts';
import { verdictAlert } from './alert.ts';
import { type AlertKind, alertDecision } from './domain/alerting.ts';
import type { ScanException } from './domain/exceptions.ts';
import { type PolicyConfig, policyFor } from './domain/policy.ts';
import { isScanComplete, isScanRunning } from './domain/scan-status.ts';
import { evaluate, gateBlocks, type Verdict, type VerdictStatus } from './domain/verdict.ts';
import { normaliseScanEvent, type ScanCompletedEvent } from './events.ts';
import type { ImageTagger, ScanFindingsReader, ScanResult, VerdictStore } from './ports.ts';

/** What happened to one scan event, returned by the handler and logged. */
export interface JudgeScanSummary {
  repositoryName: string;
  imageDigest: string;
  /**
   * `judged`: a verdict was evaluated and stored (or found identical to the stored one under a concurrent
   * writer); `image-gone`: the image was deleted since the scan; `scan-in-progress`: the event says complete
   * but a newer scan of the image is running (its own event follows); `stale`: a failed-scan event older than
   * the scan the stored verdict judged.
   */
  outcome: 'judged' | 'image-gone' | 'scan-in-progress' | 'stale';
  status?: VerdictStatus;
  reason?: string;
  alert: AlertKind | 'none';
  alertMessageId?: string;
  untagged: string[];
  /** Tags the policy would remove that were not on the image (moved elsewhere, or never there). */
  untagSkipped: string[];
}

/**
 * Judge a finished scan: read the findings, evaluate them against the repository's policy, alert when the
 * verdict (or its blocking findings) changed, enforce `untag`, and store the verdict.
 *
 * Ordering — publish, then enforce, then save (the save is the commit point):
 * - a crash or error before the save leaves the previous latest in place, so Lambda's retry decides again
 *   and re-sends the alert: an alert is never lost, and is sent at least once (a retry after a successful
 *   publish sends it again — the only duplicate);
 * - saving first would lose the alert for good if the publish then failed (the retry would find the same
 *   verdict stored and stay silent);
 * - two evaluations of one image at the same instant are not serialised (last writer wins): at worst both
 *   alert, which at-least-once delivery allows anyway; a transaction to prevent it would cost twice the write
 *   capacity on every event for a race that needs two scans of one digest finishing together.
 * Untagging is idempotent, so retrying it is harmless.
 *
 * AWS calls per event: DescribeImageScanFindings (one page up to 1000 findings; none when the event reports a
 * failed scan), GetItem, BatchWriteItem (latest + history), and Publish only when alerting; `untag` enforcement of a failing
 * image adds DescribeImages (+ BatchDeleteImage, + BatchGetImage and PutImage when the tags were its last).
 */
export function judgeScan(deps: {
  reader: ScanFindingsReader;
  store: VerdictStore;
  publisher: AlertPublisher;
  tagger: ImageTagger;
  config: PolicyConfig & { exceptions: readonly ScanException[] };
  clock: Clock;
}) {
  return async (event: ScanCompletedEvent): Promise<JudgeScanSummary> => {
    const scan = normaliseScanEvent(event);
    const { repositoryName, imageDigest } = scan;
    const skip = (outcome: JudgeScanSummary['outcome']): JudgeScanSummary => ({
      repositoryName,
      imageDigest,
      outcome,
      alert: 'none',
      untagged: [],
      untagSkipped: [],
    });

    // A failed scan is judged from the event alone (fail closed): its findings would say nothing more.
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
    const context = { accountId: scan.accountId, region: scan.region };

    const previous = await deps.store.latest(repositoryName, imageDigest);
    if (!isScanComplete(scan.scanStatus) && isNewer(previous, verdict)) return skip('stale');

    const decision = alertDecision(previous, verdict, policy.alertOn);
    const sent = decision.send
      ? {
          kind: decision.kind,
          ...(await deps.publisher.publish(verdictAlert(verdict, { kind: decision.kind, ...context }))),
        }
      : undefined;

    const untag =
      gateBlocks(verdict) && policy.enforcement === 'untag' && policy.untagTags.length > 0
        ? await deps.tagger.untag(repositoryName, imageDigest, policy.untagTags)
        : { removed: [], skipped: [] };

    await deps.store.save(verdict);

    return {
      repositoryName,
      imageDigest,
      outcome: 'judged',
      status: verdict.status,
      reason: verdict.reason,
      alert: sent?.kind ?? 'none',
      ...(sent === undefined ? {} : { alertMessageId: sent.messageId }),
      untagged: untag.removed,
      untagSkipped: untag.skipped,
    };
  };
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
