/**
 * The sandbox admin API: JSON in and out, under `/_sandbox/` on the sandbox's one endpoint
 * (default `http://127.0.0.1:4566`). Errors answer `{"message": "..."}` with 400 (bad input, the message
 * names the field), 404 (unknown route), 405 (wrong method) or 415 (a POST without
 * `content-type: application/json`, which every POST but the stand-in webhook needs, even with no body).
 * The edge answers 403 before any of this to a request a web page may have sent: a `Host` that is not a
 * localhost name, an IP address or the bound address; an `Origin` other than the sandbox's own; a
 * `Sec-Fetch-Site` other than same-origin (see guard.ts).
 *
 * | Method & path | Body | Answer |
 * | --- | --- | --- |
 * | `GET /_sandbox/health` | | `{"status":"ok","services":{"ecr":"running","moto":"running"},"url","accountId","region","motoPid","uptimeSeconds","events":{"sent","failed","pending"}}`; 503 with `"status":"degraded"` when moto has died |
 * | `POST /_sandbox/reset` | | Empties every service (ECR emulator, moto), the outboxes, faults, IAM denials, request counters and findings; clock back to real time. `{"status":"reset"}` |
 * | `GET /_sandbox/requests` | | Requests made per service and action, e.g. `{"ecr":{"DescribeImages":3},"dynamodb":{"PutItem":2}}`. The service is the SigV4 signing name (`ecr`, `dynamodb`, `events`, `sns`, `sqs`, `ssm`, ...), the action comes from `X-Amz-Target` or the query protocol's `Action=`. Faulted requests count. Admin calls don't. |
 * | `DELETE /_sandbox/requests` | | Zeroes the counters. `{}` |
 * | `GET /_sandbox/clock` | | `{"now":"2025-01-31T12:00:00.000Z"}` |
 * | `POST /_sandbox/clock` | `{"now":"<ISO-8601>"}` or `{"advanceSeconds":N}` or `{"reset":true}` | `{"now":...}`. The clock keeps ticking from the new instant. It drives the ECR emulator (push times, scans, events), the outbox timestamps, the runtime's schedules and the functions' own time (`systemClock` inside an invocation); moto keeps real time. |
 * | `POST /_sandbox/faults` | `{"service":"ecr","action":"BatchDeleteImage","rate":0.2,"error":"ThrottlingException"}`; `"status":503` instead of (or with) `"error"`; `rate` 0..1 default 1; no `action` = every action of the service; optional `"message"`; optional `"nth":N` (fail only the Nth matching request, counted from the rule's creation) and/or `"times":N` (fail at most N requests, then stop firing; with `nth`: N requests from the Nth on), positive integers | 201 with the rule (and its `id`, `seen`, `fired`). A matching request fails with probability `rate`, in its service's protocol: JSON protocols `{"__type":error,"message"}` with status 400 (or `status`); query protocol (SNS, form-encoded SQS) `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`. Every rule a request matches counts it as seen, even when an earlier rule failed it. Rules of service `ecr` also match registry API (`/v2/`) requests by the ECR actions IAM authorises them as, answered in the registry's error format (oci/faults.ts). |
 * | `GET /_sandbox/faults` | | `{"faults":[rule, ...]}`, each rule with `seen` (matching requests since its creation) and `fired` (requests it failed) |
 * | `DELETE /_sandbox/faults` | | Removes every rule. `{"faults":[]}` |
 * | `DELETE /_sandbox/faults/{id}` | | Removes one rule; 404 if unknown. |
 * | `POST /_sandbox/findings` | a findings catalogue entry `{"repositoryName","imageTag"?,"imageDigest"?,"status"?,"findings":[{"name","severity",...}],"registryId"?,"region"?}` | What the next scan of that image reports, in the registry of `registryId` and `region` (default the sandbox's account and Region). 201 `{"status":"stored"}`; 400 naming the bad field. |
 * | `GET /_sandbox/findings` | | `{"findings":[entry, ...]}` stored since the last reset |
 * | `POST /_sandbox/inspector/in-use` | `{"repositoryName","imageDigest","inUseCount"?,"lastInUseAt"?,"registryId"?,"region"?}` | What Amazon Inspector's coverage (`ListCoverage`, answered by the sandbox from the ECR emulator's images of repositories an ENHANCED scanning rule covers) says of that image: `resourceMetadata.ecrImage.inUseCount` (default 0) and `lastInUseAt` (ISO-8601). Registry defaults to the sandbox's account and Region. 201 with the record; 400 naming the bad field. Reset forgets them. |
 * | `POST /_sandbox/lifecycle/run` | `{"repositoryName"?,"registryId"?,"region"?}` (`accountId` is a synonym of `registryId`) | Applies lifecycle policies now, as ECR's daily run does, with the product's engine and the sandbox clock: expired images are deleted (`ECR Image Action` DELETE events, as BatchDeleteImage emits), transitioned ones archived (UPDATE_STORAGE_CLASS events), referrers follow their subject, `lastEvaluatedAt` is set. Default: every repository with a policy in every registry; a registry or name narrows it (400 when a named repository has no policy there). `{"repositories":[{"registryId","repositoryName","expired":[digest...],"transitioned":[digest...]}]}` |
 * | `GET /_sandbox/outbox/email` | | `{"messages":[{"to","protocol":"email"|"email-json","topicArn","subscriptionArn","subject","message","messageId","messageAttributes","timestamp"}]}`, newest last: every SNS publish to a topic with email/email-json subscriptions, per recipient, with the body that protocol gets (`MessageStructure: json` honoured; email-json gets the JSON notification envelope; subscription filter policies applied). |
 * | `DELETE /_sandbox/outbox/email` | | Clears it. |
 * | `GET /_sandbox/outbox/slack` | | `{"messages":[{"timestamp","payload"}]}`, newest last: every accepted post to the stand-in webhook. |
 * | `DELETE /_sandbox/outbox/slack` | | Clears it. |
 * | `POST /_sandbox/webhooks/slack` | a Slack incoming-webhook payload (JSON, or form `payload=<json>`) | Like Slack: `text/plain` `ok`, or 400 with `invalid_payload`, `no_text`, `invalid_blocks` or `msg_too_long`. Use this URL as the Slack webhook URL. |
 * | `GET /_sandbox/functions` | | `{"functions":[{"name","deployedName","handler","events"}],"resources":{logicalId:{ref,arn?,url?}},"stats":{fn:{invocations,errors,retries,failuresSentToDestination}},"history":[{"function","trigger","ok","result"|"error","at"}]}` from the local Lambda runtime; 404 when the sandbox runs without it. |
 * | `POST /_sandbox/invoke` | `{"function":"onImagePushed","event":{...}?,"async":false}` | Invoke a function of serverless.yml in-process: `{"ok","result"|"error"}`. No `event` for a scheduled function = its scheduled event. `"async":true` queues it like an async Lambda invoke (retries, onFailure) and answers at once. 400 for an unknown function. |
 * | `POST /_sandbox/idle` | `{"timeoutMs":10000}`? | Waits until every function's queue is empty and nothing runs: `{"idle":true}`, or 504 `{"idle":false}` after the timeout. |
 * | `POST /_sandbox/iam/principals` | `{"accessKeyId","principalArn","accountId","function","policies":[{"where","document"}]}` | The local Lambda runtime registers each function's credentials and execution role here (runtime/iam.ts). From then on a request signed with that key is held to the role (action and resource ARN, Allow/Deny, wildcards, conditions) and refused as AWS does: AccessDeniedException (SNS AuthorizationError, SQS AccessDenied) naming principal, action and resource. Requests signed with any other key are not checked. 201 `{"accessKeyId","statements"}`; 400 naming the bad field or policy statement. Reset keeps registrations (the runtime re-registers its own). |
 * | `GET /_sandbox/iam/principals` | | `{"principals":[{"accessKeyId","principalArn","accountId","function","statements"}]}` |
 * | `DELETE /_sandbox/iam/principals` | `{"accessKeyIds":[...]}` | Forget them. `{"removed":N}` |
 * | `GET /_sandbox/iam/denials` | | `{"denials":[{"at","function","principalArn","action","resource","message"}]}`, newest last (the last 500). |
 * | `DELETE /_sandbox/iam/denials` | | Clears them. |
 * | `GET /_sandbox/ecr/blob?repository=R&digest=D&registry=A&region=G` | | The blob's bytes (`application/octet-stream`), or 404. The URLs `GetDownloadUrlForLayer` hands out point here; `registry` (account id) and `region` name another registry than the sandbox's (its own URLs leave them out). |
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { BlobDownload, EcrEmulator, RegistryRef } from '../contracts.ts';
import { BLOB_ROUTE } from '../contracts.ts';
import type { InspectorCoverage } from '../inspector/coverage.ts';
import type { LambdaRuntime } from '../runtime/index.ts';
import type { Outbox } from '../taps/outbox.ts';
import { SLACK_WEBHOOK_ROUTE, type SlackPost, validateSlackPost } from '../taps/slack.ts';
import type { EmailDelivery } from '../taps/sns-email.ts';
import { AdminInputError, parseJsonBody } from './admin-input.ts';
import { parseClockCommand, type SandboxClock } from './clock.ts';
import type { RequestCounters } from './counters.ts';
import { type FaultRegistry, parseFaultRule } from './faults.ts';
import { nonJsonRefusal } from './guard.ts';
import { sendJson } from './http.ts';
import type { IamEnforcer } from './iam.ts';

/** What the admin API works on. */
export interface AdminContext {
  clock: SandboxClock;
  counters: RequestCounters;
  faults: FaultRegistry;
  iam: IamEnforcer;
  emailOutbox: Outbox<EmailDelivery>;
  slackOutbox: Outbox<SlackPost>;
  findings: Outbox<unknown>;
  emulator: EcrEmulator;
  /** Inspector's coverage stand-in: its in-use data is set here. */
  coverage: InspectorCoverage;
  /** The sandbox's own account and Region: the registry admin calls act on unless they name another. */
  home: RegistryRef;
  /** The local Lambda runtime, if the sandbox runs one (a function: reset replaces it). */
  runtime: () => LambdaRuntime | undefined;
  health(): { healthy: boolean; body: Record<string, unknown> };
  reset(): Promise<void>;
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  query: URLSearchParams,
) => Promise<void> | void;

