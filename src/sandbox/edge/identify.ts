import type { IncomingHttpHeaders } from 'node:http';
import { ECR_TARGET_PREFIX } from '../contracts.ts';

/** Which AWS service and action a request is for, and which wire protocol it speaks. */
export interface RequestIdentity {
  /** Signing name from the SigV4 credential scope (`ecr`, `dynamodb`, `events`, `sns`, `sqs`, `ssm`, ...). */
  service: string;
  /** API action (`PutItem`, `Publish`, ...); for REST protocols `METHOD /first-path-segment`. */
  action: string;
  /** `json` (X-Amz-Target), `query` (form/query `Action=`) or `rest`. */
  protocol: 'json' | 'query' | 'rest';
  /** Full X-Amz-Target when present. */
  target?: string;
}

const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/;

/** X-Amz-Target prefixes of unsigned requests, to name their service anyway. */
const TARGET_SERVICES: Array<[string, string]> = [
  [ECR_TARGET_PREFIX, 'ecr'],
  ['DynamoDB_', 'dynamodb'],
  ['DynamoDBStreams_', 'dynamodb'],
  ['AWSEvents.', 'events'],
  ['AmazonSQS.', 'sqs'],
  ['AmazonSSM.', 'ssm'],
  ['Logs_', 'logs'],
  ['AWSCognitoIdentityProviderService.', 'cognito-idp'],
];

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The signing name in a SigV4 `Authorization` header, if any. */
export function serviceFromAuthorization(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  return CREDENTIAL_SCOPE.exec(authorization)?.[1];
}

/** True when `X-Amz-Target` names an ECR API action. */
export function isEcrTarget(target: string | undefined): boolean {
  return target?.startsWith(ECR_TARGET_PREFIX) === true;
}

/** `Action=` of a query-protocol request, from the form body or the query string. */
export function queryAction(
  query: string,
  body: Buffer,
  contentType: string | undefined,
): string | undefined {
  if (contentType?.startsWith('application/x-www-form-urlencoded') && body.length > 0) {
    // Only the first few KiB: Action comes first from every SDK, and bodies can be large.
    const head = body.subarray(0, 4096).toString('latin1');
    const match = /(?:^|&)Action=([^&]*)/.exec(head);
    if (match?.[1]) return decodeURIComponent(match[1].replace(/\+/g, ' '));
  }
  if (query) {
    const match = /(?:^|&)Action=([^&]*)/.exec(query);
    if (match?.[1]) return decodeURIComponent(match[1].replace(/\+/g, ' '));
  }
  return undefined;
}

/**
 * Identify the service and action of an AWS request: the service from the SigV4 credential scope (else the
 * X-Amz-Target prefix), the action from X-Amz-Target (after the last '.') or the query protocol's `Action=`.
 */
export function identifyRequest(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): RequestIdentity {
  const target = header(headers, 'x-amz-target');
  const queryIndex = url.indexOf('?');
  const path = queryIndex === -1 ? url : url.slice(0, queryIndex);
  const query = queryIndex === -1 ? '' : url.slice(queryIndex + 1);
  let service = serviceFromAuthorization(header(headers, 'authorization'));
  if (target) {
    if (isEcrTarget(target)) service = 'ecr';
    else if (!service) service = TARGET_SERVICES.find(([prefix]) => target.startsWith(prefix))?.[1];
    return {
      service: service ?? 'unknown',
      action: target.slice(target.lastIndexOf('.') + 1),
      protocol: 'json',
      target,
    };
  }
  const action = queryAction(query, body, header(headers, 'content-type'));
  if (action) return { service: service ?? 'unknown', action, protocol: 'query' };
  const named = service === undefined ? undefined : restAction(service, method, path);
  if (named) return { service: service as string, action: named, protocol: 'rest' };
  const segment = path.split('/')[1] ?? '';
  return { service: service ?? 'unknown', action: `${method} /${segment}`, protocol: 'rest' };
}

/**
 * REST routes named by their API action, for the REST services the product calls (counters, fault rules and
 * IAM then speak of `ListCoverage`, not `POST /coverage`). Paths from each service's API model.
 * @see https://docs.aws.amazon.com/inspector/v2/APIReference/API_ListCoverage.html
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
 */
const REST_ACTIONS: ReadonlyArray<readonly [service: string, method: string, path: RegExp, action: string]> =
  [
    ['inspector2', 'POST', /^\/coverage\/list$/, 'ListCoverage'],
    ['inspector2', 'POST', /^\/findings\/list$/, 'ListFindings'],
    ['lambda', 'GET', /^\/2015-03-31\/functions\/?$/, 'ListFunctions'],
    ['lambda', 'GET', /^\/2015-03-31\/functions\/[^/]+\/versions\/?$/, 'ListVersionsByFunction'],
    ['lambda', 'GET', /^\/2015-03-31\/functions\/[^/]+\/aliases\/?$/, 'ListAliases'],
    ['lambda', 'GET', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'GetFunction'],
  ];

/** The API action of a REST request the table above knows, else undefined. */
export function restAction(service: string, method: string, path: string): string | undefined {
  return REST_ACTIONS.find(([s, m, pattern]) => s === service && m === method && pattern.test(path))?.[3];
}
