/**
 * The report model from what was gathered: pure (time is `now`, nothing is read here), so every rule of the
 * report — which exceptions are open and which expire soon, the window of promotions and cleanup runs, a
 * repository's latest verdict, the chart's series — is tested without AWS.
 */
import { type AuditReport, CONTROL_IDS, type Finding } from '../../compliance/index.ts';
import type { Promotion } from '../../promotion/index.ts';
import { exceptionEnd, isExceptionActive, type ScanException } from '../../scan-gate/index.ts';
import { compareSeverity } from '../../shared/severity.ts';
import type {
  CheckResult,
  CleanupRunRow,
  LatestVerdict,
  OpenException,
  PromotionRow,
  ReportModel,
} from './model.ts';
import { REPORT_VERSION } from './model.ts';
import { type CleanupRunTotals, evaluationTime, type StoredEvaluation } from './sources.ts';

const DAY_MS = 86_400_000;

/** Days of history the report covers (promotions, cleanup runs, the chart). */
export const REPORT_WINDOW_DAYS = 30;
/** An open exception whose last day is at most this many days away is highlighted. */
export const EXPIRY_WARNING_DAYS = 30;
/** Severities the chart always draws, found or not, so two reports compare line for line. */
const CHART_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

/** What the report is made of, as gathered (see gather.ts). */
export interface ReportInput {
  readonly now: Date;
  readonly audit: AuditReport;
  /** Every stored evaluation of every image (the scan gate's verdict history), in any order. */
  readonly evaluations: readonly StoredEvaluation[];
  /** `exceptions:` of sentinel.config.yml. */
  readonly exceptions: readonly ScanException[];
  /** Promotions, newest first, at least those of the window. */
  readonly promotions: readonly Promotion[];
  /** The promotion listing stopped at its limit within the window. */
  readonly promotionsTruncated: boolean;
  /** Cleanup runs, at least those of the window, in any order. */
  readonly cleanupRuns: readonly CleanupRunTotals[];
}

/** Midnight UTC of `date`'s day. */
function startOfDay(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS) * DAY_MS;
}

/** The first instant the report covers: 00:00 UTC of the first of the window's days (today is the last). */
export function windowStart(now: Date, days: number = REPORT_WINDOW_DAYS): Date {
  return new Date(startOfDay(now) - (days - 1) * DAY_MS);
}

/** Build the report model. Pure. */
export function buildReport(input: ReportInput): ReportModel {
  const since = windowStart(input.now);
  const sinceIso = since.toISOString();
  const latest = latestPerImage(input.evaluations);
  return {
    format: 'ecr-sentinel-report',
    version: REPORT_VERSION,
    generatedAt: input.now.toISOString(),
    registryId: input.audit.registryId,
    windowDays: REPORT_WINDOW_DAYS,
    since: sinceIso,
    expiryWarningDays: EXPIRY_WARNING_DAYS,
    compliance: complianceSection(input.audit),
    verdicts: verdictSection(latest, input.audit),
    exceptions: exceptionSection(input.exceptions, input.now),
    promotions: {
      items: input.promotions
        .filter((p) => timeOf(p.requestedAt) >= since.getTime())
        .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt))
        .map(promotionRow),
      truncated: input.promotionsTruncated,
    },
    cleanup: cleanupSection(input.cleanupRuns.filter((r) => timeOf(r.startedAt) >= since.getTime())),
    findingsOverTime: findingsOverTime(input.evaluations, input.now, since),
  };
}

function checkResult(finding: Finding): CheckResult {
  return {
    controlId: finding.controlId,
    status: finding.status,
    expected: finding.expected,
    actual: finding.actual,
    fix: finding.fix ?? null,
    error: finding.error ?? null,
    // A control may list as details exactly what `actual` already says.
    details: (finding.details ?? []).filter((d) => d !== finding.actual),
  };
}

