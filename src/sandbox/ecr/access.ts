/**
 * Cross-account access to a registry: a request whose `registryId` (or resource ARN) names another account's
 * registry is allowed only when the repository's policy (SetRepositoryPolicy) grants the caller that action,
 * as ECR decides it: https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html.
 * Registry-level actions on another account's registry are refused. The statements a principal matches are
 * judged by the sandbox's IAM evaluator (actions with wildcards, Resource, Condition).
 */
import type { EcrCaller } from '../contracts.ts';
import { evaluate, parsePolicyDocument } from '../iam/policy.ts';
import { EcrError } from './errors.ts';
import type { RepositoryRecord } from './state.ts';
import { type Input, REPOSITORY_NAME_PATTERN } from './validation.ts';

/** Actions that address a repository through `resourceArn` instead of `registryId` + `repositoryName`. */
export const ARN_ACTIONS = new Set(['TagResource', 'UntagResource', 'ListTagsForResource']);

/**
 * API actions a policy authorises under another IAM action: "The IAM principal invoking this operation must
 * have the `ecr:BatchGetImage` permission" (API_ListImageReferrers.html).
 */
const IAM_ACTION_OF: Readonly<Record<string, string>> = { ListImageReferrers: 'BatchGetImage' };

/** The IAM action (without `ecr:`) that authorises an API action. */
export function iamActionOf(action: string): string {
  return Object.hasOwn(IAM_ACTION_OF, action) ? (IAM_ACTION_OF[action] as string) : action;
}

const REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository\/(.+)$/;
const ACCOUNT_ID = /^[0-9]{12}$/;

/** The account a request addresses: its `registryId` (or resource ARN's account), else the caller's. */
export function targetAccountOf(action: string, input: Input, caller: EcrCaller): string {
  if (ARN_ACTIONS.has(action)) {
    const arn = input.resourceArn;
    const match = typeof arn === 'string' ? REPOSITORY_ARN.exec(arn) : null;
    return match?.[2] ?? caller.accountId;
  }
  const registryId = input.registryId;
  // A malformed registryId is the operation's to reject (InvalidParameterException), in the caller's registry.
  return typeof registryId === 'string' && ACCOUNT_ID.test(registryId) ? registryId : caller.accountId;
}

/** The principal ARN a caller is named by (moto's default identity when the edge knows no better). */
export function callerArn(caller: EcrCaller): string {
  return caller.principalArn ?? `arn:aws:sts::${caller.accountId}:user/moto`;
}

/** For a role session, policies name the role: `arn:aws:iam::<acct>:role/<name>`. */
function roleArnOf(principalArn: string): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principalArn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : principalArn;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** True when a resource policy's `Principal` names the caller (`*`, its account, its root, role or user ARN). */
function principalMatches(principal: unknown, caller: EcrCaller): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const aws = (principal as Record<string, unknown>).AWS;
  if (aws === undefined) return false;
  const arn = callerArn(caller);
  const names = new Set([
    '*',
    caller.accountId,
    `arn:aws:iam::${caller.accountId}:root`,
    arn,
    roleArnOf(arn),
  ]);
  return asList(aws).some((name) => typeof name === 'string' && names.has(name));
}

type Verdict = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * Judge `ecr:<action>` on `resourceArn` by a repository policy. A policy the sandbox can't evaluate (not
 * JSON, an unknown condition operator) allows nothing.
 */
export function repositoryPolicyVerdict(
  policyText: string | undefined,
  caller: EcrCaller,
  action: string,
  resourceArn: string,
): Verdict {
  if (policyText === undefined) return 'implicit-deny';
  let document: unknown;
  try {
    document = JSON.parse(policyText);
  } catch {
    return 'implicit-deny';
  }
  const statements = asList((document as { Statement?: unknown } | null)?.Statement);
  // Keep the statements whose principal is the caller, as identity statements for the evaluator.
  const mine = statements.flatMap((raw) => {
    if (typeof raw !== 'object' || raw === null) return [];
    const { Principal, NotPrincipal, ...rest } = raw as Record<string, unknown>;
    if (NotPrincipal !== undefined || !principalMatches(Principal, caller)) return [];
    // Repository policies usually leave Resource out: the statement is about the repository it is set on.
    return [
      rest.Resource === undefined && rest.NotResource === undefined ? { ...rest, Resource: '*' } : rest,
    ];
  });
  if (mine.length === 0) return 'implicit-deny';
  let parsed: ReturnType<typeof parsePolicyDocument>;
  try {
    parsed = parsePolicyDocument({ Statement: mine }, 'repository policy');
  } catch {
    return 'implicit-deny';
  }
  const arn = callerArn(caller);
  const decision = evaluate(parsed, {
    action: `ecr:${action}`,
    resource: resourceArn,
    context: {
      'aws:PrincipalAccount': caller.accountId,
      'aws:PrincipalArn': roleArnOf(arn),
      'aws:RequestedRegion': caller.region,
    },
  });
  return decision.effect;
}

