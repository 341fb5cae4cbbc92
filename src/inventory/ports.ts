import type { ImageLookup } from '../shared/ecr/image-lookup.ts';
import type { ScanSettings } from '../shared/ecr/scan-settings.ts';

/** Reads images and their scan settings from ECR, and starts scans. */
export interface ImageRegistry extends ImageLookup {
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
