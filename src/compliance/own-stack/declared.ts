import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as z from 'zod';
import { PROJECT_ROOT } from '../../shared/project-root.ts';

/**
 * What ecr-sentinel's own stack should be, read from what deploys it: serverless.yml (each function, its role and
 * the role's inline policy statements) and deploy/alarms.cjs (the alarms serverless.yml gets, generated from the
 * same file). Roles are taken as serverless.yml declares them: test/deploy/iam.int.test.ts proves on every run
 * that those grant exactly what each handler's code reaches (the adapters' `…Permissions`), so the chain
 * code → serverless.yml → deployed stack is checked link by link, and this file needs no second copy of it.
 */

/** A CloudFormation value as written: a string, a number, or an intrinsic such as `{ "Ref": "AlertsTopic" }`. */
const cfnValue: z.ZodType<unknown> = z.unknown();

const statementSchema = z.looseObject({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]).optional(),
  NotAction: cfnValue.optional(),
  Resource: cfnValue.optional(),
  NotResource: cfnValue.optional(),
});

/** An IAM policy statement as far as the check compares it. */
export type PolicyStatement = z.output<typeof statementSchema>;

const roleSchema = z.looseObject({
  Type: z.literal('AWS::IAM::Role'),
  Properties: z.looseObject({
    Policies: z
      .array(
        z.looseObject({
          PolicyName: z.string(),
          PolicyDocument: z.looseObject({ Statement: z.array(statementSchema) }),
        }),
      )
      .default([]),
    ManagedPolicyArns: z.array(cfnValue).default([]),
  }),
});

const serverlessSchema = z.looseObject({
  service: z.string(),
  functions: z
    .record(z.string(), z.looseObject({ name: z.string().optional(), role: z.string().optional() }))
    .default({}),
  resources: z.unknown(),
});

const alarmSchema = z.object({
  Type: z.literal('AWS::CloudWatch::Alarm'),
  Properties: z.looseObject({
    AlarmName: cfnValue,
    Namespace: z.string(),
    MetricName: z.string(),
    Dimensions: z.array(z.object({ Name: z.string(), Value: cfnValue })),
    Statistic: z.string(),
    Period: z.number(),
    EvaluationPeriods: z.number(),
    Threshold: z.number(),
    ComparisonOperator: z.string(),
    TreatMissingData: z.string(),
    ActionsEnabled: z.boolean(),
    AlarmActions: z.array(cfnValue),
    OKActions: z.array(cfnValue),
  }),
});

/** An alarm as deploy/alarms.cjs generates it (intrinsics unresolved). */
export type DeclaredAlarm = { readonly logicalId: string } & z.output<typeof alarmSchema>['Properties'];

/** A function's role as serverless.yml declares it. */
export interface DeclaredRole {
  /** The role's logical id in the stack (`OnImagePushedRole`). */
  readonly logicalId: string;
  /** The functions that run with it (keys under `functions:`). */
  readonly functions: readonly string[];
  /** Its inline policies' statements; undefined when serverless.yml declares no such role in `resources`. */
  readonly statements?: readonly PolicyStatement[];
  readonly managedPolicyArns: readonly unknown[];
}

/** The stack as declared, for one stage. */
export interface DeclaredStack {
  readonly service: string;
  readonly stage: string;
  /** `<service>-<stage>`, as the Serverless Framework names the stack. */
  readonly stackName: string;
  /** Function key → its Lambda function's logical id and deployed name (`<service>-<stage>-<key>` unless named). */
  readonly functions: Readonly<Record<string, { readonly logicalId: string; readonly functionName: string }>>;
  readonly roles: readonly DeclaredRole[];
  readonly alarms: readonly DeclaredAlarm[];
}

interface AlarmsGenerator {
  readServerless(file?: string): unknown;
  alarmResources(doc: unknown): Record<string, unknown>;
  normalizedFunctionName(key: string): string;
}

/** deploy/alarms.cjs, loaded at run time from the checkout (it is what `serverless package` runs too). */
function alarmsGenerator(): AlarmsGenerator {
  const require = createRequire(import.meta.url);
  return require(join(PROJECT_ROOT, 'deploy', 'alarms.cjs')) as AlarmsGenerator;
}

/** `resources.Resources` merged over serverless.yml's list items (the `${file(…)}` items left out). */
function declaredResources(resources: unknown): Record<string, unknown> {
  const items = Array.isArray(resources) ? resources : [resources];
  const merged: Record<string, unknown> = {};
  for (const item of items) {
    const declared = (item as { Resources?: Record<string, unknown> } | null)?.Resources;
    if (declared && typeof declared === 'object') Object.assign(merged, declared);
  }
  return merged;
}

/**
 * The stack ecr-sentinel's serverless.yml deploys for `stage`: its functions, their roles, the alarms.
 * @param serverlessFile default: the serverless.yml of the checkout
 * @throws Error when serverless.yml or the generated alarms don't have the shapes this check relies on
 */
export function declaredStack(stage: string, serverlessFile?: string): DeclaredStack {
  const generator = alarmsGenerator();
  const doc = generator.readServerless(serverlessFile);
  const parsed = serverlessSchema.parse(doc);
  const resources = declaredResources(parsed.resources);
  const functions: Record<string, { logicalId: string; functionName: string }> = {};
  const roleFunctions = new Map<string, string[]>();
  for (const [key, fn] of Object.entries(parsed.functions)) {
    functions[key] = {
      logicalId: `${generator.normalizedFunctionName(key)}LambdaFunction`,
      functionName: fn.name ?? `${parsed.service}-${stage}-${key}`,
    };
    // A function without `role:` runs with the role Serverless generates from provider.iam.
    const roleId = fn.role ?? 'IamRoleLambdaExecution';
    roleFunctions.set(roleId, [...(roleFunctions.get(roleId) ?? []), key]);
  }
  const roles = [...roleFunctions].map(([logicalId, keys]): DeclaredRole => {
    const role = roleSchema.safeParse(resources[logicalId]);
    return role.success
      ? {
          logicalId,
          functions: keys,
          statements: role.data.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement),
          managedPolicyArns: role.data.Properties.ManagedPolicyArns,
        }
      : { logicalId, functions: keys, managedPolicyArns: [] };
  });
  const alarms = Object.entries(generator.alarmResources(doc)).flatMap(([logicalId, resource]) => {
    const alarm = alarmSchema.safeParse(resource);
    if (alarm.success) return [{ logicalId, ...alarm.data.Properties }];
    if ((resource as { Type?: unknown }).Type === 'AWS::CloudWatch::Alarm') {
      throw new Error(
        `deploy/alarms.cjs: ${logicalId}: ${alarm.error.issues.map((i) => i.message).join('; ')}`,
      );
    }
    return [];
  });
  return {
    service: parsed.service,
    stage,
    stackName: `${parsed.service}-${stage}`,
    functions,
    roles,
    alarms,
  };
}