function accessDenied(caller: EcrCaller, action: string, resource: string, verdict: Verdict): EcrError {
  const head = `User: ${callerArn(caller)} is not authorized to perform: ecr:${action} on resource: ${resource}`;
  return new EcrError(
    'AccessDeniedException',
    verdict === 'explicit-deny'
      ? `${head} with an explicit deny in a resource-based policy`
      : `${head} because no resource-based policy allows the ecr:${action} action`,
  );
}

/** The repositories a request names (for the access check), or undefined for a registry-level request. */
function repositoryNamesOf(action: string, input: Input): string[] | undefined {
  if (action === 'CreateRepository') return undefined;
  if (ARN_ACTIONS.has(action)) {
    const arn = input.resourceArn;
    const name = typeof arn === 'string' ? REPOSITORY_ARN.exec(arn)?.[3] : undefined;
    return name === undefined ? undefined : [name];
  }
  if (typeof input.repositoryName === 'string') return [input.repositoryName];
  if (action === 'DescribeRepositories' && Array.isArray(input.repositoryNames)) {
    const names = input.repositoryNames.filter((name): name is string => typeof name === 'string');
    return names.length > 0 ? names : undefined;
  }
  return undefined;
}

/**
 * The one rule for reaching a repository of another account's registry (`targetAccount`, in the caller's
 * Region): it must exist (else RepositoryNotFoundException, as before any policy applies) and its repository
 * policy must allow the caller `ecr:<iamAction>` on it. ECR API calls ({@link checkCrossAccount}) and the registry
 * API (`/v2/` with a token of another account, oci/handler.ts) both go through it, because ECR decides a
 * cross-account pull or push by the same repository policy as a cross-account BatchGetImage or PutImage.
 * A malformed name is left to the operation to reject, naming the field.
 * @throws EcrError AccessDeniedException or RepositoryNotFoundException
 */
export function checkRepositoryGrant(
  caller: EcrCaller,
  iamAction: string,
  targetAccount: string,
  name: string,
  repo: RepositoryRecord | undefined,
): void {
  if (!REPOSITORY_NAME_PATTERN.test(name)) return;
  if (!repo) {
    throw new EcrError(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${targetAccount}'`,
    );
  }
  const arn = `arn:aws:ecr:${caller.region}:${targetAccount}:repository/${name}`;
  const verdict = repositoryPolicyVerdict(repo.policyText, caller, iamAction, arn);
  if (verdict !== 'allow') throw accessDenied(caller, iamAction, arn, verdict);
}

/**
 * Refuse a request of `caller` on another account's registry unless each repository it names passes
 * {@link checkRepositoryGrant}; a request that names no repository is refused outright.
 * @throws EcrError AccessDeniedException or RepositoryNotFoundException
 */
export function checkCrossAccount(
  action: string,
  input: Input,
  caller: EcrCaller,
  targetAccount: string,
  lookup: (name: string) => RepositoryRecord | undefined,
): void {
  const arnOf = (name: string) => `arn:aws:ecr:${caller.region}:${targetAccount}:repository/${name}`;
  const names = repositoryNamesOf(action, input);
  const iamAction = iamActionOf(action);
  if (names === undefined) {
    const name = typeof input.repositoryName === 'string' ? input.repositoryName : '*';
    throw accessDenied(caller, iamAction, arnOf(name), 'implicit-deny');
  }
  for (const name of names) checkRepositoryGrant(caller, iamAction, targetAccount, name, lookup(name));
}
