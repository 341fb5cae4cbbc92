/**
 * IAM at the sandbox edge: a request signed with credentials the local Lambda runtime registered for a function
 * (runtime/iam.ts) is held to that function's execution role — the action and resource ARN(s) the request needs
 * (iam/requests.ts), judged by the role's policies (iam/policy.ts) — and answered as AWS answers a call the role
 * does not allow: AccessDenied in the service's own error shape, naming the principal, action and resource.
 * Requests with other credentials (tests, the CLI, the AWS CLI) are not checked: they stand for an administrator.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import type { IncomingHttpHeaders } from 'node:http';
import * as z from 'zod';
import type { RegistryRef } from '../contracts.ts';
import {
  type AuthorizationRequest,
  denialMessage,
  evaluate,
  type PolicyStatement,
  parsePolicyDocument,
} from '../iam/policy.ts';
import { authorizationRequests } from '../iam/requests.ts';
import { AdminInputError } from './admin-input.ts';
import { faultResponse, type SimpleResponse } from './faults.ts';
import type { RequestIdentity } from './identify.ts';

/** A registered function's principal. */
interface Principal {
  accessKeyId: string;
  principalArn: string;
  accountId: string;
  function: string;
  statements: PolicyStatement[];
}

/** One refused call, as `GET /_sandbox/iam/denials` lists it. */
export interface Denial {
  at: string;
  function: string;
  principalArn: string;
  action: string;
  resource: string;
  message: string;
}

const registrationSchema = z.strictObject({
  accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'must be an access key id (A-Z, 0-9)'),
  principalArn: z.string().startsWith('arn:'),
  accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  function: z.string().min(1),
  policies: z.array(z.strictObject({ where: z.string().min(1), document: z.unknown() })),
});

const unregistrationSchema = z.strictObject({ accessKeyIds: z.array(z.string()).min(1) });

/** How each service says "access denied" (code, HTTP status), as its API reference documents it. */
const DENIED: Record<string, { code: string; status: number }> = {
  sns: { code: 'AuthorizationError', status: 403 },
  sqs: { code: 'AccessDenied', status: 403 },
  sts: { code: 'AccessDenied', status: 403 },
  iam: { code: 'AccessDenied', status: 403 },
  lambda: { code: 'AccessDeniedException', status: 403 },
};
const DENIED_DEFAULT = { code: 'AccessDeniedException', status: 400 };

/** The latest denials kept for the admin API. */
const DENIALS_KEPT = 500;

/** The `registryId` of an ECR request body (the registry whose scan type applies). */
const ECR_REGISTRY_ID = /"registryId"\s*:\s*"(\d{12})"/;

const CREDENTIAL = /Credential=([A-Za-z0-9]+)\/\d{8}\/([a-z0-9-]+)\//;

/** For a role session, `aws:PrincipalArn` is the role's ARN, not the session's. */
function roleArnOf(principalArn: string): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principalArn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : principalArn;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map(String).join('.');
  return `${path ? `"${path}" ` : ''}${issue?.message ?? 'invalid'}`;
}

/** The registered principals and what they were refused. */
export class IamEnforcer {
  private readonly principals = new Map<string, Principal>();
  private denials: Denial[] = [];

  constructor(
    private readonly options: {
      /** A registry's scan type: with ENHANCED, reading findings also needs inspector2:ListFindings. */
      ecrScanType: (registry: RegistryRef) => 'BASIC' | 'ENHANCED';
      now: () => Date;
      log: (line: string) => void;
    },
  ) {}

  /**
   * Register a function's credentials and role (`POST /_sandbox/iam/principals`).
   * @throws AdminInputError naming the field or the policy statement that is wrong
   */
  register(body: unknown): { accessKeyId: string; statements: number } {
    const parsed = registrationSchema.safeParse(body);
    if (!parsed.success) throw new AdminInputError(firstIssue(parsed.error));
    const { policies, ...rest } = parsed.data;
    let statements: PolicyStatement[];
    try {
      statements = policies.flatMap(({ where, document }) => parsePolicyDocument(document, where));
    } catch (error) {
      throw new AdminInputError(error instanceof Error ? error.message : String(error));
    }
    this.principals.set(rest.accessKeyId, { ...rest, statements });
    return { accessKeyId: rest.accessKeyId, statements: statements.length };
  }

  /** Forget registrations (`DELETE /_sandbox/iam/principals`); answers how many were known. */
  unregister(body: unknown): number {
    const parsed = unregistrationSchema.safeParse(body);
    if (!parsed.success) throw new AdminInputError(firstIssue(parsed.error));
    return parsed.data.accessKeyIds.filter((key) => this.principals.delete(key)).length;
  }