/** Route table: path → method → handler. */
function routes(ctx: AdminContext): Map<string, Record<string, Handler>> {
  const clockBody = () => ({ now: ctx.clock.now().toISOString() });
  return new Map<string, Record<string, Handler>>([
    [
      '/_sandbox/health',
      {
        GET: (_req, res) => {
          const { healthy, body } = ctx.health();
          sendJson(res, healthy ? 200 : 503, body);
        },
      },
    ],
    [
      '/_sandbox/reset',
      {
        POST: async (_req, res) => {
          await ctx.reset();
          sendJson(res, 200, { status: 'reset' });
        },
      },
    ],
    [
      '/_sandbox/requests',
      {
        GET: (_req, res) => sendJson(res, 200, ctx.counters.snapshot()),
        DELETE: (_req, res) => {
          ctx.counters.clear();
          sendJson(res, 200, {});
        },
      },
    ],
    [
      '/_sandbox/clock',
      {
        GET: (_req, res) => sendJson(res, 200, clockBody()),
        POST: (_req, res, body) => {
          const command = parseClockCommand(parseJsonBody(body));
          if (command.kind === 'set') ctx.clock.set(command.now);
          else if (command.kind === 'advance') ctx.clock.advance(command.seconds);
          else ctx.clock.reset();
          sendJson(res, 200, clockBody());
        },
      },
    ],
    [
      '/_sandbox/faults',
      {
        GET: (_req, res) => sendJson(res, 200, { faults: ctx.faults.list() }),
        POST: (_req, res, body) => {
          const rule = ctx.faults.add(parseFaultRule(parseJsonBody(body)));
          sendJson(res, 201, rule);
        },
        DELETE: (_req, res) => {
          ctx.faults.clear();
          sendJson(res, 200, { faults: [] });
        },
      },
    ],
    [
      '/_sandbox/iam/principals',
      {
        GET: (_req, res) => sendJson(res, 200, { principals: ctx.iam.list() }),
        POST: (_req, res, body) => sendJson(res, 201, ctx.iam.register(parseJsonBody(body))),
        DELETE: (_req, res, body) => sendJson(res, 200, { removed: ctx.iam.unregister(parseJsonBody(body)) }),
      },
    ],
    [
      '/_sandbox/iam/denials',
      {
        GET: (_req, res) => sendJson(res, 200, { denials: ctx.iam.listDenials() }),
        DELETE: (_req, res) => {
          ctx.iam.clearDenials();
          sendJson(res, 200, { denials: [] });
        },
      },
    ],
    [
      '/_sandbox/findings',
      {
        GET: (_req, res) => sendJson(res, 200, { findings: ctx.findings.list() }),
        POST: (_req, res, body) => {
          const entry = parseJsonBody(body);
          const raw = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
          const registry = registryParameters(ctx, raw.registryId, raw.region, '"registryId"', '"region"');
          try {
            ctx.emulator.setFindings(entry, registry);
          } catch (error) {
            throw new AdminInputError(error instanceof Error ? error.message : String(error));
          }
          ctx.findings.add(entry);
          sendJson(res, 201, { status: 'stored' });
        },
      },
    ],
    [
      '/_sandbox/lifecycle/run',
      {
        POST: (_req, res, body) => {
          const input = (parseJsonBody(body) ?? {}) as Record<string, unknown>;
          if (typeof input !== 'object' || Array.isArray(input)) {
            throw new AdminInputError('the body must be a JSON object');
          }
          const { repositoryName, registryId, accountId, region } = input;
          if (repositoryName !== undefined && (typeof repositoryName !== 'string' || repositoryName === '')) {
            throw new AdminInputError('"repositoryName" must be a repository name');
          }
          const account = registryId ?? accountId;
          const registry = registryParameters(ctx, account, region, '"registryId"', '"region"');
          const repositories = ctx.emulator.runLifecycle({
            ...(repositoryName === undefined ? {} : { repositoryName }),
            ...(registry === undefined ? {} : { registry }),
          });
          if (repositoryName !== undefined && repositories.length === 0) {
            throw new AdminInputError(`no repository "${repositoryName}" with a lifecycle policy to run`);
          }
          sendJson(res, 200, { repositories });
        },
      },
    ],
    [
      '/_sandbox/inspector/in-use',
      {
        POST: (_req, res, body) => sendJson(res, 201, ctx.coverage.setInUse(parseJsonBody(body))),
      },
    ],
    [
      '/_sandbox/functions',
      {
        GET: (_req, res) => {
          const runtime = requireRuntime(ctx);
          sendJson(res, 200, {
            functions: runtime.functions,
            resources: runtime.resources,
            stats: runtime.stats(),
            history: runtime.history(),
          });
        },
      },
    ],
    [
      '/_sandbox/invoke',
      {
        POST: async (_req, res, body) => {
          const runtime = requireRuntime(ctx);
          const input = parseJsonBody(body) as
            | { function?: unknown; event?: unknown; async?: unknown }
            | undefined;
          if (typeof input?.function !== 'string' || input.function === '') {
            throw new AdminInputError('"function" must name a function of serverless.yml');
          }
          const known = runtime.functions.some(
            (f) => f.name === input.function || f.deployedName === input.function,
          );
          if (!known) {
            throw new AdminInputError(
              `unknown function "${input.function}" (known: ${runtime.functions.map((f) => f.name).join(', ')})`,
            );
          }
          const outcome = await runtime.invoke(
            input.function,
            input.event,
            input.async === true ? 'Event' : 'RequestResponse',
          );
          sendJson(res, 200, outcome);
        },
      },
    ],
    [
      '/_sandbox/idle',
      {
        POST: async (_req, res, body) => {
          const runtime = requireRuntime(ctx);
          const input = parseJsonBody(body) as { timeoutMs?: unknown } | undefined;
          const timeoutMs = input?.timeoutMs ?? 10_000;
          if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
            throw new AdminInputError('"timeoutMs" must be a positive number of milliseconds');
          }
          try {
            await runtime.idle(timeoutMs);
            sendJson(res, 200, { idle: true });
          } catch {
            sendJson(res, 504, { idle: false, message: `still busy after ${timeoutMs} ms` });
          }
        },
      },
    ],
    [
      '/_sandbox/outbox/email',
      {
        GET: (_req, res) => sendJson(res, 200, { messages: ctx.emailOutbox.list() }),
        DELETE: (_req, res) => {
          ctx.emailOutbox.clear();
          sendJson(res, 200, { messages: [] });
        },
      },
    ],
    [
      '/_sandbox/outbox/slack',
      {
        GET: (_req, res) => sendJson(res, 200, { messages: ctx.slackOutbox.list() }),
        DELETE: (_req, res) => {
          ctx.slackOutbox.clear();
          sendJson(res, 200, { messages: [] });
        },
      },
    ],
    [
      SLACK_WEBHOOK_ROUTE,
      {
        POST: (req, res, body) => {
          const verdict = validateSlackPost(body.toString('utf8'), req.headers['content-type']);
          const text = verdict.ok ? 'ok' : verdict.error;
          if (verdict.ok)
            ctx.slackOutbox.add({ timestamp: ctx.clock.now().toISOString(), payload: verdict.payload });
          res.writeHead(verdict.ok ? 200 : 400, {
            'content-type': 'text/plain; charset=utf-8',
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        },
      },
    ],
    [
      BLOB_ROUTE,
      {
        GET: (_req, res, _body, query) => {
          const repository = query.get('repository');
          const digest = query.get('digest');
          if (!repository || !digest) {
            throw new AdminInputError('query parameters "repository" and "digest" are required');
          }
          const registry = registryParameters(
            ctx,
            query.get('registry') ?? undefined,
            query.get('region') ?? undefined,
            'query parameter "registry"',
            'query parameter "region"',
          );
          // Streamed from the blob store (a file with --state-dir), never read whole.
          const blob = ctx.emulator.openBlob
            ? ctx.emulator.openBlob(repository, digest, registry)
            : wholeBlob(ctx.emulator.readBlob(repository, digest, registry));
          if (!blob) {
            sendJson(res, 404, { message: `blob ${digest} not found in repository ${repository}` });
            return;
          }
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-length': blob.size,
            'docker-content-digest': digest,
          });
          const bytes = blob.open();
          if (Buffer.isBuffer(bytes)) res.end(bytes);
          else pipeline(bytes, res).catch(() => undefined);
        },
      },
    ],
  ]);
}

