import type { Finding } from './domain/findings.ts';
import type { Verdict } from './domain/verdict.ts';

/** The full findings of one image's latest scan, normalised; `findings` undefined when unavailable. */
export interface ScanResult {
  /** Upper case; `SCAN_NOT_FOUND` when the image was never scanned (judged ERROR like any failed scan). */
  scanStatus: string;
  scanStatusDescription?: string | undefined;
  findings: Finding[] | undefined;
  /** When the scan finished, when the registry says. */
  scanCompletedAt?: Date | undefined;
}

/** Reads scan results from ECR (every page of DescribeImageScanFindings, basic and enhanced shapes). */
export interface ScanFindingsReader {
  /** @throws {ImageGoneError} when the image or its repository no longer exists. */
  read(repositoryName: string, imageDigest: string): Promise<ScanResult>;
}

/** Tells whether an image is in the registry. */
export interface ImageChecker {
  /**
   * Whether the image exists in the registry, in one call: for an event that is judged without its findings (a
   * failed scan), so that an event naming an image ECR never held is not stored or alerted.
   */
  exists(repositoryName: string, imageDigest: string): Promise<boolean>;
}

/** Verdicts by repository + digest: the latest in one read, every evaluation kept as history. */
export interface VerdictStore {
  latest(repositoryName: string, imageDigest: string): Promise<Verdict | undefined>;
  /**
   * Store an evaluation as the latest and in the history. The history item is keyed by the evaluation's
   * identity (`evaluationId`), so storing the same evaluation of the same scan again leaves one item. Last
   * writer wins for the latest; who alerts is decided by {@link AlertClaims}, not here.
   */
  save(verdict: Verdict): Promise<void>;
}

/** Which alert: the one about an evaluation, or (`what`) another one about it. */
export interface AlertKey {
  repositoryName: string;
  imageDigest: string;
  evaluationId: string;
  what?: 'ENFORCEMENT';
}

/** An alert this invocation holds the right to publish. */
export interface AlertClaim {
  key: AlertKey;
  /** Who holds it (unique per claim attempt). */
  owner: string;
  /** The alert kind recorded by whoever claimed it first: a take-over publishes that one. */
  kind: string;
}

/**
 * At most one publisher per alert, whatever the number of concurrent or retried invocations: a conditional
 * write decides who publishes, and the claim records whether the publish succeeded.
 */
export interface AlertClaims {
  /**
   * Claim `key` when nobody has, or when its claim was never published and was given up or its lease ran out
   * (its holder failed or died). `takeOverOnly`: only the latter — for an evaluation already stored, which
   * must not start a new alert but may finish one a failed invocation left unpublished.
   * @returns the claim, or undefined when the alert is published or another invocation holds it.
   */
  claim(
    key: AlertKey,
    request: { kind: string; now: Date; leaseMs: number; takeOverOnly?: boolean },
  ): Promise<AlertClaim | undefined>;
  /** Record the claimed alert as published: nobody publishes it again. */
  published(claim: AlertClaim, messageId: string): Promise<void>;
  /** Give up a claim whose publish failed, so that the next attempt publishes at once. */
  release(claim: AlertClaim): Promise<void>;
}

/** Removes tags from an image without ever deleting the image. */
export interface ImageTagger {
  /** Remove `tags` from the image `imageDigest`; tags now on another image are left alone. */
  untag(
    repositoryName: string,
    imageDigest: string,
    tags: readonly string[],
  ): Promise<{ removed: string[]; skipped: string[] }>;
}
