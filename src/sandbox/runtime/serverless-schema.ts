/**
 * The zod schemas of the serverless.yml parts the local runtime reads (lenient where Serverless is: extra keys
 * are allowed), and the validation that names the key path of the first problem.
 */
import * as z from 'zod';
import { ServerlessConfigError } from './template.ts';

const intrinsicOrString = z.union([z.string(), z.record(z.string(), z.unknown())]);

export const eventBridgeSchema = z.looseObject({
  pattern: z.record(z.string(), z.unknown()).optional(),
  schedule: z.string().optional(),
  eventBus: intrinsicOrString.optional(),
  input: z.unknown().optional(),
  inputPath: z.string().optional(),
  inputTransformer: z.unknown().optional(),
  retryPolicy: z
    .looseObject({ maximumEventAge: z.number().optional(), maximumRetryAttempts: z.number().optional() })
    .optional(),
  deadLetterQueueArn: intrinsicOrString.optional(),
  enabled: z.boolean().optional(),
});

export const scheduleSchema = z.union([
  z.string(),
  z.looseObject({
    rate: z.union([z.string(), z.array(z.string()).min(1)]),
    enabled: z.boolean().optional(),
    input: z.unknown().optional(),
    inputPath: z.string().optional(),
    inputTransformer: z.unknown().optional(),
    name: z.string().optional(),
  }),
]);

export const snsSchema = z.union([
  z.string(),
  z.looseObject({
    arn: intrinsicOrString.optional(),
    topicName: z.string().optional(),
    filterPolicy: z.record(z.string(), z.unknown()).optional(),
    filterPolicyScope: z.enum(['MessageAttributes', 'MessageBody']).optional(),
  }),
]);

export const sqsObjectSchema = z.looseObject({
  arn: intrinsicOrString,
  batchSize: z.number().int().min(1).max(10000).optional(),
  functionResponseType: z.literal('ReportBatchItemFailures').optional(),
  enabled: z.boolean().optional(),
  maximumBatchingWindow: z.number().optional(),
});

const functionSchema = z.looseObject({
  handler: z.string().min(1),
  name: z.string().optional(),
  /** A role of `resources` (logical id), an ARN, or an intrinsic giving one. */
  role: intrinsicOrString.optional(),
  timeout: z.number().positive().optional(),
  memorySize: z.number().int().positive().optional(),
  environment: z.record(z.string(), z.unknown()).optional(),
  maximumRetryAttempts: z.number().int().min(0).max(2).optional(),
  reservedConcurrency: z.number().int().min(0).optional(),
  destinations: z
    .looseObject({
      onSuccess: z.unknown().optional(),
      onFailure: z
        .union([
          z.string(),
          z.looseObject({
            type: z.enum(['sqs', 'sns', 'function', 'eventBus']).optional(),
            arn: intrinsicOrString,
          }),
        ])
        .optional(),
    })
    .optional(),
  events: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const documentSchema = z.looseObject({
  service: z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })]),
  provider: z.looseObject({
    name: z.literal('aws').optional(),
    stage: z.string().optional(),
    region: z.string().optional(),
    timeout: z.number().positive().optional(),
    memorySize: z.number().int().positive().optional(),
    environment: z.record(z.string(), z.unknown()).optional(),
    /** The role every function without its own `role` gets (Serverless v3's `provider.iam`). */
    iam: z
      .looseObject({
        /** A role name, ARN or intrinsic; or `{ name?, statements?, managedPolicies? }` (told apart in roles.ts). */
        role: intrinsicOrString.optional(),
      })
      .optional(),
    /** Serverless v2's spelling of `iam.role.statements`, still honoured by v3. */
    iamRoleStatements: z.array(z.unknown()).optional(),
  }),
  functions: z.record(z.string(), functionSchema).optional(),
  resources: z.looseObject({ Resources: z.record(z.string(), z.unknown()).optional() }).optional(),
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects (later wins; arrays and scalars are replaced), as Serverless merges `resources`. */
function mergePlainObjects(target: Record<string, unknown>, source: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergePlainObjects(current, value) : value;
  }
  return out;
}

/** `resources` may be a list of resource objects (e.g. several `${file(…)}`): Serverless merges them in order. */
export function mergeResources(document: Record<string, unknown>): Record<string, unknown> {
  const resources = document.resources;
  if (!Array.isArray(resources)) return document;
  let merged: Record<string, unknown> = {};
  resources.forEach((item, index) => {
    if (item === null || item === undefined) return;
    if (!isPlainObject(item)) {
      throw new ServerlessConfigError(`serverless.yml: resources[${index}]: expected a mapping of resources`);
    }
    merged = mergePlainObjects(merged, item);
  });
  return { ...document, resources: merged };
}

/** Parse `value` with `schema`, or throw a ServerlessConfigError naming `at` and the key path. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, at: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).map((part) =>
    typeof part === 'number' ? `[${part}]` : `.${String(part)}`,
  );
  throw new ServerlessConfigError(`serverless.yml: ${at}${path.join('')}: ${issue?.message ?? 'invalid'}`);
}
