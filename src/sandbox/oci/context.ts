import type { RegistryApiRequest } from '../contracts.ts';
import { settleRestores } from '../ecr/archive.ts';
import type { EcrContext } from '../ecr/context.ts';
import { pullThroughMiss } from '../ecr/pull-through.ts';
import type { Scans } from '../ecr/scanning.ts';
import type { RepositoryRecord } from '../ecr/state.ts';
import { REPOSITORY_NAME_PATTERN } from '../ecr/validation.ts';
import { createOnPush, templateForPush } from './create-on-push.ts';
import { OciError } from './errors.ts';
import { wholeBody } from './http.ts';
import type { TokenClaims } from './token.ts';

/** What serving one authenticated registry API request works with. */
export interface OciContext {
  /** The registry addressed (its state, clock, bus), as the ECR API's actions see it. */
  ecr: EcrContext;
  scans: Scans;
  /** Who is calling: the claims of the token they logged in with. */
  claims: TokenClaims;
  request: RegistryApiRequest;
  query: URLSearchParams;
}

/**
 * The repository a request names. `push` creates it on push from a CREATE_ON_PUSH template when it doesn't exist
 * (create-on-push.ts); otherwise a missing repository is NAME_UNKNOWN, with ECR's RepositoryNotFound message.
 */
export function repositoryFor(ctx: OciContext, name: string, push = false): RepositoryRecord {
  if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME_PATTERN.test(name)) {
    throw new OciError('NAME_INVALID', `Invalid repository name '${name}'`);
  }
  let found = ctx.ecr.state.repos.get(name);
  if (!found && push && templateForPush(ctx.ecr.state.settings.creationTemplates, name)) {
    // ECR creates the repository on the pusher's behalf: the pusher needs ecr:CreateRepository on it.
    const denied = ctx.request.authorize?.(
      ctx.claims.principalArn,
      'ecr:CreateRepository',
      ctx.ecr.repositoryArn(name),
      ctx.ecr.options.region,
    );
    if (denied !== undefined) throw new OciError('DENIED', denied);
    found = createOnPush(ctx.ecr, name, {
      accountId: ctx.claims.accountId,
      region: ctx.ecr.options.region,
      principalArn: ctx.claims.principalArn,
    });
  }
  // A pull under a pull through cache rule would fetch from the upstream, which the offline sandbox can't reach.
  const offline = found || push ? undefined : pullThroughMiss(ctx.ecr, name);
  if (offline !== undefined) throw new OciError('NAME_UNKNOWN', offline);
  if (!found) {
    throw new OciError(
      'NAME_UNKNOWN',
      `The repository with name '${name}' does not exist in the registry with id '${ctx.ecr.accountId}'`,
    );
  }
  // As every ECR action does (EcrContext.repoOf): restores that are due finish before images are looked at.
  settleRestores(found, ctx.ecr.nowMs());
  return found;
}

/** A header's single value. */
export function headerOf(ctx: OciContext, name: string): string | undefined {
  const value = ctx.request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A manifest is at most 4 MiB (ECR's limit); a body is read no further than that (and a byte to tell). */
const MAX_WHOLE_BODY = 4 * 1024 * 1024;

/** The context with the request's body read whole, for the routes that need it at once (a manifest PUT). */
export async function withWholeBody(ctx: OciContext): Promise<OciContext> {
  const body = await wholeBody(ctx.request.body, MAX_WHOLE_BODY);
  return { ...ctx, request: { ...ctx.request, body } };
}