  /** The principals, without their policies' text (`GET /_sandbox/iam/principals`). */
  list(): Array<Omit<Principal, 'statements'> & { statements: number }> {
    return [...this.principals.values()].map(({ statements, ...rest }) => ({
      ...rest,
      statements: statements.length,
    }));
  }

  /** The account and principal of a registered key (for the edge's account directory, accounts.ts). */
  ownerOf(accessKeyId: string): { accountId: string; principalArn: string } | undefined {
    const principal = this.principals.get(accessKeyId);
    return principal && { accountId: principal.accountId, principalArn: principal.principalArn };
  }

  listDenials(): Denial[] {
    return [...this.denials];
  }

  clearDenials(): void {
    this.denials = [];
  }

  /**
   * The AccessDenied answer to a request its caller's role does not allow, or undefined to let it through
   * (allowed, or not signed by a registered function).
   */
  check(
    identity: RequestIdentity,
    headers: IncomingHttpHeaders,
    url: string,
    body: Buffer,
  ): SimpleResponse | undefined {
    if (this.principals.size === 0) return undefined;
    const authorization = headers.authorization;
    const match = CREDENTIAL.exec(
      Array.isArray(authorization) ? (authorization[0] ?? '') : (authorization ?? ''),
    );
    const principal = match ? this.principals.get(match[1] as string) : undefined;
    if (!principal || !match) return undefined;
    const queryAt = url.indexOf('?');
    const text = body.toString('utf8');
    const needed = authorizationRequests({
      service: identity.service,
      action: identity.action,
      protocol: identity.protocol,
      body: text,
      query: queryAt === -1 ? '' : url.slice(queryAt + 1),
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      region: match[2] as string,
      accountId: principal.accountId,
      ...(identity.service === 'ecr'
        ? {
            ecrScanType: this.options.ecrScanType({
              accountId: ECR_REGISTRY_ID.exec(text)?.[1] ?? principal.accountId,
              region: match[2] as string,
            }),
          }
        : {}),
    });
    // The global condition keys every request carries (the service-specific ones come from requests.ts).
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
    const global = {
      'aws:PrincipalArn': roleArnOf(principal.principalArn),
      'aws:PrincipalAccount': principal.accountId,
      'aws:RequestedRegion': match[2] as string,
    };
    for (const needs of needed) {
      const request = { ...needs, context: { ...global, ...needs.context } };
      const decision = evaluate(principal.statements, request);
      if (decision.effect === 'allow') continue;
      return this.deny(
        identity,
        headers,
        principal,
        request,
        denialMessage(principal.principalArn, request, decision),
      );
    }
    return undefined;
  }

  /**
   * IAM for the registry API (`/v2/`, whose requests carry a token, not a signature): the denial message when
   * `principalArn` is a registered function's and its role does not allow `action` on `resource`, recorded like
   * any denial; undefined when allowed or when the principal is not a registered one (an administrator).
   */
  authorizePrincipal(
    principalArn: string,
    action: string,
    resource: string,
    region: string,
  ): string | undefined {
    const principal = [...this.principals.values()].find((p) => p.principalArn === principalArn);
    if (!principal) return undefined;
    const request: AuthorizationRequest = {
      action,
      resource,
      context: {
        'aws:PrincipalArn': roleArnOf(principal.principalArn),
        'aws:PrincipalAccount': principal.accountId,
        'aws:RequestedRegion': region,
      },
    };
    const decision = evaluate(principal.statements, request);
    if (decision.effect === 'allow') return undefined;
    const message = denialMessage(principal.principalArn, request, decision);
    this.record(principal, request, message);
    return message;
  }

  private record(principal: Principal, request: AuthorizationRequest, message: string): void {
    this.denials.push({
      at: this.options.now().toISOString(),
      function: principal.function,
      principalArn: principal.principalArn,
      action: request.action,
      resource: request.resource,
      message,
    });
    if (this.denials.length > DENIALS_KEPT) this.denials.splice(0, this.denials.length - DENIALS_KEPT);
    this.options.log(`iam: denied ${principal.function}: ${request.action} on ${request.resource}`);
  }

  private deny(
    identity: RequestIdentity,
    headers: IncomingHttpHeaders,
    principal: Principal,
    request: AuthorizationRequest,
    message: string,
  ): SimpleResponse {
    this.record(principal, request, message);
    const { code, status } = DENIED[identity.service] ?? DENIED_DEFAULT;
    const contentType = headers['content-type'];
    return faultResponse(
      { id: 'iam', service: identity.service, rate: 1, error: code, status, message },
      identity,
      Array.isArray(contentType) ? contentType[0] : contentType,
      headers['x-amzn-query-mode'] === 'true',
    );
  }
}
