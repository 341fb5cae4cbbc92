/**
 * The seams between the sandbox's parts: the edge server (routing, admin API, moto proxy, clock, faults,
 * counters) and the ECR emulator. The edge owns HTTP and time; the emulator owns ECR state and behaviour.
 */

import type { Clock } from '../shared/clock.ts';

/** One entry for EventBridge PutEvents on the default bus, shaped like the SDK's PutEventsRequestEntry. */
export interface EventEntry {
  Source: string;
  DetailType: string;
  /** JSON text of the event's `detail`. */
  Detail: string;
  Resources: string[];
  Time: Date;
}

/** What the next scan of an image reports (POST /_sandbox/findings). */
export interface FindingsCatalogueEntry {
  repositoryName: string;
  imageTag?: string;
  imageDigest?: string;
  /** Scan outcome to simulate; COMPLETE (default) reports the findings below. */
  status?: 'COMPLETE' | 'FAILED' | 'UNSUPPORTED_IMAGE' | 'FINDINGS_UNAVAILABLE';
  findings: Array<{
    name: string;
    severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNDEFINED';
    package?: string;
    version?: string;
    fixedIn?: string;
    description?: string;
    uri?: string;
  }>;
}

export interface EcrEmulatorOptions {
  /** The sandbox's settable clock: everything the emulator stamps reads it. */
  clock: Clock;
  accountId: string;
  region: string;
  /** Base URL clients reach the sandbox on (e.g. http://127.0.0.1:4566); used for layer download URLs. */
  publicUrl: () => string;
  /** Fire and forget: the edge batches these into PutEvents on moto's default bus. */
  emit: (entries: EventEntry[]) => void;
  /** When set, ECR state is loaded from and saved to this directory. */
  stateDir?: string;
  /** Real milliseconds between a scan starting and completing. */
  scanDelayMs: number;
}

/** The result of serving one ECR wire request (AWS JSON 1.1). */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface EcrEmulator {
  /**
   * Serve one ECR request: `action` is the part of `X-Amz-Target` after the dot, `rawBody` the request body.
   * Never throws: errors become `{"__type": "...Exception", "message": ...}` responses.
   */
  serve(action: string, rawBody: string): Promise<WireResponse>;
  /** Bytes of a blob stored in a repository, for the download URLs GetDownloadUrlForLayer hands out. */
  readBlob(repositoryName: string, digest: string): Buffer | undefined;
  /** Validate and store a findings catalogue entry; throws an Error naming the bad field. */
  setFindings(entry: unknown): void;
  /** The registry's scan type (PutRegistryScanningConfiguration): what reading findings needs in IAM. */
  scanType(): 'BASIC' | 'ENHANCED';
  /** Empty every repository, blob, policy, scan and findings entry; registry settings back to defaults. */
  reset(): void;
  /** Persist state now (no-op without stateDir). */
  flush(): Promise<void>;
  /** Cancel pending timers and persist. */
  close(): Promise<void>;
}

/** Path of the sandbox route that serves blob bytes. */
export const BLOB_ROUTE = '/_sandbox/ecr/blob';

/** The download URL for a blob, as GetDownloadUrlForLayer returns it. */
export function blobUrl(publicUrl: string, repositoryName: string, digest: string): string {
  const query = new URLSearchParams({ repository: repositoryName, digest });
  return `${publicUrl}${BLOB_ROUTE}?${query.toString()}`;
}

/** X-Amz-Target prefix of the ECR API. */
export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
