/**
 * The registry API's routes (OCI distribution spec, "Endpoints"): what a `/v2/…` path addresses. A repository
 * name may hold slashes, so the fixed suffixes (`/blobs/…`, `/manifests/…`, `/tags/list`, `/referrers/…`) decide.
 */
export type Route =
  | { kind: 'base' }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string };

/** True for the paths the registry API answers: `/v2` and everything under `/v2/`. */
export function isRegistryApiPath(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

const ROUTES: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: decode(m[1] as string) })],
  [
    /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    (m) => ({ kind: 'upload', name: decode(m[1] as string), id: decode(m[2] as string) }),
  ],
  [
    /^\/v2\/(.+)\/blobs\/([^/]+)$/,
    (m) => ({ kind: 'blob', name: decode(m[1] as string), digest: decode(m[2] as string) }),
  ],
  [
    /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    (m) => ({ kind: 'manifest', name: decode(m[1] as string), reference: decode(m[2] as string) }),
  ],
  [/^\/v2\/(.+)\/tags\/list\/?$/, (m) => ({ kind: 'tags', name: decode(m[1] as string) })],
  [
    /^\/v2\/(.+)\/referrers\/([^/]+)$/,
    (m) => ({ kind: 'referrers', name: decode(m[1] as string), digest: decode(m[2] as string) }),
  ],
];

/** The route of a `/v2/…` path, or undefined when it addresses nothing the API has. */
export function parseRoute(path: string): Route | undefined {
  for (const [pattern, route] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return route(match);
  }
  return undefined;
}

/**
 * The registry a request's Host names, in ECR's form `<account>.dkr.ecr.<region>.amazonaws.com` (or the same
 * under `.localhost`, which resolves to loopback and so passes the edge's Host guard), port ignored.
 */
export function registryOfHost(host: string | undefined): { accountId: string; region: string } | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|localhost)\.?(?::\d+)?$/i.exec(
    host?.trim() ?? '',
  );
  return match ? { accountId: match[1] as string, region: (match[2] as string).toLowerCase() } : undefined;
}
