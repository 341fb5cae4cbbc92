/**
 * The seams between the sandbox's parts: the edge server (routing, admin API, moto proxy, clock, faults,
 * counters) and the ECR emulator. The edge owns HTTP and time; the emulator owns ECR state and behaviour.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
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

/** One registry: an account in a Region. */
export interface RegistryRef {
  accountId: string;
  region: string;
}

/**
 * Who sends an ECR request: the account of its access key (see edge/accounts.ts) and the Region of its SigV4
 * credential scope. `principalArn` names the caller in AccessDenied messages.
 */
export interface EcrCaller extends RegistryRef {
  principalArn?: string;
}

export interface EcrEmulatorOptions {
  /** The sandbox's settable clock: everything the emulator stamps reads it. */
  clock: Clock;
  /** The sandbox's own account and Region: the registry of unsigned requests and of the admin API's defaults. */
  accountId: string;
  region: string;
  /** Base URL clients reach the sandbox on (e.g. http://127.0.0.1:4566); used for layer download URLs. */
  publicUrl: () => string;
  /**
   * Fire and forget: the edge batches these into PutEvents on moto's default bus of `origin` (the registry that
   * emitted them; absent = the sandbox's account and Region).
   */
  emit: (entries: EventEntry[], origin?: RegistryRef) => void;
  /** When set, ECR state is loaded from and saved to this directory. */
  stateDir?: string;
  /** Real milliseconds between a scan starting and completing. */
  scanDelayMs: number;
}

/** One request of the registry API (`/v2/…`) as the edge received it. */
export interface RegistryApiRequest {
  method: string;
  /** The path, e.g. `/v2/team/app/manifests/latest` (still percent-encoded). */
  path: string;
  /** The query string without `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  /**
   * The body: bytes already read, or (at the edge) the request stream itself, which only the route that needs
   * the body reads (a blob upload streams it to the blob store; auth, IAM and faults answer before any is read).
   */
  body: Buffer | Readable;
  /**
   * IAM at the edge: the denial message when `principalArn` may not do `action` (`ecr:PutImage`, …) on
   * `resource` in `region`, else undefined. Absent: nothing is checked.
   */
  authorize?: (principalArn: string, action: string, resource: string, region: string) => string | undefined;
  /**
   * Fault injection at the edge (`POST /_sandbox/faults`, service `ecr`): the rule that fails a request
   * authorised as `actions` (ECR action names without `ecr:`), counted in its seen/fired, else undefined.
   * Absent: no fault is injected (see oci/faults.ts).
   */
  fault?: (actions: readonly string[]) => { status: number; error: string; message?: string } | undefined;
}

/** The result of serving one ECR wire request (AWS JSON 1.1). */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** An answer of the registry API: a blob download's body is a stream (from its file, or its chunks in memory). */
export interface RegistryApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer | Readable;
}

/** A blob to download: its size and its bytes (a Buffer, or a stream to pipe). */
export interface BlobDownload {
  size: number;
  open(): Buffer | Readable;
}

export interface EcrEmulator {
  /**
   * Serve one ECR request: `action` is the part of `X-Amz-Target` after the dot, `rawBody` the request body,
   * `caller` who sends it (default: the sandbox's account and Region). The request acts on the caller's registry,
   * or on the registry of another account its `registryId` names (allowed by that repository's policy only).
   * Never throws: errors become `{"__type": "...Exception", "message": ...}` responses.
   */
  serve(action: string, rawBody: string, caller?: EcrCaller): Promise<WireResponse>;
  /**
   * Serve one request of the registry API (`/v2/…`, the OCI Distribution API with ECR's Basic auth; see
   * src/sandbox/oci/). Never throws: errors become `{"errors":[{code,message,detail}]}` answers. Absent on
   * emulators that have no registry API (tests' stand-ins).
   */
  registryApi?(request: RegistryApiRequest): Promise<RegistryApiResponse>;
  /** Bytes of a blob stored in a repository of `registry` (default the sandbox's), whole. */
  readBlob(repositoryName: string, digest: string, registry?: RegistryRef): Buffer | undefined;
  /**
   * A blob stored in a repository of `registry` (default the sandbox's), to stream at its download URL without
   * reading it whole. Absent on tests' stand-ins (the edge then uses `readBlob`).
   */
  openBlob?(repositoryName: string, digest: string, registry?: RegistryRef): BlobDownload | undefined;
  /** Validate and store a findings catalogue entry of `registry`; throws an Error naming the bad field. */
  setFindings(entry: unknown, registry?: RegistryRef): void;
  /** A registry's scan type (PutRegistryScanningConfiguration): what reading findings needs in IAM. */
  scanType(registry?: RegistryRef): 'BASIC' | 'ENHANCED';
  /**
   * Apply lifecycle policies now, as ECR's own run does (`POST /_sandbox/lifecycle/run`): every repository with
   * a policy in every registry, or only those of `registry` and/or named `repositoryName`.
   */
  runLifecycle(options?: { repositoryName?: string; registry?: RegistryRef }): LifecycleRunReport[];
  /** Empty every registry: repositories, blobs, policies, scans, findings entries and settings. */
  reset(): void;
  /** Persist state now (no-op without stateDir). */
  flush(): Promise<void>;
  /** Cancel pending timers and persist. */
  close(): Promise<void>;
}

/** What a lifecycle run did to one repository: the digests it expired (deleted) and transitioned (archived). */
export interface LifecycleRunReport {
  registryId: string;
  repositoryName: string;
  expired: string[];
  transitioned: string[];
}

/** Path of the sandbox route that serves blob bytes. */
export const BLOB_ROUTE = '/_sandbox/ecr/blob';

/**
 * The download URL for a blob, as GetDownloadUrlForLayer returns it. `registry` is given for every registry but
 * the sandbox's own, whose URLs name only repository and digest.
 */
export function blobUrl(
  publicUrl: string,
  repositoryName: string,
  digest: string,
  registry?: RegistryRef,
): string {
  const query = new URLSearchParams({ repository: repositoryName, digest });
  if (registry) {
    query.set('registry', registry.accountId);
    query.set('region', registry.region);
  }
  return `${publicUrl}${BLOB_ROUTE}?${query.toString()}`;
}

/** X-Amz-Target prefix of the ECR API. */
export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
