import { createHash } from 'node:crypto';
import {
  compareSeverity,
  countBySeverity,
  type Severity,
  type SeverityCounts,
} from '../../shared/severity.ts';
import { type ExceptionNote, exceptionsFor, noteOf, type ScanException } from './exceptions.ts';
import { compareFindings, type Finding } from './findings.ts';
import type { EffectivePolicy } from './policy.ts';
import { canonicalJson, policyHash } from './policy.ts';
import { isScanComplete } from './scan-status.ts';

/**
 * The scan gate verdict of one image. Rules:
 * - ERROR when the scan did not complete (FAILED, UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE, PENDING, any
 *   status we do not know…) or its findings could not be read (`findings: undefined`). ERROR gates like
 *   FAIL: the gate fails closed.
 * - A finding *counts* unless an active exception covers its id in this repository, and — with
 *   `fixableOnly` — unless the scanner says no fix exists (`fixAvailable: false`; unknown still counts).
 * - FAIL when, for some limited severity, the number of counting findings exceeds its threshold.
 *   Blocking rule: every counting finding of a severity over its threshold is blocking (not just the ones
 *   "above the line" — there is no fair order to pick which 2 of 5 HIGH findings are tolerated).
 *   Counting findings of severities within their threshold, or unlimited, never block.
 */

/** Blocking details kept in a verdict: worst first, then by id. */
export const BLOCKING_DETAILS_MAX = 20;

export type VerdictStatus = 'PASS' | 'FAIL' | 'ERROR';

export interface EvaluateInput {
  repositoryName: string;
  imageDigest: string;
  imageTags: readonly string[];
  scanStatus: string;
  /** Extra words about the scan status (ECR's `imageScanStatus.description`), shown in an ERROR's reason. */
  scanStatusDescription?: string | undefined;
  /** Undefined when the findings could not be read: the verdict is ERROR. */
  findings: readonly Finding[] | undefined;
  policy: EffectivePolicy;
  exceptions: readonly ScanException[];
  now: Date;
  /** When the scan finished (ISO 8601), kept in the verdict when known. */
  scanCompletedAt?: string | undefined;
}

export interface Exceeded {
  severity: Severity;
  count: number;
  limit: number;
}

export interface Verdict {
  status: VerdictStatus;
  /** One line: why, e.g. `2 CRITICAL (max 0), 5 HIGH (max 0)` or `scan FAILED: …`. */
  reason: string;
  repositoryName: string;
  imageDigest: string;
  imageTags: string[];
  scanStatus: string;
  /** All findings per severity. */
  countsBefore: SeverityCounts;
  /** Findings that count: after exceptions and `fixableOnly`. */
  countsAfter: SeverityCounts;
  /** The limits used, worst first (a severity not listed is unlimited). */
  thresholds: Readonly<Record<Severity, number>>;
  fixableOnly: boolean;
  /** Severities over their limit, worst first. */
  exceeded: Exceeded[];
  blocking: {
    /** Every blocking vulnerability id, once each, worst severity first, then by id. */
    ids: string[];
    /** Up to {@link BLOCKING_DETAILS_MAX} blocking findings, worst severity first, then by id. */
    details: Finding[];
  };
  /** Exceptions that suppressed at least one finding of this image. */
  exceptionsApplied: ExceptionNote[];
  /** Expired exceptions for ids this image has (they no longer apply). */
  exceptionsExpired: ExceptionNote[];
  policyHash: string;
  /** When the judged scan finished, ISO 8601 (absent when unknown). */
  scanCompletedAt?: string | undefined;
  /** `now`, ISO 8601. */
  evaluatedAt: string;
}

/**
 * What makes two evaluations "the same evaluation of the same scan": the scan (when it finished, its status),
 * the policy (its hash) and everything the verdict concluded that alerts and enforcement depend on. A
 * redelivered event, or a concurrent copy of it, yields the same id; a new scan, another policy or an expired
 * exception yields another. Stored data keys history items and alert claims, so its inputs never change
 * meaning. When the scan's time is unknown the evaluation's own time stands in (no two are then the same).
 */
