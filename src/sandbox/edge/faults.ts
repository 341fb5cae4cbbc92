import { randomUUID } from 'node:crypto';
import { AdminInputError } from './admin-input.ts';
import type { RequestIdentity } from './identify.ts';

/** A fault rule (`POST /_sandbox/faults`). */
export interface FaultRule {
  id: string;
  service: string;
  /** Omitted: every action of the service. */
  action?: string;
  /** Probability 0..1 that a matching request fails. */
  rate: number;
  /** Error code (`__type` / `<Code>`). */
  error: string;
  status: number;
  message?: string;
  /** Fire first on the Nth matching request (counting from the rule's creation), once unless `times` says. */
  nth?: number;
  /** Fire on at most this many requests (from the `nth` on, or the first), then never again. */
  times?: number;
}

/** A rule in force, with how many matching requests it has seen and failed (`GET /_sandbox/faults`). */
export interface ActiveFaultRule extends FaultRule {
  seen: number;
  fired: number;
}

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  429: 'TooManyRequestsException',
  500: 'InternalFailure',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Validate the body of `POST /_sandbox/faults`. */
export function parseFaultRule(body: unknown): FaultRule {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminInputError(
      'body must be a JSON object like {"service":"ecr","error":"ThrottlingException"}',
    );
  }
  const r = body as Record<string, unknown>;
  if (typeof r.service !== 'string' || !/^[a-z0-9-]+$/.test(r.service)) {
    throw new AdminInputError(`"service" must be a service signing name such as "ecr" or "dynamodb"`);
  }
  if (r.action !== undefined && (typeof r.action !== 'string' || r.action === '')) {
    throw new AdminInputError(
      '"action" must be a non-empty string such as "BatchDeleteImage" (omit for all)',
    );
  }
  const rate = r.rate ?? 1;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    throw new AdminInputError(`"rate" must be a number from 0 to 1, got ${JSON.stringify(r.rate)}`);
  }
  if (r.error !== undefined && (typeof r.error !== 'string' || !/^[A-Za-z0-9_.#:-]+$/.test(r.error))) {
    throw new AdminInputError('"error" must be an error code such as "ThrottlingException"');
  }
  if (
    r.status !== undefined &&
    (typeof r.status !== 'number' || !Number.isInteger(r.status) || r.status < 400 || r.status > 599)
  ) {
    throw new AdminInputError(
      `"status" must be an HTTP error status 400-599, got ${JSON.stringify(r.status)}`,
    );
  }
  if (r.error === undefined && r.status === undefined) {
    throw new AdminInputError('one of "error" (an error code) or "status" (an HTTP status) is required');
  }
  if (r.message !== undefined && typeof r.message !== 'string') {
    throw new AdminInputError('"message" must be a string');
  }
  for (const field of ['nth', 'times'] as const) {
    const value = r[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)) {
      throw new AdminInputError(`"${field}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  const status = (r.status as number | undefined) ?? 400;
  return {
    id: randomUUID(),
    service: r.service,
    ...(r.action === undefined ? {} : { action: r.action as string }),
    rate,
    error: (r.error as string | undefined) ?? CODE_FOR_STATUS[status] ?? 'InjectedFault',
    status,
    ...(r.message === undefined ? {} : { message: r.message as string }),
    ...(r.nth === undefined ? {} : { nth: r.nth as number }),
    ...(r.times === undefined ? {} : { times: r.times as number }),
  };
}

/**
 * The fault rules in force; the first matching rule that fires wins. Every rule a request matches (service, and
 * action when given) counts it as seen, whether or not an earlier rule failed it; a rule with `nth` fires from
 * its Nth seen request on, a rule with `times` (or `nth` alone, which means once) stops after that many.
 */
export class FaultRegistry {
  private rules: ActiveFaultRule[] = [];

  /** Put a rule in force; returns it with its counters. */
  add(rule: FaultRule): ActiveFaultRule {
    const active: ActiveFaultRule = { ...rule, seen: 0, fired: 0 };
    this.rules.push(active);
    return { ...active };
  }

  /** The rules with their counters as of now. */
  list(): ActiveFaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * The rule that fails this request, if any (each eligible rule rolls its own dice). `action` may name several
   * actions: a registry API request is authorised as up to three ECR actions (a monolithic upload is
   * InitiateLayerUpload, UploadLayerPart and CompleteLayerUpload at once), and a rule on any of them matches it,
   * counting the request once.
   */
  pick(
    service: string,
    action: string | readonly string[],
    random: () => number = Math.random,
  ): FaultRule | undefined {
    if (this.rules.length === 0) return undefined;
    const actions: readonly string[] = typeof action === 'string' ? [action] : action;
    let picked: ActiveFaultRule | undefined;
    for (const rule of this.rules) {
      if (rule.service !== service) continue;
      if (rule.action !== undefined && !actions.includes(rule.action)) continue;
      rule.seen++;
      if (picked) continue;
      if (rule.nth !== undefined && rule.seen < rule.nth) continue;
      const limit = rule.times ?? (rule.nth === undefined ? Number.POSITIVE_INFINITY : 1);
      if (rule.fired >= limit) continue;
      if (rule.rate >= 1 || random() < rule.rate) {
        rule.fired++;
        picked = rule;
      }
    }
    return picked;
  }
}

/** An HTTP response to write. */
export interface SimpleResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The error response for a fault, in the wire protocol of the request: `{"__type","message"}` for JSON
 * protocols (with `x-amzn-query-error` for awsQueryCompatible SQS), `<ErrorResponse>` XML for the query protocol.
 */
export function faultResponse(
  rule: FaultRule,
  request: Pick<RequestIdentity, 'service' | 'action' | 'protocol'>,
  requestContentType: string | undefined,
  queryMode = false,
): SimpleResponse {
  const requestId = randomUUID();
  const message = rule.message ?? `Injected fault: ${rule.error} on ${request.service}.${request.action}`;
  const fault = rule.status >= 500 ? 'Receiver' : 'Sender';
  if (request.protocol === 'query') {
    const body =
      `<ErrorResponse xmlns="https://${request.service}.amazonaws.com/doc/"><Error><Type>${fault}</Type>` +
      `<Code>${escapeXml(rule.error)}</Code><Message>${escapeXml(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`;
    return {
      status: rule.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body,
    };
  }
  const contentType = requestContentType?.startsWith('application/x-amz-json')
    ? requestContentType
    : 'application/json';
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': rule.error,
  };
  if (queryMode) headers['x-amzn-query-error'] = `${rule.error};${fault}`;
  return { status: rule.status, headers, body: JSON.stringify({ __type: rule.error, message }) };
}
