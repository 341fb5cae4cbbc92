import type { AlertPublisher } from '../notifications/index.ts';
import { systemClock } from '../shared/clock.ts';
import {
  type CleanupAlertWhere,
  cleanupNoticeAlert,
  cleanupRefusedAlert,
  cleanupSummaryAlert,
} from './alert.ts';
import { applyRepositoryPlan } from './apply-cleanup.ts';
import { noticeDecision } from './domain/notice.ts';
import { PlannedImages } from './domain/planned-images.ts';
import type { CleanupMessage } from './events.ts';
import { type PlanCleanupDeps, planCleanup, readSignals, reportsFor } from './plan-cleanup.ts';
import type { CleanupNotices, CleanupRecords, CleanupRun, ImageRemover, RepositoryOutcome } from './ports.ts';

/**
 * The scheduled cleanup, fanned out: planCleanup lists the repositories and reads the protection signals once,
 * records the run, and sends one message per repository; cleanupRepository (one SQS message each, bounded
 * concurrency) plans and cleans its repository, records its outcome once, and the repository that completes
 * the run sends the one summary.
 *
 * The signals travel in the messages, read at the start of the run: a deployment that starts using an old image
 * after that moment and before its repository's turn is not seen. Runs are daily and messages are handled
 * within minutes; `minAgeDays` and the promoted-version window cover what a rollback returns to.
 */

/** Where the run's messages go (SQS). */
export interface CleanupQueue {
  /** Sends every message; throws when some could not be sent after retries. */
  send(messages: readonly CleanupMessage[]): Promise<void>;
}

export interface StartRunDeps {
  readonly plan: PlanCleanupDeps;
  readonly records: CleanupRecords;
  readonly queue: CleanupQueue;
}

/**
 * Starts a run: the repositories (all of the registry, or those asked), the signals read once, the run recorded
 * with its count, then one message per repository. A run over no repository records nothing.
 */
export async function startCleanupRun(
  deps: StartRunDeps,
  request: { runId: string; now: Date; dryRun: boolean; repositories?: readonly string[] },
): Promise<{ runId: string; repositoryCount: number; dryRun: boolean; signals: string[] }> {
  const names =
    request.repositories && request.repositories.length > 0
      ? [...new Set(request.repositories)].sort()
      : deps.plan.catalog
        ? (await deps.plan.catalog.list()).map((r) => r.repositoryName).sort()
        : [];
  const reports = await readSignals(deps.plan.signals, names, request.now);
  const signals = reports.map((r) => r.signal);
  if (names.length === 0)
    return { runId: request.runId, repositoryCount: 0, dryRun: request.dryRun, signals };
  const run: CleanupRun = {
    runId: request.runId,
    startedAt: request.now.toISOString(),
    trigger: 'schedule',
    dryRun: request.dryRun,
    repositoryCount: names.length,
  };
  // The run exists before any message, so the first outcome always finds it.
  await deps.records.startRun(run);
  await deps.queue.send(
    names.map((repositoryName) => ({
      version: 1 as const,
      runId: request.runId,
      repositoryName,
      dryRun: request.dryRun,
      now: run.startedAt,
      signals: reportsFor(reports, repositoryName).map((r) => ({
        signal: r.signal,
        uses: [...r.uses],
        doubts: [...r.doubts],
      })),
    })),
  );
  return { runId: request.runId, repositoryCount: names.length, dryRun: request.dryRun, signals };
}

export interface CleanRepositoryDeps {
  readonly plan: PlanCleanupDeps;
  readonly remover: ImageRemover;
  readonly records: CleanupRecords;
  /** Pending advance notices; with `plan.settings.noticeDays` > 0 deletions are announced first. */
  readonly notices?: CleanupNotices;
  readonly alerts?: AlertPublisher;
  readonly where: CleanupAlertWhere;
  readonly now: () => Date;
}

/**
 * Handles one repository's message: plan it as of the run's time with the run's signals, clean it (unless dry
 * run), record the outcome once, alert a refusal, and send the run's summary when this was the last repository.
 * A redelivered message whose outcome is recorded removes nothing more (the plan finds the images gone) and
 * alerts nothing twice.
 */