/**
 * The registry an admin call names with an account id and/or a Region (the other defaulting to the sandbox's),
 * or undefined for the sandbox's own.
 * @throws AdminInputError naming the parameter that is wrong
 */
function registryParameters(
  ctx: AdminContext,
  accountId: unknown,
  region: unknown,
  accountField: string,
  regionField: string,
): RegistryRef | undefined {
  if (accountId === undefined && region === undefined) return undefined;
  if (accountId !== undefined && (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId))) {
    throw new AdminInputError(`${accountField} must be a 12-digit account id`);
  }
  if (region !== undefined && (typeof region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))) {
    throw new AdminInputError(`${regionField} must be a Region such as "us-east-1"`);
  }
  return { accountId: accountId ?? ctx.home.accountId, region: region ?? ctx.home.region };
}

/** Thrown as a 404 when the runtime routes are used on a sandbox started without it. */
class NoRuntimeError extends AdminInputError {}

function requireRuntime(ctx: AdminContext): LambdaRuntime {
  const runtime = ctx.runtime();
  if (!runtime) throw new NoRuntimeError('this sandbox runs no Lambda runtime (started with --no-runtime)');
  return runtime;
}

/** Answers one admin request: `path` and `query` split from its URL, `body` already read. */
export type AdminHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  body: Buffer,
) => Promise<void>;

