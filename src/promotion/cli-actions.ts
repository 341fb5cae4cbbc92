/**
 * What the promotion commands do (declared in cli.ts): the promotion use cases run directly against the
 * configured account (or the sandbox), so they work before anything is deployed.
 */
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfigOrThrow } from '../config/load-or-report.ts';
import type { SentinelConfig } from '../config/schema.ts';
import { awsClientBase, commandTableName, EXIT, runCommand, UsageError, writeJson } from '../shared/cli.ts';
import { systemClock } from '../shared/clock.ts';
import {
  IMAGE_DIGEST_EXPECTED,
  IMAGE_DIGEST_MAX_LENGTH,
  IMAGE_DIGEST_PATTERN,
  IMAGE_TAG_PATTERN,
  REPOSITORY_NAME_PATTERN,
} from '../shared/ecr/names.ts';
import { dynamoPromotions } from './adapters/dynamodb-promotions.ts';
import type { ChangeOptions, CommonOptions, DecisionOptions, ListOptions, PromoteOptions } from './cli.ts';
import { formatResult, promotionsTable, statusRows, statusTable } from './cli-format.ts';
import { ENV_FILTER_WINDOW, LIMIT_MAX } from './cli-help.ts';
import type { ComposedPromotions } from './compose.ts';
import { PROMOTION_ID_PATTERN, type Promotion } from './domain/promotion.ts';
import { PromotionConflictError } from './errors.ts';
import type { PromotionStore } from './ports.ts';
import { PromotionRequestError, type PromotionResult } from './promote.ts';

/** Longest application name (the configuration's `applications[].name`). */
const APP_MAX_LENGTH = 200;
/** Longest principal name accepted for --by (an assumed-role session ARN fits easily). */
const PRINCIPAL_MAX_LENGTH = 512;
/** Longest --reason kept on the record. */
const REASON_MAX_LENGTH = 1000;

/** An SNS topic ARN (topic names: 1–256 of letters, digits, `_`, `-`; FIFO topics end in `.fifo`). */
const SNS_TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

/** `promote APP VERSION ENV`: gate, approval where ENV needs it, the copy; with --wait, until decided. */
export function promoteCommand(
  app: string,
  version: string,
  env: string,
  options: PromoteOptions,
): Promise<void> {
  return run(options, async () => {
    const problem =
      appProblem('APP', app) ??
      (IMAGE_TAG_PATTERN.test(version)
        ? undefined
        : `VERSION: "${version}" is not an image tag ([a-zA-Z0-9_] then up to 127 of [a-zA-Z0-9._-])`) ??
      (options.by === undefined ? undefined : principalProblem('--by', options.by)) ??
      (options.wait === undefined || /^\d{1,6}$/.test(options.wait)
        ? undefined
        : `--wait: expected a whole number of seconds, got "${options.wait}"`);
    if (problem) throw new UsageError(problem);
    const config = await loadConfig(options);
    const envProblem =
      environmentProblem('ENV', env, config) ??
      (options.from === undefined ? undefined : environmentProblem('--from', options.from, config));
    if (envProblem) throw new UsageError(envProblem);
    return withPromotions(options, config, async ({ useCases, store }, caller) => {
      const by = options.by?.trim() ?? caller.arn;
      const result = await useCases.promote({ app, version, to: env, from: options.from, by });
      if (options.wait === undefined || result.outcome !== 'pending-approval') {
        printResult(result, options);
        return exitOf(result);
      }
      if (!options.json) process.stdout.write(formatResult(result));
      const settled = await waitForDecision(store, result.promotion, Number(options.wait) * 1000, options);
      printResult(settled, options);
      // Waiting for an image that never came: rejected or expired is a "no", still pending is a timeout.
      if (settled.outcome === 'rejected') return EXIT.failed;
      return settled.outcome === 'pending-approval' ? EXIT.usage : exitOf(settled);
    });
  });
}

/** `approve ID --by NAME`: the second person's yes, then the copy. */
export function approveCommand(id: string, options: DecisionOptions): Promise<void> {
  return run(options, async () => {
    const problem = idProblem(id) ?? principalProblem('--by', options.by);
    if (problem) throw new UsageError(problem);
    const config = await loadConfig(options);
    return withPromotions(options, config, async ({ useCases }) => {
      const result = await useCases.approve(id.toUpperCase(), options.by.trim());
      printResult(result, options);
      return exitOf(result);
    });
  });
}

