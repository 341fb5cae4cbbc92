import type { EcrCaller, RegistryApiRequest, RegistryApiResponse, WireResponse } from '../contracts.ts';
import { checkRepositoryGrant } from '../ecr/access.ts';
import { EcrError } from '../ecr/errors.ts';
import type { Registries } from '../ecr/registries.ts';
import { cancelUpload, finishUpload, getBlob, patchUpload, startUpload, uploadStatus } from './blobs.ts';
import { type OciContext, withWholeBody } from './context.ts';
import { OciError, ociErrorOf } from './errors.ts';
import { injectedFault } from './faults.ts';
import { API_VERSION_HEADER, discardBody, reply, replyJson } from './http.ts';
import { deleteManifest, getManifest, listReferrers, listTags, putManifest } from './manifests.ts';
import { parseRoute, type Route, registryOfHost } from './paths.ts';
import { requiredActions } from './permissions.ts';
import { basicCredentials, type TokenClaims, verifyToken } from './token.ts';

/**
 * The registry API (`/v2/…`): the OCI Distribution API as ECR serves it, on the sandbox's one port, over the
 * same registries as the ECR API (one store: an image pushed here is the image DescribeImages lists).
 *
 * Auth as ECR's: HTTP Basic with user `AWS` and the token GetAuthorizationToken handed out (token.ts); none →
 * 401 UNAUTHORIZED with `WWW-Authenticate: Basic realm="https://<registry host>/",service="ecr.amazonaws.com"`,
 * a token that isn't one → 401, an expired one → 403 DENIED with ECR's "Your authorization token has expired"
 * (times on the sandbox clock). The registry is the one the Host names in ECR's form
 * `<account>.dkr.ecr.<region>.amazonaws.com` (or `….localhost`), else the token's (the account and Region whose
 * GetAuthorizationToken issued it: the sandbox's own for the usual credentials). A token is good for any
 * account's registry, as ECR's "can be used to access any Amazon ECR registry that your IAM principal has access
 * to": in another account's, each request needs the repository policy's grant (ecr/access.ts), else 403 DENIED
 * naming the repository's ARN (so its account).
 */
export interface RegistryApiDeps {
  registries: Registries;
}

function hostOf(request: RegistryApiRequest): string | undefined {
  const host = request.headers.host;
  return Array.isArray(host) ? host[0] : host;
}

function challenge(accountId: string, region: string): Record<string, string> {
  return {
    'www-authenticate': `Basic realm="https://${accountId}.dkr.ecr.${region}.amazonaws.com/",service="ecr.amazonaws.com"`,
  };
}

/** The token's claims, or the 401/403 that refuses the request. */
function authenticate(
  request: RegistryApiRequest,
  nowMs: number,
  realm: Record<string, string>,
): TokenClaims {
  const header = request.headers.authorization;
  const credentials = basicCredentials(Array.isArray(header) ? header[0] : header);
  if (!credentials) {
    throw new OciError(
      'UNAUTHORIZED',
      'authentication required: log in with the password `aws ecr get-login-password` prints',
      undefined,
      realm,
    );
  }
  const check = credentials.user === 'AWS' ? verifyToken(credentials.password, nowMs) : undefined;
  if (check?.ok) return check.claims;
  if (check?.reason === 'expired') {
    throw new OciError('DENIED', 'Your authorization token has expired. Reauthenticate and try again.');
  }
  throw new OciError(
    'UNAUTHORIZED',
    'Not Authorized: the user must be AWS and the password a token from GetAuthorizationToken of this sandbox',
    undefined,
    realm,
  );
}

/**
 * Refuse (403 DENIED, with IAM's message) what the token's principal may not do, as ECR checks IAM: its own
 * (identity) policies, and in another account's registry also the repository policy, which must grant it the
 * same action as a cross-account ECR API call would need (access.ts holds that one rule).
 */
