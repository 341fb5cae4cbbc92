import type { RegistryApiRequest, WireResponse } from '../contracts.ts';
import { discardBody, reply } from './http.ts';
import type { Route } from './paths.ts';
import { requiredActions } from './permissions.ts';

/**
 * Fault injection on the registry API (`POST /_sandbox/faults` with service `ecr`): a `/v2/…` request matches
 * the rules of the ECR actions IAM authorises it as (permissions.ts, the one mapping: a blob HEAD is
 * BatchCheckLayerAvailability, a blob GET GetDownloadUrlForLayer, an upload POST InitiateLayerUpload, a PATCH
 * UploadLayerPart, the closing PUT UploadLayerPart + CompleteLayerUpload, a manifest PUT PutImage, a manifest GET
 * or referrers list BatchGetImage, a tags list ListImages), so one rule fails the ECR API call and the registry
 * API request that does the same thing. `GET /v2/` needs no action and is never failed.
 *
 * The edge checks a request after authenticating and authorising it (as AWS authorises before it throttles) and
 * before it uses the body or changes any state, so a faulted request leaves nothing behind (what the client still
 * sends of the body is read and dropped, see discardBody). The answer is the
 * registry API's error body with the rule's status, in the codes clients know (distribution's errcode):
 * TOOMANYREQUESTS for 429, UNAVAILABLE for 503, UNKNOWN for other 5xx; podman and skopeo retry those codes.
 * @see https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */

/** What a fired fault rule says (edge/faults.ts's FaultRule, as the registry API needs it). */
export type InjectedFault = NonNullable<ReturnType<NonNullable<RegistryApiRequest['fault']>>>;

/** The registry API's error codes (the spec's, plus distribution's UNKNOWN and UNAVAILABLE). */
const OCI_CODES = new Set([
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
  'UNKNOWN',
  'UNAVAILABLE',
]);

const CODE_FOR_STATUS: Record<number, string> = {
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  405: 'UNSUPPORTED',
  429: 'TOOMANYREQUESTS',
  503: 'UNAVAILABLE',
};

/** An AWS error code that means "slow down" (ThrottlingException, TooManyRequestsException, …). */
const THROTTLING = /throttl|too ?many ?requests|rate ?exceeded|limit ?exceeded|slow ?down/i;

/** The ECR actions (without `ecr:`) a request to `route` is authorised as: what fault rules match it by. */
export function faultActions(route: Route, method: string, query: URLSearchParams): string[] {
  const actions = requiredActions(route, method, query).map((needed) => needed.action.replace(/^ecr:/, ''));
  return [...new Set(actions)];
}

/**
 * The OCI code of a fault's answer: the rule's error when it is one of the registry API's codes, else by its
 * status; an AWS throttling error given with another 4xx status (the fault API's default is 400) still reads
 * TOOMANYREQUESTS, and anything else UNKNOWN.
 */
export function ociFaultCode(fault: InjectedFault): string {
  if (OCI_CODES.has(fault.error)) return fault.error;
  const byStatus = CODE_FOR_STATUS[fault.status];
  if (byStatus !== undefined) return byStatus;
  if (fault.status < 500 && THROTTLING.test(fault.error)) return 'TOOMANYREQUESTS';
  return 'UNKNOWN';
}

/** The answer to a request a fault rule failed: the rule's status, the registry API's error body. */
export function faultReply(fault: InjectedFault, actions: readonly string[], path: string): WireResponse {
  const code = ociFaultCode(fault);
  const message = fault.message ?? `Injected fault: ${fault.error} on ecr.${actions.join('+')} (${path})`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // Registries may say when to come back; c/image (podman, skopeo) honours it instead of its 2 s first backoff.
  if (code === 'TOOMANYREQUESTS' || fault.status === 503) headers['retry-after'] = '1';
  return reply(
    fault.status,
    headers,
    JSON.stringify({ errors: [{ code, message, detail: { fault: fault.error, actions } }] }),
  );
}

/** The answer when a fault rule fails this request (authenticated, authorised, not yet served), else undefined. */
export async function injectedFault(
  request: RegistryApiRequest,
  route: Route,
): Promise<WireResponse | undefined> {
  if (!request.fault) return undefined;
  const actions = faultActions(route, request.method, new URLSearchParams(request.query));
  if (actions.length === 0) return undefined;
  const fault = request.fault(actions);
  if (fault === undefined) return undefined;
  await discardBody(request.body);
  return faultReply(fault, actions, request.path);
}
