import type {
  DeregisterPullTimeUpdateExclusionResponse,
  ListPullTimeUpdateExclusionsResponse,
  RegisterPullTimeUpdateExclusionResponse,
} from '@aws-sdk/client-ecr';
import type { EcrCaller } from '../contracts.ts';
import type { EcrContext, Operations } from './context.ts';
import { EcrError, invalidParameter } from './errors.ts';
import { decodeToken, encodeToken } from './pagination.ts';
import { type Input, maxResultsOf, requiredString } from './validation.ts';
import { seconds, type Wire } from './wire.ts';

/**
 * Pull time update exclusions: IAM principals whose pulls don't refresh an image's `lastRecordedPullTime`
 * (RegisterPullTimeUpdateExclusion, DeregisterPullTimeUpdateExclusion, ListPullTimeUpdateExclusions), at most
 * 100 per registry (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-time-update-exclusions.html).
 * A pull by an excluded role's session or by an excluded user leaves the pull time as it was; BatchGetImage asks
 * {@link recordsPullTime} before stamping.
 */

/** One exclusion, in registration order (`seq` is where list pages resume). */
export interface PullTimeExclusionRecord {
  seq: number;
  principalArn: string;
  createdAt: number;
}

declare module './settings-state.ts' {
  interface RegistrySettings {
    /** RegisterPullTimeUpdateExclusion's principals (pull-time-exclusions.ts); absent until one is registered. */
    pullTimeUpdateExclusions?: PullTimeExclusionRecord[];
  }
}

/** PrincipalArn (the API model): an IAM role or user, at most 200 characters. */
const PRINCIPAL_ARN = /^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)\/[\w+=,.@-]+(\/[\w+=,.@-]+)*$/;
const MAX_EXCLUSIONS = 100;

export function pullTimeExclusionOperations(ecr: EcrContext): Operations {
  return {
    RegisterPullTimeUpdateExclusion: (i) => register(ecr, i),
    DeregisterPullTimeUpdateExclusion: (i) => deregister(ecr, i),
    ListPullTimeUpdateExclusions: (i) => list(ecr, i),
  };
}

function exclusionsOf(ecr: EcrContext): PullTimeExclusionRecord[] {
  ecr.state.settings.pullTimeUpdateExclusions ??= [];
  return ecr.state.settings.pullTimeUpdateExclusions;
}

function principalArnOf(input: Input): string {
  const arn = requiredString(input, 'principalArn');
  if (arn.length > 200 || !PRINCIPAL_ARN.test(arn)) {
    throw invalidParameter(
      `Invalid parameter at 'principalArn' failed to satisfy constraint: 'Member must satisfy regular expression pattern: ${PRINCIPAL_ARN.source}'`,
    );
  }
  return arn;
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RegisterPullTimeUpdateExclusion.html */
function register(ecr: EcrContext, input: Input): Wire<RegisterPullTimeUpdateExclusionResponse> {
  const principalArn = principalArnOf(input);
  const exclusions = exclusionsOf(ecr);
  if (exclusions.some((e) => e.principalArn === principalArn)) {
    throw new EcrError(
      'ExclusionAlreadyExistsException',
      `The principal '${principalArn}' is already excluded from pull time updates in the registry with id '${ecr.accountId}'`,
    );
  }
  if (exclusions.length >= MAX_EXCLUSIONS) {
    throw new EcrError(
      'LimitExceededException',
      `The registry with id '${ecr.accountId}' already has the maximum of ${MAX_EXCLUSIONS} pull time update exclusions`,
    );
  }
  const record = {
    seq: (exclusions.at(-1)?.seq ?? 0) + 1,
    principalArn,
    createdAt: ecr.nowMs(),
  };
  exclusions.push(record);
  return { principalArn, createdAt: seconds(record.createdAt) };
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeregisterPullTimeUpdateExclusion.html */
function deregister(ecr: EcrContext, input: Input): Wire<DeregisterPullTimeUpdateExclusionResponse> {
  const principalArn = principalArnOf(input);
  const exclusions = exclusionsOf(ecr);
  const at = exclusions.findIndex((e) => e.principalArn === principalArn);
  if (at < 0) {
    throw new EcrError(
      'ExclusionNotFoundException',
      `The principal '${principalArn}' is not excluded from pull time updates in the registry with id '${ecr.accountId}'`,
    );
  }
  exclusions.splice(at, 1);
  return { principalArn };
}

/** @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListPullTimeUpdateExclusions.html */
function list(ecr: EcrContext, input: Input): Wire<ListPullTimeUpdateExclusionsResponse> {
  const maxResults = maxResultsOf(input, 1000, 100);
  const scope = 'pull-time-exclusions';
  const start =
    input.nextToken === undefined || input.nextToken === null ? 0 : decodeToken(input.nextToken, scope).seq;
  const page = exclusionsOf(ecr).filter((e) => e.seq >= start);
  const pullTimeUpdateExclusions = page.slice(0, maxResults).map((e) => e.principalArn);
  const next = page[maxResults];
  return next === undefined
    ? { pullTimeUpdateExclusions }
    : { pullTimeUpdateExclusions, nextToken: encodeToken({ scope, seq: next.seq, sub: 0 }) };
}

/** For a role session (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`), the role's IAM ARN. */
function iamArnOf(principalArn: string): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principalArn);
  if (session) return `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`;
  return principalArn.replace(/^arn:([^:]+):sts::/, 'arn:$1:iam::');
}

/**
 * Whether a pull by `caller` updates the image's pull time: not when the caller is an excluded user, or a
 * session of an excluded role (a session ARN names the role without its path, so the name decides).
 */
export function recordsPullTime(ecr: EcrContext, caller: EcrCaller | undefined): boolean {
  const exclusions = ecr.state.settings.pullTimeUpdateExclusions;
  if (!exclusions || exclusions.length === 0 || caller === undefined) return true;
  // A caller the edge knows no principal of is moto's default identity, the IAM user `moto`.
  const arn = iamArnOf(caller.principalArn ?? `arn:aws:iam::${caller.accountId}:user/moto`);
  const name = /:(role|user)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return !exclusions.some((e) => {
    if (e.principalArn === arn) return true;
    const excluded = /^arn:[^:]+:iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(e.principalArn);
    return (
      excluded !== null &&
      name !== null &&
      excluded[2] === name[1] &&
      excluded[3] === name[2] &&
      arn.includes(`::${excluded[1]}:`)
    );
  });
}
