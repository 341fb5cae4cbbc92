import type { ImageDetail } from '@aws-sdk/client-ecr';
import type { Finding } from './domain/findings.ts';
import type { SnsAlert } from './domain/render/alert-text.ts';
import type { ScanSettings } from './domain/scanning.ts';
import type { Verdict } from './domain/verdict.ts';

/** The time source use cases read; handlers pass the system clock, tests a fixed one. */
export interface Clock {
  now(): Date;
}

/** What the registry tells us about one image (the subset of DescribeImages we use). */
export type ImageFacts = Pick<
  ImageDetail,
  'imageTags' | 'imageSizeInBytes' | 'imagePushedAt' | 'imageManifestMediaType' | 'artifactMediaType'
>;

/** Read and act on ECR. */
export interface ImageRegistry {
  /** The digest a tag points to, or undefined when no image has that tag. */
  resolveTag(repositoryName: string, imageTag: string): Promise<string | undefined>;
  /** Facts about an image by digest, or undefined when the image no longer exists. */
  describeImage(repositoryName: string, imageDigest: string): Promise<ImageFacts | undefined>;
  scanSettings(repositoryName: string): Promise<ScanSettings>;
  /** `already-scanned`: basic scanning allows one scan per image per day; `unsupported`: ECR can't scan it. */
  startScan(
    repositoryName: string,
    imageDigest: string,
  ): Promise<'started' | 'already-scanned' | 'unsupported'>;
}

/** One image as the inventory knows it. */
export interface InventoryImage {
  repositoryName: string;
  imageDigest: string;
  /** Tags to add to the record (tags merge; a push never removes one). */
  tags: string[];
  pushedAt?: Date;
  sizeInBytes?: number;
  mediaType?: string;
  artifactMediaType?: string;
  /** The event that told us, for tracing. */
  sourceEventId: string;
  recordedAt: Date;
}

/** The image inventory (DynamoDB). */
export interface InventoryStore {
  /** Create or update the record; idempotent: the same input twice leaves one record. */
  recordImage(image: InventoryImage): Promise<void>;
}

// ---- Scan gate and alerts -------------------------------------------------------------------------------

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

/** The image (or its whole repository) was deleted: nothing left to judge or enforce. */
export class ImageGoneError extends Error {
  override readonly name = 'ImageGoneError';
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

/** Publishes alerts (SNS). */
export interface AlertPublisher {
  publish(alert: SnsAlert): Promise<{ messageId: string }>;
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

// ---- Slack delivery (notify-slack) -----------------------------------------------------------------------

/** Secret values by name (SSM SecureString); implementations cache and never log the value. */
export interface SecretReader {
  get(name: string): Promise<string>;
  /** Forget a cached value (e.g. the webhook said the URL is no longer valid). */
  invalidate(name: string): void;
}

/** Posts one JSON message to a webhook URL, retrying what is worth retrying. */
export interface WebhookPoster {
  /** @returns how many attempts it took; throws a named error when the message was not delivered. */
  post(url: string, message: unknown, options: { remainingMs: () => number }): Promise<{ attempts: number }>;
}
