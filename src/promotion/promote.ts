/**
 * The promotion use cases: promote (gate, record, maybe wait for approval, copy), approve, reject. They run the
 * same in the promoteImage Lambda and in the CLI; every side effect goes through a port.
 */

import type { PolicyConfig, ScanException, VerdictStore } from '../scan-gate/index.ts';
import { policyFor } from '../scan-gate/index.ts';
import type { Clock } from '../shared/clock.ts';
import { SentinelError } from '../shared/errors.ts';
import type { PromotionSettings } from './config-schema.ts';
import { judgePromotion, type ScanCandidate } from './domain/gate.ts';
import {
  approvalExpiry,
  type CopySummary,
  canTransition,
  decisionRefusal,
  isApprovalExpired,
  type Promotion,
  type PromotionLocation,
  type PromotionStatus,
  promotionId,
} from './domain/promotion.ts';
import { type Location, planRoute, type RouteEnvironment } from './domain/route.ts';
import { PromotionConflictError } from './errors.ts';
import type {
  PromotionAnnouncer,
  PromotionStore,
  Registries,
  RegistryLocation,
  RepositorySettings,
} from './ports.ts';

/** What the use cases read of sentinel.config.yml. */
export interface PromotionConfig extends PolicyConfig {
  environments: readonly RouteEnvironment[];
  exceptions: readonly ScanException[];
  promotion: PromotionSettings;
}

export interface PromotionDeps {
  config: PromotionConfig;
  /** The account and Region ecr-sentinel runs in: environments that name neither live here. */
  home: { accountId: string; region: string };
  store: PromotionStore;
  registries: Registries;
  /** The scan gate's verdicts: the target's verdict is stored so `scan-gate` on the target answers at once. */
  verdicts: VerdictStore;
  announcer: PromotionAnnouncer;
  clock: Clock;
  /** 10 random bytes per promotion id. */
  randomBytes: () => Uint8Array;
  /** Where failures to announce are reported (they never fail a promotion that happened). */
  warn: (message: string) => void;
}

/** The request can't be carried out as asked (unknown tag, environment or rule); nothing was recorded. */
export class PromotionRequestError extends SentinelError {
  override readonly name = 'PromotionRequestError';
}

/** How a promote/approve call ended. */
export type PromotionOutcome =
  /** The image is in the target. */
  | 'completed'
  /** Waiting for a second person's approval. */
  | 'pending-approval'
  /** The gate refused it (recorded as FAILED with the reason). */
  | 'refused'
  /** Copying failed (recorded as FAILED with the error). */
  | 'failed'
  | 'rejected';

export interface PromotionResult {
  promotion: Promotion;
  outcome: PromotionOutcome;
  /** An identical request was already open or completed: this is that promotion, nothing new was done. */
  existing: boolean;
}

/** Repositories a promotion creates: scanned on push, tags immutable, ECR-managed encryption. */
const TARGET_REPOSITORY: RepositorySettings = {
  scanOnPush: true,
  imageTagMutability: 'IMMUTABLE',
  encryption: { type: 'AES256' },
};