function authorize(
  request: RegistryApiRequest,
  claims: TokenClaims,
  target: Route,
  ref: { accountId: string; region: string },
  registries: Registries,
): void {
  // The caller as a cross-account ECR API call would name it: the token's principal, in the registry's Region.
  const foreign: EcrCaller | undefined =
    ref.accountId === claims.accountId
      ? undefined
      : { accountId: claims.accountId, region: ref.region, principalArn: claims.principalArn };
  const repos = foreign && registries.find(ref.accountId, ref.region)?.state.repos;
  for (const needed of requiredActions(target, request.method, new URLSearchParams(request.query))) {
    const resource = `arn:aws:ecr:${ref.region}:${ref.accountId}:repository/${needed.repositoryName}`;
    const denied = request.authorize?.(claims.principalArn, needed.action, resource, ref.region);
    if (denied !== undefined) throw new OciError('DENIED', denied);
    if (foreign) {
      const name = needed.repositoryName;
      checkRepositoryGrant(
        foreign,
        needed.action.replace(/^ecr:/, ''),
        ref.accountId,
        name,
        repos?.get(name),
      );
    }
  }
}

function route(ctx: OciContext, target: Route): RegistryApiResponse | Promise<RegistryApiResponse> {
  const method = ctx.request.method;
  const head = method === 'HEAD';
  switch (target.kind) {
    case 'base':
      if (method === 'GET' || head) return replyJson(200, {});
      break;
    case 'blob':
      if (method === 'GET' || head) return getBlob(ctx, target.name, target.digest, head);
      break;
    case 'uploads':
      if (method === 'POST') return startUpload(ctx, target.name);
      break;
    case 'upload':
      if (method === 'PATCH') return patchUpload(ctx, target.name, target.id);
      if (method === 'PUT') return finishUpload(ctx, target.name, target.id);
      if (method === 'GET') return uploadStatus(ctx, target.name, target.id);
      if (method === 'DELETE') return cancelUpload(ctx, target.name, target.id);
      break;
    case 'manifest':
      if (method === 'GET' || head) return getManifest(ctx, target.name, target.reference, head);
      if (method === 'PUT')
        return withWholeBody(ctx).then((c) => putManifest(c, target.name, target.reference));
      if (method === 'DELETE') return deleteManifest(ctx, target.name, target.reference);
      break;
    case 'tags':
      if (method === 'GET') return listTags(ctx, target.name);
      break;
    case 'referrers':
      if (method === 'GET') return listReferrers(ctx, target.name, target.digest);
      break;
  }
  throw new OciError('UNSUPPORTED', `${method} is not supported on ${ctx.request.path}`);
}

function errorReply(error: OciError): WireResponse {
  return reply(error.status, { 'content-type': 'application/json', ...error.headers }, error.body());
}

/** Build the registry API over the emulator's registries. */
export function createRegistryApi(
  deps: RegistryApiDeps,
): (request: RegistryApiRequest) => Promise<RegistryApiResponse> {
  const { registries } = deps;
  return async (request) => {
    const home = registries.home;
    const named = registryOfHost(hostOf(request));
    const realm = challenge(named?.accountId ?? home.accountId, named?.region ?? home.region);
    try {
      const target = parseRoute(request.path);
      const claims = authenticate(request, home.service.ecr.nowMs(), realm);
      // A token is good for any registry its principal may reach (API_GetAuthorizationToken): another
      // account's registry is judged request by request in authorize(), by that registry's repository policies.
      const ref = named ?? { accountId: claims.accountId, region: claims.region };
      if (!target)
        throw new OciError(
          'UNSUPPORTED',
          `${request.path} is not a registry API endpoint`,
          undefined,
          {},
          404,
        );
      authorize(request, claims, target, ref, registries);
      // A faulted request fails before its body is used or anything changes (oci/faults.ts).
      const faulted = await injectedFault(request, target);
      if (faulted) return faulted;
      const registry = registries.get(ref.accountId, ref.region);
      const ctx: OciContext = {
        ecr: registry.service.ecr,
        scans: registry.service.scans,
        claims,
        request,
        query: new URLSearchParams(request.query),
      };
      // Awaited here so that a route that streams (blob uploads) fails into the catch below.
      return await route(ctx, target);
    } catch (error) {
      // Refused before the body was read (401, 403, 404…) or failed while a route left some of it unread: the
      // client hears the answer once it has sent the body, not a broken pipe (http.ts discardBody).
      await discardBody(request.body);
      if (error instanceof OciError) return errorReply(error);
      if (error instanceof EcrError) return errorReply(ociErrorOf(error));
      console.error(`registry api: ${request.method} ${request.path} failed`, error);
      return reply(
        500,
        { ...API_VERSION_HEADER, 'content-type': 'application/json' },
        JSON.stringify({
          errors: [{ code: 'UNKNOWN', message: 'Internal error in the sandbox registry API' }],
        }),
      );
    }
  };
}