export async function cleanRepository(
  deps: CleanRepositoryDeps,
  message: CleanupMessage,
): Promise<{ outcome: RepositoryOutcome; first: boolean; remaining: number; summarySent: boolean }> {
  const plan = await planCleanup(
    { ...deps.plan, signals: [] },
    {
      repositories: [message.repositoryName],
      now: new Date(message.now),
      signalReports: message.signals,
      concurrency: 1,
    },
  );
  const entry = plan.repositories[0];
  if (entry === undefined) throw new Error(`no plan made for ${message.repositoryName}`);
  const noticeDays = deps.plan.settings.noticeDays;
  const noticing = !message.dryRun && noticeDays > 0 && entry.plan.status === 'planned' && deps.notices;
  const decision = noticing
    ? noticeDecision(
        entry.plan,
        await (deps.notices as CleanupNotices).get(message.repositoryName),
        noticeDays,
        new Date(message.now),
      )
    : ({ kind: 'none' } as const);
  // Announced or waiting: nothing is deleted now (archiving still happens); due: only what was announced.
  const toApply =
    decision.kind === 'announce' || decision.kind === 'wait'
      ? { ...entry.plan, expiring: PlannedImages.EMPTY }
      : decision.kind === 'delete'
        ? { ...entry.plan, expiring: decision.expiring }
        : entry.plan;
  if (decision.kind === 'announce') {
    await (deps.notices as CleanupNotices).put({
      repositoryName: message.repositoryName,
      runId: message.runId,
      noticedAt: message.now,
      deleteOn: decision.deleteOn,
      digests: decision.expiring.digests(),
      bytes: entry.plan.bytesReclaimed,
    });
  }
  let outcome = await applyRepositoryPlan({ remover: deps.remover, records: deps.records }, toApply, {
    runId: message.runId,
    dryRun: message.dryRun,
    now: deps.now,
  });
  if (decision.kind === 'delete') await (deps.notices as CleanupNotices).clear(message.repositoryName);
  if (decision.kind === 'announce' || decision.kind === 'wait') {
    outcome = {
      ...outcome,
      status: 'noticed',
      reason:
        decision.kind === 'announce'
          ? `${NOTICE_ANNOUNCED} ${decision.deleteOn}`
          : `announced earlier: deleted on ${decision.deleteOn}`,
      deleteOn: decision.deleteOn,
      expiringCount: entry.plan.expiring.length,
      bytesReclaimed: entry.plan.bytesReclaimed,
      monthlySavingsUsd: entry.plan.monthlySavingsUsd,
    };
  }
  const recorded = await deps.records.recordOutcome(outcome);
  if (recorded.first && outcome.status === 'refused' && deps.alerts) {
    await deps.alerts.publish(cleanupRefusedAlert(entry.plan, deps.where, { at: deps.now() }));
  }
  const summarySent = await finishRun(deps, message.runId, recorded.remaining);
  return { outcome, ...recorded, summarySent };
}

/**
 * Sends the run's summary when nothing remains. Whoever sees nothing remaining asks, even on a redelivery (its
 * first attempt may have counted and then failed before asking); the claim succeeds once per run.
 */
export async function finishRun(
  deps: Pick<CleanRepositoryDeps, 'records' | 'alerts' | 'where'>,
  runId: string,
  remaining: number,
): Promise<boolean> {
  if (remaining !== 0 || !(await deps.records.claimSummary(runId))) return false;
  const report = await deps.records.report(runId);
  if (report && deps.alerts) {
    // What this run announced gets its own notice (the images and their day), before the run's summary.
    const announced = report.outcomes.filter(
      (o) => o.status === 'noticed' && o.reason?.startsWith(NOTICE_ANNOUNCED),
    );
    const deleteOn = announced[0]?.deleteOn;
    if (deleteOn !== undefined) {
      await deps.alerts.publish(
        cleanupNoticeAlert(
          { run: report.run, deleteOn, repositories: announced, at: systemClock.now() },
          deps.where,
        ),
      );
    }
    await deps.alerts.publish(cleanupSummaryAlert(report, deps.where));
  }
  return true;
}

/** The reason of an outcome whose deletions this run announced (cleanup.noticeDays). */
const NOTICE_ANNOUNCED = 'announced: deleted on';

/**
 * The outcome of a repository that could not be handled at all (the last delivery failed): recorded so the run
 * still completes and its summary names the failure.
 */
export function failedOutcome(message: CleanupMessage, reason: string, at: Date): RepositoryOutcome {
  return {
    runId: message.runId,
    repositoryName: message.repositoryName,
    status: 'failed',
    reason,
    imageCount: 0,
    expiringCount: 0,
    transitioningCount: 0,
    protectedCount: 0,
    deletedCount: 0,
    bytesReclaimed: 0,
    monthlySavingsUsd: 0,
    failures: [],
    finishedAt: at.toISOString(),
  };
}