/** `reject ID --by NAME --reason TEXT`. */
export function rejectCommand(id: string, options: DecisionOptions): Promise<void> {
  return run(options, async () => {
    const reason = options.reason?.trim() ?? '';
    const problem =
      idProblem(id) ??
      principalProblem('--by', options.by) ??
      (reason.length === 0 || reason.length > REASON_MAX_LENGTH
        ? `--reason: expected 1 to ${REASON_MAX_LENGTH} characters`
        : undefined);
    if (problem) throw new UsageError(problem);
    const config = await loadConfig(options);
    return withPromotions(options, config, async ({ useCases }) => {
      const result = await useCases.reject(id.toUpperCase(), options.by.trim(), reason);
      printResult(result, options);
      return exitOf(result);
    });
  });
}

/** `promotions`: the history, newest first. */
export function promotionsCommand(options: ListOptions): Promise<void> {
  return run(options, async () => {
    const problem =
      (options.app === undefined ? undefined : appProblem('--app', options.app)) ??
      (options.digest === undefined ? undefined : digestProblem(options.digest)) ??
      (/^\d+$/.test(options.limit) && Number(options.limit) >= 1 && Number(options.limit) <= LIMIT_MAX
        ? undefined
        : `--limit: expected a whole number from 1 to ${LIMIT_MAX}, got "${options.limit}"`);
    if (problem) throw new UsageError(problem);
    const config = await loadConfig(options);
    const envProblem =
      options.env === undefined ? undefined : environmentProblem('--env', options.env, config);
    if (envProblem) throw new UsageError(envProblem);
    const limit = Number(options.limit);
    const found = await withStore(options, (store) =>
      store.list({
        ...(options.app === undefined ? {} : { app: options.app }),
        ...(options.digest === undefined ? {} : { digest: options.digest }),
        limit: options.env === undefined ? limit : ENV_FILTER_WINDOW,
      }),
    );
    const listed = (
      options.env === undefined ? found : found.filter((p) => p.to.environment === options.env)
    ).slice(0, limit);
    if (options.json) writeJson(listed);
    else process.stdout.write(promotionsTable(listed));
    return EXIT.ok;
  });
}

/** `status APP`: what runs where. */
export function statusCommand(app: string, options: CommonOptions): Promise<void> {
  return run(options, async () => {
    const problem = appProblem('APP', app);
    if (problem) throw new UsageError(problem);
    const config = await loadConfig(options);
    const releases = await withStore(options, (store) => store.releases(app));
    const rows = statusRows(config, app, releases);
    if (options.json) writeJson({ app, environments: rows });
    else process.stdout.write(statusTable(app, rows, config.environments[0]?.name));
    return EXIT.ok;
  });
}

/** Run a command body; what it throws is reported the one way (src/shared/cli.ts runCommand). */
function run(options: CommonOptions, body: () => Promise<number>): Promise<void> {
  return runCommand(options, body, (error) => describeError(error, options));
}

function describeError(
  error: unknown,
  options: CommonOptions,
): { type: string; message: string; exit: number } | undefined {
  if (error instanceof PromotionRequestError)
    return { type: error.name, message: error.message, exit: EXIT.usage };
  if (error instanceof PromotionConflictError)
    return { type: error.name, message: error.message, exit: EXIT.failed };
  if (error instanceof ResourceNotFoundException) {
    return {
      type: error.name,
      message: `table ${tableName(options)} not found (${error.message}): deploy stage ${options.stage} or name the table with --table`,
      exit: EXIT.usage,
    };
  }
  return undefined;
}

function loadConfig(options: CommonOptions): Promise<SentinelConfig> {
  return loadConfigOrThrow(options.config);
}

const tableName = commandTableName;

/** The use cases wired to AWS for one command, with the caller's identity; every client closed after. */
async function withPromotions(
  options: ChangeOptions,
  config: SentinelConfig,
  body: (composed: ComposedPromotions, caller: { accountId: string; arn: string }) => Promise<number>,
): Promise<number> {
  const topicProblem = alertsTopicProblem(options);
  if (topicProblem) throw new UsageError(topicProblem);
  // Loaded on use: the SDK clients of a promotion (STS, EventBridge, SNS, ECR) cost nothing to listings.
  const { callerIdentity, composePromotions } = await import('./compose.ts');
  const base = await awsClientBase(options);
  const caller = await callerIdentity(base);
  const composed = composePromotions({
    config,
    base,
    home: { accountId: caller.accountId, region: base.region },
    tableName: tableName(options),
    ...(options.alertsTopic ? { alertsTopicArn: options.alertsTopic } : {}),
    clock: systemClock,
    warn: (message) => process.stderr.write(`ecr-sentinel: warning: ${message}\n`),
  });
  try {
    return await body(composed, caller);
  } finally {
    composed.destroy();
  }
}

