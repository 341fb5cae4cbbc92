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

/** Verdicts by repository + digest: the latest in one read, every evaluation kept as history. */
export interface VerdictStore {
  latest(repositoryName: string, imageDigest: string): Promise<Verdict | undefined>;
  /**
   * Store a new evaluation as the latest and in the history. Last writer wins: two evaluations of one image
   * at the same instant can at worst both alert, which at-least-once delivery allows anyway.
   */
  save(verdict: Verdict): Promise<void>;
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