function errorText(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

/**
 * The promotion use cases bound to their dependencies.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push.html (why blobs go before the manifest)
 */
export function promotions(deps: PromotionDeps) {
  const { config, store, registries, clock } = deps;
  const settings = config.promotion;

  const place = (location: Location): PromotionLocation => ({
    environment: location.environment,
    accountId: location.accountId ?? deps.home.accountId,
    region: location.region ?? deps.home.region,
    repositoryName: location.repositoryName,
  });

  /** The role to assume in an environment (configured per environment, not stored on records). */
  const roleOf = (environment: string): string | undefined =>
    config.environments.find((e) => e.name === environment)?.roleArn;

  const registryFor = (location: PromotionLocation): RegistryLocation => ({
    accountId: location.accountId,
    region: location.region,
    roleArn: roleOf(location.environment),
  });

  const announce = async (event: Parameters<PromotionAnnouncer['announce']>[0], promotion: Promotion) => {
    try {
      await deps.announcer.announce(event, promotion);
    } catch (error) {
      deps.warn(`promotion ${promotion.id}: could not announce "${event}": ${errorText(error)}`);
    }
  };

  /** Move `promotion` from its status to `status` with `changes`; answers the stored record. */
  const move = async (
    promotion: Promotion,
    status: PromotionStatus,
    changes: Partial<Promotion> = {},
  ): Promise<Promotion> => {
    if (!canTransition(promotion.status, status)) {
      // A bug, not a race (races end in the store's conditional write): the rules say this change can't happen.
      throw new Error(`promotion ${promotion.id} can't go from ${promotion.status} to ${status}`);
    }
    const now = clock.now().toISOString();
    const next: Promotion = { ...promotion, ...changes, status, updatedAt: now };
    await store.transition(next, promotion.status);
    return next;
  };

  /** Copy an APPROVED or COPYING promotion into its target and record how it ended. */
  const copy = async (promotion: Promotion): Promise<PromotionResult> => {
    const current = promotion.status === 'COPYING' ? promotion : await move(promotion, 'COPYING');
    const source = registryFor(current.from);
    const target = registryFor(current.to);
    let summary: CopySummary | undefined;
    try {
      const targetRegistry = registries.at(target);
      const { created } = await targetRegistry.repositories.ensure(
        current.to.accountId,
        current.to.repositoryName,
        TARGET_REPOSITORY,
      );
      const copied = await registries.copier(source, target).copy(
        {
          registryId: current.from.accountId,
          repositoryName: current.from.repositoryName,
          imageDigest: current.digest,
        },
        {
          registryId: current.to.accountId,
          repositoryName: current.to.repositoryName,
          imageTag: current.version,
        },
        { copyReferrers: settings.copyReferrers },
      );
      summary = { ...copied, repositoryCreated: created };
      if (!(await targetRegistry.scansOnPush(current.to.repositoryName))) {
        await targetRegistry.startScan(current.to.repositoryName, current.digest);
      }
    } catch (error) {
      return finish(current, 'FAILED', {
        error: errorText(error),
        errorType: error instanceof Error ? error.name : 'Error',
        ...(summary ? { copy: summary } : {}),
      });
    }
    return finish(current, 'COMPLETED', { copy: summary, completedAt: clock.now().toISOString() });
  };

  /**
   * Record how a copy ended and announce it. Two copies of one promotion may run at once (a resumed request
   * while the first still copies; copying is idempotent): the one whose record write loses answers with what
   * the winner recorded, and announces nothing.
   */
  const finish = async (
    copying: Promotion,
    status: 'COMPLETED' | 'FAILED',
    changes: Partial<Promotion>,
  ): Promise<PromotionResult> => {
    try {
      const done = await move(copying, status, changes);
      await announce(status === 'COMPLETED' ? 'completed' : 'failed', done);
      return { promotion: done, outcome: status === 'COMPLETED' ? 'completed' : 'failed', existing: false };
    } catch (error) {
      if (!(error instanceof PromotionConflictError)) throw error;
      const stored = await store.get(copying.id);
      if (stored?.status !== 'COMPLETED' && stored?.status !== 'FAILED') throw error;
      return {
        promotion: stored,
        outcome: stored.status === 'COMPLETED' ? 'completed' : 'failed',
        existing: true,
      };
    }
  };

  /** Continue what an existing promotion of the same request still has to do, or answer it as it is. */
  const resume = async (existing: Promotion): Promise<PromotionResult> => {
    if (existing.status === 'COPYING' || existing.status === 'APPROVED')
      return { ...(await copy(existing)), existing: true };
    const outcome: PromotionOutcome = existing.status === 'COMPLETED' ? 'completed' : 'pending-approval';
    return { promotion: existing, outcome, existing: true };
  };

  /** The digest's scans: in the source repository and every earlier environment's (a fresh copy's may be running). */
  const scanCandidates = async (
    locations: readonly PromotionLocation[],
    digest: string,
  ): Promise<ScanCandidate[]> =>
    // Registry.readScan answers undefined where the digest (or the repository) is not.
    Promise.all(
      locations.map(async (location) => ({
        repositoryName: location.repositoryName,
        scan: await registries.at(registryFor(location)).readScan(location.repositoryName, digest),
      })),
    );

  /**
   * The pending promotion `id`, if `decision` may be taken on it now; one found expired is recorded EXPIRED.
   * @throws PromotionRequestError for an unknown id; PromotionConflictError naming why it can't be decided
   */
  const decidable = async (id: string, decision: { action: 'approve' | 'reject'; by: string }) => {
    const promotion = await store.get(id);
    if (!promotion) throw new PromotionRequestError(`no promotion ${id}`);
    const now = clock.now();
    if (isApprovalExpired(promotion, now)) {
      const expired = await move(promotion, 'EXPIRED');
      await announce('expired', expired);
    }
    const refusal = decisionRefusal(promotion, decision, now);
    if (refusal !== undefined) throw new PromotionConflictError(refusal);
    return { promotion, now };
  };

  return {
    /**
     * Promote `version` of `app` into `to`: gate it with the target's policy (fail closed), record it, then
     * copy it — or stop at PENDING_APPROVAL when the target needs approval.
     * @throws PromotionRequestError for an unknown environment or tag, or a skip the config does not allow
     */
    async promote(request: {
      app: string;
      version: string;
      to: string;
      from?: string | undefined;
      by: string;
    }) {
      let route: ReturnType<typeof planRoute>;
      try {
        route = planRoute(config.environments, { ...request, allowSkip: settings.allowSkip });
      } catch (error) {
        throw new PromotionRequestError(error instanceof Error ? error.message : String(error));
      }
      const from = place(route.from);
      const to = place(route.to);
      const resolved = await registries
        .at(registryFor(from))
        .resolveTag(from.repositoryName, request.version);
      if (!resolved) {
        throw new PromotionRequestError(
          `no image tagged ${request.version} in ${from.repositoryName} (${from.environment}, account ${from.accountId}, ${from.region})`,
        );
      }
      const digest = resolved.imageDigest;
      const open = await store.findRequest(request.app, to.environment, digest);
      if (open) return resume(open);

      const now = clock.now();
      const gate = judgePromotion({
        digest,
        imageTags: resolved.imageTags,
        targetRepository: to.repositoryName,
        policy: policyFor(config, to.repositoryName),
        exceptions: config.exceptions,
        candidates: await scanCandidates(route.earlier.map(place), digest),
        maxScanAgeDays: settings.maxScanAgeDays,
        now,
      });
      await deps.verdicts.save(gate.verdict);

      const base: Promotion = {
        id: promotionId(now, deps.randomBytes()),
        app: request.app,
        version: request.version,
        digest,
        from,
        to,
        status: 'FAILED',
        requiresApproval: route.requiresApproval,
        requestedBy: request.by,
        requestedAt: now.toISOString(),
        gate: gate.summary,
        updatedAt: now.toISOString(),
      };
      if (gate.refusal !== undefined) {
        const refused: Promotion = { ...base, status: 'FAILED', reason: gate.refusal };
        await store.create(refused);
        await announce('refused', refused);
        return { promotion: refused, outcome: 'refused', existing: false } satisfies PromotionResult;
      }
      const wanted: Promotion = route.requiresApproval
        ? {
            ...base,
            status: 'PENDING_APPROVAL',
            expiresAt: approvalExpiry(now, settings.approvalTtlHours).toISOString(),
          }
        : { ...base, status: 'COPYING' };
      const { promotion, created } = await store.create(wanted);
      if (!created) return resume(promotion);
      if (promotion.status === 'PENDING_APPROVAL') {
        await announce('pending-approval', promotion);
        return { promotion, outcome: 'pending-approval', existing: false } satisfies PromotionResult;
      }
      return copy(promotion);
    },

    /**
     * Approve a pending promotion (anyone but its requester) and copy it.
     * @throws PromotionConflictError when it is not pending, has expired, or `by` requested it
     */
    async approve(id: string, by: string): Promise<PromotionResult> {
      const { promotion, now } = await decidable(id, { action: 'approve', by });
      const approved = await move(promotion, 'APPROVED', { approvedBy: by, approvedAt: now.toISOString() });
      await announce('approved', approved);
      return copy(approved);
    },

    /**
     * Reject a pending promotion (its requester may withdraw it).
     * @throws PromotionConflictError when it is not pending or has expired
     */
    async reject(id: string, by: string, reason: string): Promise<PromotionResult> {
      const { promotion, now } = await decidable(id, { action: 'reject', by });
      const rejected = await move(promotion, 'REJECTED', {
        rejectedBy: by,
        rejectedAt: now.toISOString(),
        reason,
      });
      await announce('rejected', rejected);
      return { promotion: rejected, outcome: 'rejected', existing: false };
    },
  };
}