function complianceSection(audit: AuditReport): ReportModel['compliance'] {
  const s = audit.summary;
  return {
    checks: CONTROL_IDS.filter((id) =>
      audit.repositories.some((r) => r.findings.some((f) => f.controlId === id)),
    ),
    repositories: audit.repositories.map((r) => ({
      repositoryName: r.repositoryName,
      group: r.group ?? null,
      findings: r.findings.map(checkResult),
    })),
    registry: audit.registry.map((f) => ({
      ...checkResult(f),
      item: f.subject.kind === 'registry' ? f.subject.item : f.subject.repositoryName,
    })),
    summary: {
      repositories: s.repositories,
      checks: s.checks,
      pass: s.pass,
      drift: s.drift,
      fixed: s.fixed,
      unknown: s.unknown,
    },
  };
}

/** Later scan first; for one scan, the later evaluation (a policy or exception changed since). */
function newer(a: StoredEvaluation, b: StoredEvaluation): boolean {
  const at = timeOf(evaluationTime(a));
  const bt = timeOf(evaluationTime(b));
  return at > bt || (at === bt && timeOf(a.evaluatedAt) > timeOf(b.evaluatedAt));
}

/** Epoch milliseconds of a stored time; one that does not parse sorts before every other. */
function timeOf(iso: string): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
}

/** Each image's latest evaluation (repository + digest). */
function latestPerImage(evaluations: readonly StoredEvaluation[]): StoredEvaluation[] {
  const byImage = new Map<string, StoredEvaluation>();
  for (const e of evaluations) {
    const key = `${e.repositoryName}\n${e.imageDigest}`;
    const current = byImage.get(key);
    if (current === undefined || newer(e, current)) byImage.set(key, e);
  }
  return [...byImage.values()];
}

function verdictSection(latest: readonly StoredEvaluation[], audit: AuditReport): ReportModel['verdicts'] {
  const byRepository = new Map<string, StoredEvaluation[]>();
  for (const e of latest) {
    const images = byRepository.get(e.repositoryName);
    if (images === undefined) byRepository.set(e.repositoryName, [e]);
    else images.push(e);
  }
  const repositories = [...byRepository.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([repositoryName, images]): LatestVerdict => {
      const last = images.reduce((a, b) => (newer(b, a) ? b : a));
      return {
        repositoryName,
        status: last.status,
        reason: last.reason,
        imageDigest: last.imageDigest,
        imageTags: [...last.imageTags],
        scannedAt: evaluationTime(last),
        evaluatedAt: last.evaluatedAt,
        findings: sortedCounts(last.countsBefore),
        blocking: [...last.blocking.ids],
        images: {
          PASS: images.filter((i) => i.status === 'PASS').length,
          FAIL: images.filter((i) => i.status === 'FAIL').length,
          ERROR: images.filter((i) => i.status === 'ERROR').length,
        },
      };
    });
  return {
    repositories,
    withoutVerdict: audit.repositories.map((r) => r.repositoryName).filter((name) => !byRepository.has(name)),
  };
}

/** Non-zero counts, worst severity first. */
function sortedCounts(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => compareSeverity(a, b)),
  );
}

/**
 * Whole days from today (UTC) to the exception's last day: 0 on that day. The scan gate's rule decides whether it
 * is open (it applies through the whole of its `expires` day, UTC).
 */
export function daysLeft(exception: Pick<ScanException, 'expires'>, now: Date): number {
  return Math.round((exceptionEnd(exception.expires).getTime() - DAY_MS - startOfDay(now)) / DAY_MS);
}

function exceptionSection(exceptions: readonly ScanException[], now: Date): ReportModel['exceptions'] {
  const open = exceptions
    .filter((e) => isExceptionActive(e, now))
    .map((e): OpenException => {
      const left = daysLeft(e, now);
      return {
        cve: e.cve,
        repositories: [...e.repositories],
        owner: e.owner,
        reason: e.reason,
        ticket: e.ticket ?? null,
        expires: e.expires,
        daysLeft: left,
        expiringSoon: left <= EXPIRY_WARNING_DAYS,
      };
    })
    .sort((a, b) => a.expires.localeCompare(b.expires) || a.cve.localeCompare(b.cve));
  return { open, expired: exceptions.length - open.length };
}

