/**
 * The parts of serverless.yml the local runtime uses, validated with zod and resolved (variables, intrinsics)
 * into a model: functions with their environment, destinations and events, and the declared resources.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolveIntrinsics } from './intrinsics.ts';
import { normalizedFunctionName, ResourceRegistry } from './resources.ts';
import { functionRole, type RoleModel } from './roles.ts';
import { parseSchedule, type Schedule } from './schedule.ts';
import {
  documentSchema,
  eventBridgeSchema,
  mergeResources,
  scheduleSchema,
  snsSchema,
  sqsObjectSchema,
  validate,
} from './serverless-schema.ts';
import { parseCloudFormationYaml, resolveServerlessVariables, ServerlessConfigError } from './template.ts';

export interface LoadOptions {
  serverlessFile: string;
  stage: string;
  region: string;
  accountId: string;
  endpoint: string;
  /** Variables for `${env:…}`, also the process environment `${file(x.js)}` functions run with (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where `${file(…)}` paths are resolved (default: the directory of serverlessFile, else the current one). */
  serviceDir?: string;
}

export type EventModel =
  | {
      kind: 'eventBridge';
      index: number;
      pattern: Record<string, unknown>;
      eventBus?: string;
      ruleName: string;
    }
  | {
      kind: 'schedule';
      index: number;
      expression: string;
      schedule: Schedule;
      enabled: boolean;
      input?: unknown;
      ruleName: string;
    }
  | {
      kind: 'sns';
      index: number;
      topicArn: string;
      topicName: string;
      filterPolicy?: Record<string, unknown>;
      filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
    }
  | {
      kind: 'sqs';
      index: number;
      queueArn: string;
      queueLogicalId?: string;
      batchSize: number;
      reportBatchItemFailures: boolean;
      enabled: boolean;
    };

export interface DestinationModel {
  type: 'sqs' | 'sns';
  arn: string;
}

export interface FunctionModel {
  /** Key under `functions:` in serverless.yml. */
  key: string;
  /** Deployed name, `${service}-${stage}-${key}` unless `name` is set. */
  name: string;
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  maximumRetryAttempts: number;
  /** `reservedConcurrency`: at most this many invocations at once (undefined: the runtime's own limit). */
  reservedConcurrency?: number;
  onFailure?: DestinationModel;
  events: EventModel[];
  arn: string;
  /** The execution role (what the sandbox's IAM check holds the function's calls to). */
  role: RoleModel;
}

export interface ServerlessModel {
  service: string;
  stage: string;
  region: string;
  accountId: string;
  functions: FunctionModel[];
  registry: ResourceRegistry;
}

/** EventBridge rule names are at most 64 characters. */
function ruleName(base: string): string {
  if (base.length <= 64) return base;
  let hash = 0;
  for (const char of base) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `${base.slice(0, 55)}-${hash.toString(36).slice(0, 8)}`;
}

function stringify(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ServerlessConfigError(
    `serverless.yml: ${at}: expected a string value, got ${JSON.stringify(value)}`,
  );
}

