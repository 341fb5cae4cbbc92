/**
 * What every service's request mapping (requests.ts) reads a request with: the facts the edge knows, the request
 * parameters whatever the protocol carried them in, and the ARN builders. Pure.
 */
import type { AuthorizationRequest } from './policy.ts';

/** What the edge knows about one AWS API request. */
export interface RequestFacts {
  /** SigV4 signing name: 'ecr' | 'dynamodb' | 'sns' | 'sqs' | 'ssm' | 'events' | 'sts' | … */
  service: string;
  /** API action name, e.g. 'PutImage', 'BatchWriteItem', 'Publish'. */
  action: string;
  protocol: 'json' | 'query' | 'rest';
  /** Raw request body (JSON text for the json protocol; form-urlencoded for query). */
  body: string;
  /** URL query string without '?'. */
  query: string;
  /** URL path without the query string: REST protocols name resources in it (Lambda's function). */
  path?: string;
  /** From the SigV4 credential scope. */
  region: string;
  /** The caller's account. */
  accountId: string;
  /** The registry's scan type; with ENHANCED, reading findings also needs inspector2:ListFindings. */
  ecrScanType?: 'BASIC' | 'ENHANCED';
}

/** The request parameters, whatever the protocol carried them in. */
export interface Params {
  /** A top-level parameter that is a non-empty string. */
  string(name: string): string | undefined;
  /** A top-level parameter as parsed JSON (json protocol only; query parameters are flat strings). */
  raw(name: string): unknown;
}

/** Where the resources of a request come from, and the ARN builders of its service. */
export interface Scope {
  facts: RequestFacts;
  params: Params;
  partition: string;
}

/** Resource ARNs for one request; `undefined` when the body does not name them (→ `*`). */
export type ResourceRule = (scope: Scope) => string[] | undefined;

/** A request's own authorisations, for actions whose IAM actions differ from the API action. */
export type RequestRule = (scope: Scope) => AuthorizationRequest[] | undefined;

// ---------------------------------------------------------------------------------------------------------------
// Parsing

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `table[key]` when `key` is the table's own entry: an action named `constructor` or `toString` must not reach
 * Object.prototype.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Read the parameters by protocol; `undefined` when the body is not what the protocol promises. */
export function paramsOf(facts: RequestFacts): Params | undefined {
  if (facts.protocol === 'json') {
    let parsed: unknown;
    try {
      // An empty body is an empty input (`{}`) to the JSON protocols.
      parsed = facts.body.trim() === '' ? {} : JSON.parse(facts.body);
    } catch {
      return undefined;
    }
    if (!isRecord(parsed)) return undefined;
    const object = parsed;
    return { string: (name) => nonEmpty(object[name]), raw: (name) => object[name] };
  }
  if (facts.protocol === 'query') {
    // Query protocol parameters come in the form body (POST) or the URL (GET); the body wins, as it does for AWS.
    const body = new URLSearchParams(facts.body);
    const query = new URLSearchParams(facts.query);
    const get = (name: string) => nonEmpty(body.get(name) ?? query.get(name) ?? undefined);
    return { string: get, raw: get };
  }
  // REST protocols carry their parameters in the path and query string (facts.path, facts.query): the mapping of
  // such a service reads them itself; there is no body parameter to read.
  if (facts.protocol === 'rest') return { string: () => undefined, raw: () => undefined };
  return undefined;
}

/** Partition of a region: ARNs in China and GovCloud regions are not `arn:aws:`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

export function arn(
  scope: Scope,
  service: string,
  resource: string,
  account = scope.facts.accountId,
): string {
  return `arn:${scope.partition}:${service}:${scope.facts.region}:${account}:${resource}`;
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/** Distinct values, first occurrence first. */
export function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

/** `names` when every entry is a non-empty string and there is at least one, else `undefined` (→ `*`). */
export function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const names = value.map(nonEmpty);
  return names.every((name): name is string => name !== undefined) ? names : undefined;
}
