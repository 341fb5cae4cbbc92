import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EcrEmulator } from '../contracts.ts';
import { type InspectorCoverage, LIST_COVERAGE_PATH } from '../inspector/coverage.ts';
import { serveRegistryApi } from '../oci/http.ts';
import { isRegistryApiPath } from '../oci/paths.ts';
import { changesSubscriptions, isPublish, type SnsEmailTap } from '../taps/sns-email.ts';
import { type AccountDirectory, assumedRoleOf, isAssumeRole } from './accounts.ts';
import type { AdminHandler } from './admin.ts';
import type { RequestCounters } from './counters.ts';
import { type FaultRegistry, faultResponse } from './faults.ts';
import { refusal } from './guard.ts';
import { readBody, sendBody, sendJson } from './http.ts';
import type { IamEnforcer } from './iam.ts';
import { identifyRequest, isEcrTarget } from './identify.ts';
import type { RequestHandler } from './listener.ts';
import { isExclusiveDynamoRequest, MotoGate } from './moto-gate.ts';
import { downstreamHeaders, type MotoProxy } from './proxy.ts';

/** What the edge routes requests to. */
export interface EdgeRoutes {
  admin: AdminHandler;
  /** Which account a request's key belongs to (learnt from STS answers passing through, and the runtime). */
  accounts: AccountDirectory;
  counters: RequestCounters;
  faults: FaultRegistry;
  iam: IamEnforcer;
  emulator: EcrEmulator;
  /** Inspector's ListCoverage, which moto lacks (answered from the emulator's images). */
  coverage: InspectorCoverage;
  proxy: MotoProxy;
  emailTap: SnsEmailTap;
  /** The address the edge is bound to (`--host`): a request's Host may name it. */
  host: string;
  log: (line: string) => void;
  /** Log every request (`service action status ms`). */
  verbose: boolean;
}

const NO_BODY = Buffer.alloc(0);

function isFormPost(contentType: string | undefined): boolean {
  return contentType?.startsWith('application/x-www-form-urlencoded') === true;
}

/**
 * The edge's request handler: a request a web page may have sent (foreign Host or Origin, see guard.ts) is
 * refused with 403; `/_sandbox/…` goes to the admin API; an AWS request is identified, counted, refused when
 * a function's role does not allow it (iam.ts), perhaps failed by a fault rule, then served by the ECR emulator
 * (in the registry of the caller's account and Region, accounts.ts), by the Inspector coverage stand-in
 * (ListCoverage, which moto lacks) or proxied to moto (an SNS publish on its
 * way through feeds the email tap; an STS AssumeRole answer teaches the account directory its new key).
 */