/** Read, validate and resolve serverless.yml. */
export function loadServerless(options: LoadOptions): ServerlessModel {
  let text: string;
  try {
    text = readFileSync(options.serverlessFile, 'utf8');
  } catch (error) {
    throw new ServerlessConfigError(`cannot read ${options.serverlessFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const { serverlessFile, ...rest } = options;
  return buildModel(parseCloudFormationYaml(text), { serviceDir: dirname(serverlessFile), ...rest });
}

/** Validate and resolve an already parsed serverless.yml document. */
export function buildModel(parsed: unknown, options: Omit<LoadOptions, 'serverlessFile'>): ServerlessModel {
  const resolved = resolveServerlessVariables(parsed, {
    stage: options.stage,
    region: options.region,
    accountId: options.accountId,
    env: options.env ?? process.env,
    ...(options.serviceDir === undefined ? {} : { serviceDir: options.serviceDir }),
  });
  const document = validate(documentSchema, mergeResources(resolved), '');
  const service = typeof document.service === 'string' ? document.service : document.service.name;
  const { stage, region, accountId } = options;
  const functionEntries = Object.entries(document.functions ?? {});
  const deployedName = (key: string, fn: { name?: string | undefined }) =>
    fn.name ?? `${service}-${stage}-${key}`;
  const functionLogicalIds = new Map(
    functionEntries.map(([key, fn]) => [
      `${normalizedFunctionName(key)}LambdaFunction`,
      deployedName(key, fn),
    ]),
  );
  const registry = new ResourceRegistry(document.resources?.Resources, {
    service,
    stage,
    region,
    accountId,
    endpoint: options.endpoint,
    functionLogicalIds,
  });
  const resolve = (value: unknown, at: string) => resolveIntrinsics(value, registry, `serverless.yml: ${at}`);

  const providerEnvironment: Record<string, string> = {};
  for (const [name, value] of Object.entries(document.provider.environment ?? {})) {
    const at = `provider.environment.${name}`;
    providerEnvironment[name] = stringify(resolve(value, at), at);
  }

  const queueByArn = new Map<string, string>();
  for (const [logicalId, declaration] of registry.declarations) {
    if (declaration.kind === 'queue') queueByArn.set(registry.physical(logicalId).arn as string, logicalId);
  }

  const functions: FunctionModel[] = functionEntries.map(([key, fn]) => {
    const at = `functions.${key}`;
    const name = deployedName(key, fn);
    const environment: Record<string, string> = { ...providerEnvironment };
    for (const [variable, value] of Object.entries(fn.environment ?? {})) {
      const where = `${at}.environment.${variable}`;
      environment[variable] = stringify(resolve(value, where), where);
    }
    let onFailure: DestinationModel | undefined;
    const failure = fn.destinations?.onFailure;
    if (failure !== undefined) {
      const where = `${at}.destinations.onFailure`;
      const arn = stringify(resolve(typeof failure === 'string' ? failure : failure.arn, where), where);
      const type = typeof failure === 'string' ? undefined : failure.type;
      const inferred = arn.startsWith('arn:aws:sqs:')
        ? 'sqs'
        : arn.startsWith('arn:aws:sns:')
          ? 'sns'
          : undefined;
      const kind = type ?? inferred;
      if (kind !== 'sqs' && kind !== 'sns') {
        throw new ServerlessConfigError(
          `serverless.yml: ${where}: only sqs and sns destinations are supported locally (got ${kind ?? arn})`,
        );
      }
      onFailure = { type: kind, arn };
    }
    let ruleCount = 0;
    const events: EventModel[] = (fn.events ?? []).map((raw, index): EventModel => {
      const where = `${at}.events[${index}]`;
      const kinds = Object.keys(raw);
      const kind = kinds[0];
      if (kinds.length !== 1 || !kind) {
        throw new ServerlessConfigError(`serverless.yml: ${where}: expected exactly one event type key`);
      }
      const body = raw[kind];
      switch (kind) {
        case 'eventBridge': {
          const event = validate(eventBridgeSchema, body, `${where}.eventBridge`);
          ruleCount++;
          const rule = ruleName(`${service}-${stage}-${key}-rule-${ruleCount}`);
          if (event.schedule) {
            return {
              kind: 'schedule',
              index,
              expression: event.schedule,
              schedule: parseSchedule(event.schedule, `${where}.eventBridge.schedule`),
              enabled: event.enabled ?? true,
              input: event.input,
              ruleName: rule,
            };
          }
          if (!event.pattern) {
            throw new ServerlessConfigError(
              `serverless.yml: ${where}.eventBridge: needs a pattern or a schedule`,
            );
          }
          if (event.inputPath || event.inputTransformer || event.input !== undefined) {
            throw new ServerlessConfigError(
              `serverless.yml: ${where}.eventBridge: input/inputPath/inputTransformer are not supported locally`,
            );
          }
          const bus =
            event.eventBus === undefined
              ? undefined
              : resolve(event.eventBus, `${where}.eventBridge.eventBus`);
          const busName =
            typeof bus === 'string' ? (bus.startsWith('arn:') ? bus.split('/').pop() : bus) : undefined;
          return {
            kind: 'eventBridge',
            index,
            pattern: event.pattern,
            ...(busName && busName !== 'default' ? { eventBus: busName } : {}),
            ruleName: rule,
          };
        }
        case 'schedule': {
          const event = validate(scheduleSchema, body, `${where}.schedule`);
          const rates =
            typeof event === 'string' ? [event] : Array.isArray(event.rate) ? event.rate : [event.rate];
          if (rates.length > 1) {
            throw new ServerlessConfigError(
              `serverless.yml: ${where}.schedule.rate: use one rate per event locally`,
            );
          }
          if (typeof event !== 'string' && (event.inputPath || event.inputTransformer)) {
            throw new ServerlessConfigError(
              `serverless.yml: ${where}.schedule: inputPath/inputTransformer are not supported locally`,
            );
          }
          ruleCount++;
          const expression = rates[0] as string;
          return {
            kind: 'schedule',
            index,
            expression,
            schedule: parseSchedule(expression, `${where}.schedule.rate`),
            enabled: typeof event === 'string' ? true : (event.enabled ?? true),
            input: typeof event === 'string' ? undefined : event.input,
            ruleName: ruleName(`${service}-${stage}-${key}-rule-${ruleCount}`),
          };
        }
        case 'sns': {
          const event = validate(snsSchema, body, `${where}.sns`);
          const given = typeof event === 'string' ? event : (event.arn ?? event.topicName);
          if (given === undefined) {
            throw new ServerlessConfigError(`serverless.yml: ${where}.sns: needs arn or topicName`);
          }
          const topic = stringify(resolve(given, `${where}.sns.arn`), `${where}.sns.arn`);
          const topicArn = topic.startsWith('arn:') ? topic : `arn:aws:sns:${region}:${accountId}:${topic}`;
          return {
            kind: 'sns',
            index,
            topicArn,
            topicName: topicArn.split(':').pop() as string,
            ...(typeof event !== 'string' && event.filterPolicy ? { filterPolicy: event.filterPolicy } : {}),
            ...(typeof event !== 'string' && event.filterPolicyScope
              ? { filterPolicyScope: event.filterPolicyScope }
              : {}),
          };
        }
        case 'sqs': {
          const isIntrinsic =
            typeof body === 'object' &&
            body !== null &&
            Object.keys(body).some((k) => k === 'Ref' || k.startsWith('Fn::'));
          const event =
            typeof body === 'string' || isIntrinsic
              ? { arn: body as string }
              : validate(sqsObjectSchema, body, `${where}.sqs`);
          const queueArn = stringify(resolve(event.arn, `${where}.sqs.arn`), `${where}.sqs.arn`);
          const typed = event as { batchSize?: number; functionResponseType?: string; enabled?: boolean };
          const queueLogicalId = queueByArn.get(queueArn);
          return {
            kind: 'sqs',
            index,
            queueArn,
            ...(queueLogicalId ? { queueLogicalId } : {}),
            batchSize: typed.batchSize ?? 10,
            reportBatchItemFailures: typed.functionResponseType === 'ReportBatchItemFailures',
            enabled: typed.enabled ?? true,
          };
        }
        default:
          throw new ServerlessConfigError(
            `serverless.yml: ${where}: event type "${kind}" is not supported by the local runtime (eventBridge, schedule, sns, sqs)`,
          );
      }
    });
    return {
      key,
      name,
      handler: fn.handler,
      timeoutSeconds: fn.timeout ?? document.provider.timeout ?? 6,
      memorySize: fn.memorySize ?? document.provider.memorySize ?? 1024,
      environment,
      maximumRetryAttempts: fn.maximumRetryAttempts ?? 2,
      ...(fn.reservedConcurrency === undefined ? {} : { reservedConcurrency: fn.reservedConcurrency }),
      ...(onFailure ? { onFailure } : {}),
      events,
      arn: `arn:aws:lambda:${region}:${accountId}:function:${name}`,
      role: functionRole(key, fn.role, document.provider, registry, { service, stage, region, accountId }),
    };
  });

  return { service, stage, region, accountId, functions, registry };
}
