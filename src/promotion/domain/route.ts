/**
 * Where a promotion goes: from which environment to which, and the repositories on each side. Pure rules over
 * the configured environments (their order is the promotion order).
 */
import { repositoryName } from '../../shared/environments.ts';

/** The parts of an environment a route needs (sentinel.config.yml `environments[]`). */
export interface RouteEnvironment {
  name: string;
  repositoryTemplate: string;
  requiresApproval: boolean;
  accountId?: string | undefined;
  region?: string | undefined;
  roleArn?: string | undefined;
}

/** Where one side of a promotion lives. */
export interface Location {
  environment: string;
  /** Undefined: the account ecr-sentinel runs in. */
  accountId?: string | undefined;
  /** Undefined: the Region ecr-sentinel runs in. */
  region?: string | undefined;
  /** The role to assume to act there; undefined: act with the caller's own credentials. */
  roleArn?: string | undefined;
  repositoryName: string;
}

/** A planned promotion of one application from one environment to another. */
export interface Route {
  app: string;
  from: Location;
  to: Location;
  requiresApproval: boolean;
  /** Environments between `from` and `to` that the promotion skips (only with `allowSkip`). */
  skipped: string[];
  /** Every environment before `to`, nearest first: where a completed scan of the digest may come from. */
  earlier: Location[];
}

/** The request can't be routed; the message says why in the user's terms. */
export class RouteError extends Error {
  override readonly name = 'RouteError';
}

function locate(env: RouteEnvironment, app: string): Location {
  return {
    environment: env.name,
    accountId: env.accountId,
    region: env.region,
    roleArn: env.roleArn,
    repositoryName: repositoryName(env, app),
  };
}

/**
 * Plan the promotion of `app` into `to`: from the environment just before it, or from `from` when given (an
 * earlier one than the previous only when `allowSkip`).
 * @throws RouteError naming the unknown environment or the rule broken
 */
export function planRoute(
  environments: readonly RouteEnvironment[],
  request: { app: string; to: string; from?: string | undefined; allowSkip: boolean },
): Route {
  const names = environments.map((e) => e.name);
  const toIndex = names.indexOf(request.to);
  if (toIndex === -1) {
    throw new RouteError(`unknown environment "${request.to}" (environments: ${names.join(', ')})`);
  }
  if (toIndex === 0) {
    throw new RouteError(
      `"${request.to}" is the first environment: images arrive there by push, not by promotion`,
    );
  }
  let fromIndex = toIndex - 1;
  if (request.from !== undefined) {
    fromIndex = names.indexOf(request.from);
    if (fromIndex === -1) {
      throw new RouteError(`unknown environment "${request.from}" (environments: ${names.join(', ')})`);
    }
    if (fromIndex >= toIndex) {
      throw new RouteError(
        `"${request.from}" does not come before "${request.to}" (order: ${names.join(' → ')})`,
      );
    }
    if (fromIndex < toIndex - 1 && !request.allowSkip) {
      throw new RouteError(
        `promoting ${request.from} → ${request.to} skips ${names.slice(fromIndex + 1, toIndex).join(', ')}; set promotion.allowSkip: true to allow it`,
      );
    }
  }
  const to = environments[toIndex] as RouteEnvironment;
  return {
    app: request.app,
    from: locate(environments[fromIndex] as RouteEnvironment, request.app),
    to: locate(to, request.app),
    requiresApproval: to.requiresApproval,
    skipped: names.slice(fromIndex + 1, toIndex),
    earlier: environments
      .slice(0, toIndex)
      .reverse()
      .map((env) => locate(env, request.app)),
  };
}