export function createEdgeRouter(routes: EdgeRoutes): RequestHandler {
  const { admin, accounts, counters, faults, iam, emulator, coverage, proxy, emailTap, host, log, verbose } =
    routes;
  const motoGate = new MotoGate();
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = verbose ? performance.now() : 0;
    const url = req.url ?? '/';
    const refused = refusal(req.headers, host);
    if (refused !== undefined) {
      // Before the body is read: node drains what is left of it once the answer is sent.
      sendJson(res, 403, { __type: 'Forbidden', message: refused });
      log(`edge: refused ${req.method} ${url}: ${refused}`);
      return;
    }
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const method = req.method ?? 'GET';
    // A registry API request (a /v2/ path that is not a signed AWS call nor a form post) is identified without its
    // body, which is left unread on the socket for its route: a blob upload streams it to the blob store.
    const unread =
      emulator.registryApi !== undefined &&
      isRegistryApiPath(path) &&
      !isFormPost(req.headers['content-type'])
        ? identifyRequest(method, url, req.headers, NO_BODY)
        : undefined;
    const streamed = unread?.service === 'unknown';
    const body = streamed ? NO_BODY : await readBody(req);
    if (path.startsWith('/_sandbox/')) {
      await admin(req, res, path, queryAt === -1 ? '' : url.slice(queryAt + 1), body);
      if (verbose)
        log(`admin ${req.method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
      return;
    }
    const identity = streamed && unread ? unread : identifyRequest(method, url, req.headers, body);
    counters.record(identity.service, identity.action);
    const done = () => {
      if (verbose) {
        log(
          `${identity.service} ${identity.action} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`,
        );
      }
    };

    // The registry API (docker/podman/skopeo push and pull): its own Basic auth, served by the emulator. A signed
    // AWS call on a /v2/ path (API Gateway v2's REST routes) names its service and still goes to moto.
    if (emulator.registryApi && identity.service === 'unknown' && isRegistryApiPath(path)) {
      await serveRegistryApi(
        emulator.registryApi,
        req,
        res,
        url,
        streamed ? req : body,
        (principal, action, resource, region) => iam.authorizePrincipal(principal, action, resource, region),
        // Fault rules of ECR reach the registry API by the actions it is authorised as (oci/faults.ts).
        (actions) => faults.pick('ecr', actions),
      );
      done();
      return;
    }

    // AWS authorises a call before it can be throttled or fail inside the service.
    const denied = iam.check(identity, req.headers, url, body);
    if (denied) {
      sendBody(res, denied.status, denied.headers, denied.body);
      done();
      return;
    }

    const fault = faults.pick(identity.service, identity.action);
    if (fault) {
      const response = faultResponse(
        fault,
        identity,
        req.headers['content-type'],
        req.headers['x-amzn-query-mode'] === 'true',
      );
      sendBody(res, response.status, response.headers, response.body);
      done();
      return;
    }

    if (isEcrTarget(identity.target)) {
      const response = await emulator.serve(
        identity.action,
        body.toString('utf8'),
        accounts.callerOf(req.headers),
      );
      sendBody(res, response.status, response.headers, response.body);
      done();
      return;
    }

    if (identity.service === 'inspector2' && method === 'POST' && path === LIST_COVERAGE_PATH) {
      const response = await coverage.listCoverage(body.toString('utf8'), accounts.callerOf(req.headers));
      sendBody(res, response.status, response.headers, response.body);
      done();
      return;
    }

    const isSns = identity.service === 'sns';
    const tapPublish = isSns && isPublish(identity.action);
    if (isSns && changesSubscriptions(identity.action)) emailTap.invalidate();

    const send = () => proxy.send(method, url, req.headers, body);
    const upstream =
      identity.service === 'dynamodb'
        ? await motoGate.run(isExclusiveDynamoRequest(identity.service, identity.action), send)
        : await send();
    const status = upstream.statusCode ?? 502;
    if (status === 200 && identity.protocol === 'query' && isAssumeRole(identity.action)) {
      // moto's STS answer names the new key and the role's account: remember it for ECR requests.
      const responseBody = await readBody(upstream);
      const assumed = assumedRoleOf(responseBody.toString('utf8'));
      if (assumed) accounts.record(assumed.accessKeyId, assumed.owner);
      res.writeHead(status, downstreamHeaders(upstream.headers));
      res.end(responseBody);
      done();
      return;
    }
    if (tapPublish && status === 200) {
      // The whole answer is needed first: it holds the MessageIds the outbox records.
      const responseBody = await readBody(upstream);
      try {
        await emailTap.recordPublish(body.toString('utf8'), responseBody.toString('utf8'));
      } catch (error) {
        log(
          `outbox: could not record email for ${identity.action}: ${error instanceof Error ? error.message : error}`,
        );
      }
      res.writeHead(status, downstreamHeaders(upstream.headers));
      res.end(responseBody);
      done();
      return;
    }
    res.writeHead(status, downstreamHeaders(upstream.headers));
    if (verbose) res.once('finish', done);
    upstream.once('error', () => res.destroy());
    res.once('close', () => {
      if (!upstream.complete) upstream.destroy();
    });
    upstream.pipe(res);
  };
}
