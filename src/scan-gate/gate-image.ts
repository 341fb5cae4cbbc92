import type { Clock } from '../shared/clock.ts';
import type { ImageLookup } from '../shared/ecr/image-lookup.ts';
import type { ScanSettings } from '../shared/ecr/scan-settings.ts';
import {
  type GateOutcome,
  gateOutcome,
  pollDelayMs,
  type ThresholdSeverity,
  withThresholdOverride,
} from './domain/ci-gate.ts';
import type { ScanException } from './domain/exceptions.ts';
import { type PolicyConfig, policyFor } from './domain/policy.ts';
import { expectScan, type ScanExpectation } from './domain/scan-expectation.ts';
import { isScanPending, SCAN_NOT_FOUND } from './domain/scan-status.ts';
import { evaluate, type Verdict } from './domain/verdict.ts';
import type { ScanFindingsReader, VerdictStore } from './ports.ts';

export interface GateImageRequest {
  repositoryName: string;
  /** Exactly one of imageTag / imageDigest. */
  imageTag?: string;
  imageDigest?: string;
  /** Overrides the configured thresholds: fail on any finding of this severity or worse. */
  threshold?: ThresholdSeverity;
  /** How long to wait for the scan to finish. */
  waitSeconds: number;
}

export interface GateImageResult {
  outcome: GateOutcome;
  repositoryName: string;
  imageDigest?: string;
  /** Where the verdict came from: the store (judged by on-scan-completed) or evaluated here. */
  source?: 'stored' | 'evaluated';
  verdict?: Verdict;
  /** Why there is no verdict (image not found, no scan will come, scan did not finish in time). */
  message?: string;
  polls: number;
}

/** What the gate saw change while it waited: the scan's status (SCAN_NOT_FOUND: none yet, and why one comes). */
export interface GateProgress {
  scanStatus: string;
  /** Whole seconds since the gate started. */
  elapsedSeconds: number;
  /** Why a scan is expected, while there is none yet. */
  expected?: string;
}

/**
 * The CI gate: find the image's digest, then use the stored verdict for it when there is one (and no
 * threshold override), else wait for its scan — polling with backoff, no fixed sleeps — and judge it with the
 * same domain policy the pipeline uses. An image with no scan at all is waited for only while a scan is coming
 * ({@link expectScan}); when nothing will scan it the answer is ERROR at once, saying what to do.
 * @param deps.coverage what decides whether a scan is coming; read once, only for an image with no scan.
 * @param deps.pipelineStartsScans whether the deployed pipeline (on-image-pushed) starts scans here.
 * @param deps.onProgress told once per change of the scan's status while the gate waits (not per poll).
 */
export function gateImage(deps: {
  registry: ImageLookup;
  scans: ScanFindingsReader;
  verdicts: Pick<VerdictStore, 'latest'>;
  coverage: { read(repositoryName: string): Promise<ScanSettings> };
  pipelineStartsScans: (repositoryName: string, imageDigest: string) => Promise<boolean>;
  config: PolicyConfig & { exceptions: readonly ScanException[] };
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  onProgress?: (progress: GateProgress) => void;
}) {
  return async (request: GateImageRequest): Promise<GateImageResult> => {
    const { repositoryName } = request;
    const started = deps.clock.now().getTime();
    const deadline = started + request.waitSeconds * 1000;
    const imageDigest =
      request.imageDigest ?? (await deps.registry.resolveTag(repositoryName, request.imageTag ?? ''));
    if (!imageDigest) {
      return {
        outcome: 'ERROR',
        repositoryName,
        message: `no image tagged ${request.imageTag} in repository ${repositoryName}`,
        polls: 0,
      };
    }
    const facts = await deps.registry.describeImage(repositoryName, imageDigest);
    if (!facts) {
      return {
        outcome: 'ERROR',
        repositoryName,
        imageDigest,
        message: `image ${imageDigest} not found`,
        polls: 0,
      };
    }

    if (!request.threshold) {
      const stored = await deps.verdicts.latest(repositoryName, imageDigest);
      if (stored)
        return {
          outcome: gateOutcome(stored),
          repositoryName,
          imageDigest,
          source: 'stored',
          verdict: stored,
          polls: 0,
        };
    }

    let polls = 0;
    let expectation: ScanExpectation | undefined;
    let reported: string | undefined;
    for (;;) {
      const scan = await deps.scans.read(repositoryName, imageDigest);
      polls++;
      if (scan.scanStatus === SCAN_NOT_FOUND && !expectation) {
        expectation = expectScan(await deps.coverage.read(repositoryName), {
          repositoryName,
          imageDigest,
          pipelineStartsScans: await deps.pipelineStartsScans(repositoryName, imageDigest),
        });
        if (!expectation.coming) {
          return { outcome: 'ERROR', repositoryName, imageDigest, message: expectation.message, polls };
        }
      }
      const now = deps.clock.now();
      const pending = isScanPending(scan.scanStatus);
      // One report per change, and none for a scan that was already finished at the first look (no wait).
      if (scan.scanStatus !== reported && (pending || reported !== undefined)) {
        reported = scan.scanStatus;
        deps.onProgress?.({
          scanStatus: scan.scanStatus,
          elapsedSeconds: Math.floor((now.getTime() - started) / 1000),
          ...(scan.scanStatus === SCAN_NOT_FOUND && expectation?.coming ? { expected: expectation.why } : {}),
        });
      }
      if (!pending) {
        const configured = policyFor(deps.config, repositoryName);
        const policy = request.threshold ? withThresholdOverride(configured, request.threshold) : configured;
        const verdict = evaluate({
          repositoryName,
          imageDigest,
          imageTags: facts.tags,
          scanStatus: scan.scanStatus,
          scanStatusDescription: scan.scanStatusDescription,
          findings: scan.findings,
          policy,
          exceptions: deps.config.exceptions,
          now,
        });
        return {
          outcome: gateOutcome(verdict),
          repositoryName,
          imageDigest,
          source: 'evaluated',
          verdict,
          polls,
        };
      }
      const remaining = deadline - now.getTime();
      if (remaining <= 0) {
        return {
          outcome: 'TIMEOUT',
          repositoryName,
          imageDigest,
          message:
            scan.scanStatus === SCAN_NOT_FOUND
              ? `no scan of the image after ${request.waitSeconds} s${expectation?.coming ? ` (expected: ${expectation.why})` : ''}`
              : `scan still ${scan.scanStatus} after ${request.waitSeconds} s`,
          polls,
        };
      }
      await deps.sleep(pollDelayMs(polls - 1, remaining));
    }
  };
}