function promotionRow(p: Promotion): PromotionRow {
  return {
    id: p.id,
    app: p.app,
    version: p.version,
    digest: p.digest,
    from: p.from.environment,
    to: p.to.environment,
    targetRepository: p.to.repositoryName,
    status: p.status,
    gate: p.gate.status,
    requestedBy: p.requestedBy,
    requestedAt: p.requestedAt,
    decidedBy: p.approvedBy ?? p.rejectedBy ?? null,
    completedAt: p.completedAt ?? null,
  };
}

function cleanupSection(runs: readonly CleanupRunTotals[]): ReportModel['cleanup'] {
  const rows = [...runs]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId))
    .map(
      (r): CleanupRunRow => ({
        runId: r.runId,
        startedAt: r.startedAt,
        trigger: r.trigger,
        dryRun: r.dryRun,
        repositories: r.repositoryCount,
        complete: r.remaining <= 0,
        deletedImages: Math.max(0, r.deletedCount),
        bytes: Math.max(0, r.bytesReclaimed),
        monthlyUsd: Math.max(0, r.monthlySavingsUsd),
        failures: Math.max(0, r.failureCount),
      }),
    );
  const total = (dryRun: boolean) => {
    const of = rows.filter((r) => r.dryRun === dryRun);
    return {
      runs: of.length,
      images: of.reduce((n, r) => n + r.deletedImages, 0),
      bytes: of.reduce((n, r) => n + r.bytes, 0),
      // Each run's figure is rounded to the cent; so is their sum.
      monthlyUsd: Math.round(of.reduce((n, r) => n + r.monthlyUsd, 0) * 100) / 100,
    };
  };
  return { runs: rows, reclaimed: total(false), identified: total(true) };
}

/**
 * Per day of the window, the findings per severity of every image's latest scan by the end of that day (by now,
 * for today): what was known to be in the registry that day. An image's findings stay counted until it is scanned
 * again; an image that was deleted is counted as of its last scan (the verdicts outlive the image).
 */
export function findingsOverTime(
  evaluations: readonly StoredEvaluation[],
  now: Date,
  since: Date,
): ReportModel['findingsOverTime'] {
  const days: string[] = [];
  const ends: number[] = [];
  for (let t = since.getTime(); t <= now.getTime(); t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
    ends.push(Math.min(t + DAY_MS, now.getTime() + 1));
  }
  const byImage = new Map<string, StoredEvaluation[]>();
  for (const e of evaluations) {
    const key = `${e.repositoryName}
${e.imageDigest}`;
    const history = byImage.get(key);
    if (history === undefined) byImage.set(key, [e]);
    else history.push(e);
  }
  const totals = new Map<string, number[]>();
  const add = (severity: string, day: number, n: number) => {
    let series = totals.get(severity);
    if (series === undefined) {
      series = days.map(() => 0);
      totals.set(severity, series);
    }
    series[day] = (series[day] ?? 0) + n;
  };
  for (const severity of CHART_SEVERITIES) add(severity, 0, 0);
  for (const history of byImage.values()) {
    const ordered = [...history].sort((a, b) => (newer(a, b) ? 1 : newer(b, a) ? -1 : 0));
    let next = 0;
    let current: StoredEvaluation | undefined;
    ends.forEach((end, day) => {
      while (next < ordered.length && timeOf(evaluationTime(ordered[next] as StoredEvaluation)) < end) {
        current = ordered[next];
        next += 1;
      }
      if (current === undefined) return;
      for (const [severity, n] of Object.entries(current.countsBefore)) if (n > 0) add(severity, day, n);
    });
  }
  return {
    days,
    series: [...totals.entries()]
      .filter(([severity, counts]) => CHART_SEVERITIES.includes(severity) || counts.some((n) => n > 0))
      .sort(([a], [b]) => compareSeverity(a, b))
      .map(([severity, counts]) => ({ severity, counts })),
  };
}
