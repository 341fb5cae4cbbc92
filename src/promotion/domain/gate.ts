/**
 * The promotion gate: judge a digest's newest completed scan with the target repository's policy, fail closed.
 * Pure: the scans are read by the caller, time is passed in. The scan gate's own rules do the judging
 * (policy layers, exceptions, thresholds), so a promotion and the scan gate never disagree about an image.
 */
import {
  BLOCKING_DETAILS_MAX,
  type EffectivePolicy,
  evaluate,
  isScanComplete,
  SCAN_NOT_FOUND,
  type ScanException,
  type ScanResult,
  type Verdict,
} from '../../scan-gate/index.ts';
import type { GateSummary } from './promotion.ts';

/** The scan of the digest found in one repository (the source's, or an earlier environment's). */
export interface ScanCandidate {
  repositoryName: string;
  /** Undefined: the digest is not in that repository. */
  scan: ScanResult | undefined;
}

/** What the gate decided. */
export interface PromotionGate {
  /** The verdict for the target repository and digest (stored so the scan gate on the target answers at once). */
  verdict: Verdict;
  summary: GateSummary;
  /** Why the promotion is refused; undefined when it may go ahead. */
  refusal?: string;
}

const DAY_MS = 86_400_000;

/** The newest completed scan among the candidates, if any. */
function newestComplete(
  candidates: readonly ScanCandidate[],
): (ScanCandidate & { scan: ScanResult }) | undefined {
  let best: (ScanCandidate & { scan: ScanResult }) | undefined;
  for (const candidate of candidates) {
    const { scan } = candidate;
    if (!scan || !isScanComplete(scan.scanStatus) || scan.findings === undefined) continue;
    const time = scan.scanCompletedAt?.getTime() ?? 0;
    if (!best || time > (best.scan.scanCompletedAt?.getTime() ?? 0)) best = { ...candidate, scan };
  }
  return best;
}

/** Why no candidate has a usable scan, in the user's terms. */
function noScanReason(candidates: readonly ScanCandidate[], digest: string): string {
  const seen = candidates.filter((c) => c.scan !== undefined);
  if (seen.length === 0) {
    return `no scan of ${digest} in ${candidates.map((c) => c.repositoryName).join(', ')}`;
  }
  return seen
    .map((c) => {
      const scan = c.scan as ScanResult;
      const status = scan.scanStatus === SCAN_NOT_FOUND ? 'never scanned' : `scan ${scan.scanStatus}`;
      return `${c.repositoryName}: ${status}${scan.scanStatusDescription ? ` (${scan.scanStatusDescription})` : ''}`;
    })
    .join('; ');
}

/**
 * Judge a promotion of `digest` into `targetRepository`.
 * Refused (fail closed) when no candidate has a completed scan, when the newest completed scan is older than
 * `maxScanAgeDays`, or when the verdict under the target's policy is not PASS.
 */
export function judgePromotion(input: {
  digest: string;
  imageTags: readonly string[];
  targetRepository: string;
  /** The target repository's effective policy (`policyFor(config, targetRepository)`). */
  policy: EffectivePolicy;
  exceptions: readonly ScanException[];
  /** Nearest environment first: the source, then earlier ones. */
  candidates: readonly ScanCandidate[];
  maxScanAgeDays: number;
  now: Date;
}): PromotionGate {
  const chosen = newestComplete(input.candidates);
  const verdict = evaluate({
    repositoryName: input.targetRepository,
    imageDigest: input.digest,
    imageTags: input.imageTags,
    scanStatus: chosen?.scan.scanStatus ?? SCAN_NOT_FOUND,
    scanStatusDescription: chosen
      ? chosen.scan.scanStatusDescription
      : noScanReason(input.candidates, input.digest),
    findings: chosen?.scan.findings,
    policy: input.policy,
    exceptions: input.exceptions,
    now: input.now,
    scanCompletedAt: chosen?.scan.scanCompletedAt?.toISOString(),
  });
  const summary: GateSummary = {
    status: verdict.status,
    reason: verdict.reason,
    ...(chosen ? { scannedRepository: chosen.repositoryName } : {}),
    ...(verdict.scanCompletedAt ? { scanCompletedAt: verdict.scanCompletedAt } : {}),
    blocking: verdict.blocking.ids.slice(0, BLOCKING_DETAILS_MAX),
    policyHash: verdict.policyHash,
  };
  if (!chosen) {
    return {
      verdict,
      summary,
      refusal: `no completed scan: ${noScanReason(input.candidates, input.digest)}`,
    };
  }
  const completedAt = chosen.scan.scanCompletedAt;
  if (!completedAt) {
    return { verdict, summary, refusal: `the scan in ${chosen.repositoryName} has no completion time` };
  }
  const ageDays = (input.now.getTime() - completedAt.getTime()) / DAY_MS;
  if (ageDays > input.maxScanAgeDays) {
    return {
      verdict,
      summary,
      refusal: `the newest scan (${chosen.repositoryName}, ${completedAt.toISOString()}) is ${Math.floor(ageDays)} days old, more than promotion.maxScanAgeDays (${input.maxScanAgeDays}): scan the image again`,
    };
  }
  if (verdict.status !== 'PASS') {
    const blocking = verdict.blocking.ids.slice(0, 10);
    return {
      verdict,
      summary,
      refusal: `${input.targetRepository}'s policy says ${verdict.status}: ${verdict.reason}${blocking.length ? ` (blocking: ${blocking.join(', ')}${verdict.blocking.ids.length > blocking.length ? ', …' : ''})` : ''}`,
    };
  }
  return { verdict, summary };
}
