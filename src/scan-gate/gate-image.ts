import type { Clock } from '../shared/clock.ts';
import type { ImageLookup } from '../shared/ecr/image-lookup.ts';
import {
  type GateOutcome,
  gateOutcome,
  pollDelayMs,
  type ThresholdSeverity,
  withThresholdOverride,
} from './domain/ci-gate.ts';
import type { ScanException } from './domain/exceptions.ts';
import { type PolicyConfig, policyFor } from './domain/policy.ts';
import { isScanPending } from './domain/scan-status.ts';
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
  /** Why there is no verdict (image not found, scan did not finish in time). */
  message?: string;
  polls: number;
}

/**
 * The CI gate: find the image's digest, then use the stored verdict for it when there is one (and no
 * threshold override), else wait for its scan — polling with backoff, no fixed sleeps — and judge it with the
 * same domain policy the pipeline uses.
 */
export function gateImage(deps: {
  registry: ImageLookup;
  scans: ScanFindingsReader;
  verdicts: Pick<VerdictStore, 'latest'>;
  config: PolicyConfig & { exceptions: readonly ScanException[] };
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
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
    for (;;) {
      const scan = await deps.scans.read(repositoryName, imageDigest);
      polls++;
      const now = deps.clock.now();
      if (!isScanPending(scan.scanStatus)) {
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
          message: `scan still ${scan.scanStatus} after ${request.waitSeconds} s`,
          polls,
        };
      }
      await deps.sleep(pollDelayMs(polls - 1, remaining));
    }
  };
}