/** Build the admin request handler. */
export function createAdminHandler(ctx: AdminContext): AdminHandler {
  const table = routes(ctx);
  return async (req, res, path, query, body) => {
    const method = req.method ?? 'GET';
    let methods = table.get(path);
    let handler: Handler | undefined;
    if (!methods && path.startsWith('/_sandbox/faults/')) {
      const id = decodeURIComponent(path.slice('/_sandbox/faults/'.length));
      methods = {
        DELETE: (_req, response) => {
          if (ctx.faults.remove(id)) sendJson(response, 200, { faults: ctx.faults.list() });
          else sendJson(response, 404, { message: `no fault rule with id ${id}` });
        },
      };
    }
    if (!methods) {
      sendJson(res, 404, { message: `no sandbox admin route ${path} (see GET /_sandbox/health)` });
      return;
    }
    handler = methods[method === 'HEAD' ? 'GET' : method];
    if (!handler) {
      sendJson(
        res,
        405,
        { message: `${method} is not allowed on ${path}` },
        { allow: Object.keys(methods).join(', ') },
      );
      return;
    }
    // The stand-in webhook takes what Slack takes (form posts too); the edge's Origin and Host checks guard it.
    const notJson =
      path === SLACK_WEBHOOK_ROUTE ? undefined : nonJsonRefusal(method, path, req.headers['content-type']);
    if (notJson !== undefined) {
      sendJson(res, 415, { message: notJson });
      return;
    }
    try {
      await handler(req, res, body, new URLSearchParams(query));
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof NoRuntimeError) sendJson(res, 404, { message: error.message });
      else if (error instanceof AdminInputError) sendJson(res, 400, { message: error.message });
      else sendJson(res, 500, { message: error instanceof Error ? error.message : String(error) });
    }
  };
}

/** A blob read whole, as a {@link BlobDownload} (emulators without `openBlob`). */
function wholeBlob(bytes: Buffer | undefined): BlobDownload | undefined {
  return bytes === undefined ? undefined : { size: bytes.length, open: () => bytes };
}