/** The promotion records alone (listings need no registry or identity). */
async function withStore<T>(options: CommonOptions, body: (store: PromotionStore) => Promise<T>): Promise<T> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(await awsClientBase(options)));
  try {
    return await body(dynamoPromotions(doc, tableName(options)));
  } finally {
    doc.destroy();
  }
}

// ── validation: each message names the argument or option ──────────────────────────────────────────────

function appProblem(name: string, app: string): string | undefined {
  return app.length <= APP_MAX_LENGTH && REPOSITORY_NAME_PATTERN.test(app)
    ? undefined
    : `${name}: "${app}" is not a valid application name (an ECR repository name part: lower case, digits, . _ - /)`;
}

function environmentProblem(name: string, env: string, config: SentinelConfig): string | undefined {
  const names = config.environments.map((e) => e.name);
  return names.includes(env)
    ? undefined
    : `${name}: unknown environment "${env}" (environments: ${names.join(', ')})`;
}

function principalProblem(name: string, by: string): string | undefined {
  const trimmed = by.trim();
  if (trimmed.length === 0 || trimmed.length > PRINCIPAL_MAX_LENGTH)
    return `${name}: expected a name of 1 to ${PRINCIPAL_MAX_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return `${name}: control characters are not allowed`;
  return undefined;
}

function alertsTopicProblem(options: ChangeOptions): string | undefined {
  return options.alertsTopic === undefined || SNS_TOPIC_ARN_PATTERN.test(options.alertsTopic)
    ? undefined
    : `--alerts-topic: expected an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ecr-sentinel-dev-alerts, got "${options.alertsTopic}"`;
}

function idProblem(id: string): string | undefined {
  return PROMOTION_ID_PATTERN.test(id.toUpperCase())
    ? undefined
    : `ID: "${id}" is not a promotion id (26 characters, as promote and promotions print it)`;
}

function digestProblem(digest: string): string | undefined {
  return digest.length <= IMAGE_DIGEST_MAX_LENGTH && IMAGE_DIGEST_PATTERN.test(digest)
    ? undefined
    : `--digest: ${IMAGE_DIGEST_EXPECTED}, got "${digest}"`;
}

// ── waiting ──────────────────────────────────────────────────────────────────────────────────────────────

/** How a promotion that ended while someone waited for it ended, as a result. */
const SETTLED: Partial<Record<Promotion['status'], PromotionResult['outcome']>> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  REJECTED: 'rejected',
  EXPIRED: 'rejected',
};

/**
 * Poll a pending promotion (2 s, growing to 15 s between reads) until it completes, fails, is rejected or
 * expires, or `timeoutMs` passes; one line on stderr per status it moves through. Still pending at the end:
 * outcome `pending-approval`.
 */
async function waitForDecision(
  store: PromotionStore,
  pending: Promotion,
  timeoutMs: number,
  options: CommonOptions,
): Promise<PromotionResult> {
  const started = Date.now();
  let current = pending;
  let delay = 2000;
  while (Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, timeoutMs - (Date.now() - started))));
    delay = Math.min(delay * 1.5, 15_000);
    const read = await store.get(pending.id);
    if (!read) break;
    if (read.status !== current.status && !options.json) {
      process.stderr.write(
        `promotion ${read.id}: ${read.status} after ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
    }
    current = read;
    const outcome = SETTLED[current.status];
    if (outcome) return { promotion: current, outcome, existing: true };
  }
  if (!options.json) {
    process.stderr.write(
      `promotion ${current.id}: still ${current.status} after ${Math.round(timeoutMs / 1000)} s (--wait)\n`,
    );
  }
  return { promotion: current, outcome: 'pending-approval', existing: true };
}

// ── results ────────────────────────────────────────────────────────────────────────────────────────────

/** 0 done or pending, 1 refused or a conflict, 2 a failed copy (an AWS error: retry copies what is missing). */
function exitOf(result: PromotionResult): number {
  switch (result.outcome) {
    case 'completed':
    case 'pending-approval':
    case 'rejected':
      return EXIT.ok;
    case 'refused':
      return EXIT.failed;
    case 'failed':
      return result.promotion.errorType === 'PromotionConflictError' ? EXIT.failed : EXIT.usage;
  }
}

function printResult(result: PromotionResult, options: CommonOptions): void {
  if (options.json) writeJson(result.promotion);
  else process.stdout.write(formatResult(result));
}