export function evaluationId(verdict: Verdict): string {
  const identity = {
    scan: verdict.scanCompletedAt ?? `evaluated ${verdict.evaluatedAt}`,
    scanStatus: verdict.scanStatus,
    status: verdict.status,
    policyHash: verdict.policyHash,
    countsAfter: verdict.countsAfter,
    blocking: [...new Set(verdict.blocking.ids)].sort(),
    exceptionsApplied: verdict.exceptionsApplied.map((e) => e.cve).sort(),
  };
  // 128 bits keep a sort key short; collisions would need a deliberate attack on sha256.
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 32);
}

/** True when the verdict stops the image (promotion, deployment): FAIL and ERROR both do. */
export function gateBlocks(verdict: Pick<Verdict, 'status'>): boolean {
  return verdict.status !== 'PASS';
}

/** Evaluate one image's scan against its policy and exceptions at time `now`. Pure. */
export function evaluate(input: EvaluateInput): Verdict {
  const findings = input.findings ?? [];
  const countsBefore = countBySeverity(findings);
  const base = {
    repositoryName: input.repositoryName,
    imageDigest: input.imageDigest,
    imageTags: [...input.imageTags],
    scanStatus: input.scanStatus,
    countsBefore,
    thresholds: input.policy.thresholds,
    fixableOnly: input.policy.fixableOnly,
    policyHash: policyHash(input.policy),
    ...(input.scanCompletedAt === undefined ? {} : { scanCompletedAt: input.scanCompletedAt }),
    evaluatedAt: input.now.toISOString(),
  };

  if (!isScanComplete(input.scanStatus) || input.findings === undefined) {
    const description = input.scanStatusDescription?.trim();
    const reason = !isScanComplete(input.scanStatus)
      ? `scan ${input.scanStatus || 'status unknown'}${description ? `: ${description}` : ''}`
      : 'findings unavailable';
    return {
      ...base,
      status: 'ERROR',
      reason,
      countsAfter: countsBefore,
      exceeded: [],
      blocking: { ids: [], details: [] },
      exceptionsApplied: [],
      exceptionsExpired: [],
    };
  }

  const { active, expired } = exceptionsFor(
    input.exceptions,
    input.repositoryName,
    findings.map((f) => f.id),
    input.now,
  );
  const applied = new Map<ScanException, true>();
  const counting = findings.filter((finding) => {
    const exception = active.get(finding.id.trim().toUpperCase());
    if (exception !== undefined) {
      applied.set(exception, true);
      return false;
    }
    return !(input.policy.fixableOnly && finding.fixAvailable === false);
  });
  const countsAfter = countBySeverity(counting);

  const exceeded: Exceeded[] = Object.entries(input.policy.thresholds)
    .map(([severity, limit]) => ({ severity, limit, count: countsAfter[severity] ?? 0 }))
    .filter((e) => e.count > e.limit)
    .sort((a, b) => compareSeverity(a.severity, b.severity));
  const over = new Set(exceeded.map((e) => e.severity));
  const blocking = counting.filter((f) => over.has(f.severity)).sort(compareFindings);

  return {
    ...base,
    status: exceeded.length > 0 ? 'FAIL' : 'PASS',
    reason:
      exceeded.length > 0
        ? exceeded.map((e) => `${e.count} ${e.severity} (max ${e.limit})`).join(', ')
        : 'within thresholds',
    countsAfter,
    exceeded,
    blocking: {
      ids: [...new Set(blocking.map((f) => f.id))],
      details: blocking.slice(0, BLOCKING_DETAILS_MAX).map((f) => ({ ...f })),
    },
    exceptionsApplied: [...applied.keys()].map(noteOf).sort(byCve),
    exceptionsExpired: expired.map(noteOf).sort(byCve),
  };
}

function byCve(a: ExceptionNote, b: ExceptionNote): number {
  return a.cve < b.cve ? -1 : a.cve > b.cve ? 1 : 0;
}
