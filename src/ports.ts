import type { ImageDetail } from '@aws-sdk/client-ecr';
import type { ScanSettings } from './domain/scanning.ts';

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
