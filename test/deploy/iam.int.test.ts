import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIONS_ONLY_ON_ANY_RESOURCE,
  type IamPermission,
  type IamPermissions,
  type IamResource,
} from '../../src/shared/iam.ts';
import { PROJECT_ROOT } from '../support/cli.ts';
import { localExportsOf, type Reach, type ReadSource, reachFrom } from './code-reach.ts';
import { packagedService } from './packaged.ts';

/**
 * IAM as data, proven: each adapter declares what it calls (`<export>Permissions`, src/shared/iam.ts), and the
 * packaged template must grant each function's role exactly the union of what its handler's code reaches
 * declares — nothing missing, nothing extra — plus what Lambda itself needs.
 */

/** A CloudFormation value: a string, or an intrinsic function such as `{ "Fn::GetAtt": [...] }`. */
type Cfn = unknown;

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: Cfn;
  NotResource?: unknown;
  Condition?: Cfn;
}

interface Role {
  ManagedPolicyArns?: Cfn[];
  Policies?: { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[];
}

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** A function of the template, with what its role grants. */
interface DeployedFunction {
  name: string;
  /** The Lambda function's name, e.g. `ecr-sentinel-ci-onImagePushed`. */
  functionName: string;
  /** `handlers/<fn>.ts` */
  handlerFile: string;
  roleId: string;
  role: Role;
  /** The execution role's needs that come from the function's configuration, not its code. */
  runtimeGrants: string[];
}

const require = createRequire(import.meta.url);
const promotionRoles = require(join(PROJECT_ROOT, 'deploy/promotion-roles.cjs')) as () => {
  roleArns: string[];
};
const alertWiring = require(join(PROJECT_ROOT, 'deploy/alert-subscriptions.cjs')) as () => {
  slackWebhookParameterArnPath: string;
};

/** How serverless.yml writes each resource kind of src/shared/iam.ts in a statement. */
// biome-ignore-start lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, as in the template.
/** A log group's ARN up to its name: the ARN of its streams is `${this}${name}:log-stream:…`. */
const LOG_GROUP_ARN_PREFIX = 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:';
/** KMS used by SSM in the stack's region, on the caller's behalf. */
const VIA_SSM = { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' };
const RESOURCE_IN_TEMPLATE: Record<IamResource, { Resource: Cfn; Condition?: Cfn }> = {
  'ecr-repository': {
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*' },
  },
  'sentinel-table': { Resource: { 'Fn::GetAtt': ['SentinelTable', 'Arn'] } },
  'sentinel-table-index': { Resource: { 'Fn::Sub': '${SentinelTable.Arn}/index/*' } },
  'idempotency-table': { Resource: { 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] } },
  'alerts-topic': { Resource: { Ref: 'AlertsTopic' } },
  'cleanup-queue': { Resource: { 'Fn::GetAtt': ['CleanupQueue', 'Arn'] } },
  'compliance-queue': { Resource: { 'Fn::GetAtt': ['ComplianceQueue', 'Arn'] } },
  'promotion-roles': { Resource: promotionRoles().roleArns },
  'default-event-bus': {
    Resource: {
      'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
    },
  },
  'slack-webhook-parameter': {
    Resource: {
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${alertWiring().slackWebhookParameterArnPath}`,
    },
  },
  'secure-string-key': {
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' },
    Condition: {
      StringEquals: {
        'kms:ViaService': VIA_SSM,
        'kms:EncryptionContext:PARAMETER_ARN': {
          'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${alertWiring().slackWebhookParameterArnPath}`,
        },
      },
    },
  },
  'ecs-service': {
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/*' },
  },
  'ecs-task': {
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/*' },
  },
  'lambda-function': {
    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*' },
  },
  '*': { Resource: '*' },
};
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: the placeholders above

/**
 * AWS calls in deployed code that no function makes, each with the reason; an entry no longer needed fails, so
 * the list only shrinks.
 */
const CALLS_NO_FUNCTION_MAKES = new Map([
  [
    'dynamodb:Query @ src/scan-gate/adapters/dynamodb-verdicts.ts#dynamoVerdicts',
    'history() is not part of VerdictStore: only tests and tools read it',
  ],
]);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A resource as a reader of a failure wants it: `GetAtt(SentinelTable.Arn)`, `Ref(AlertsTopic)`, `"*"`. */
function resourceLabel(resource: Cfn): string {
  const value = resource as Record<string, unknown>;
  if (typeof resource === 'string') return JSON.stringify(resource);
  if (Array.isArray(value['Fn::GetAtt'])) return `GetAtt(${value['Fn::GetAtt'].join('.')})`;
  if (typeof value.Ref === 'string') return `Ref(${value.Ref})`;
  if (typeof value['Fn::Sub'] === 'string') return `Sub(${value['Fn::Sub']})`;
  return canonical(resource);
}

/** One action on one resource (under a condition): the unit both sides are compared in. */
function grant(action: string, resource: Cfn, condition?: Cfn): string {
  return `${action} on ${resourceLabel(resource)}${condition === undefined ? '' : ` when ${canonical(condition)}`}`;
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function statementsOf(role: Role): Statement[] {
  return (role.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
}

/** What a role's inline policies grant; a Deny, NotAction or NotResource is reported as itself. */
function grantsOf(role: Role): string[] {
  return statementsOf(role).flatMap((statement) => {
    if (statement.Effect !== 'Allow' || statement.NotAction || statement.NotResource) {
      return [`unexpected statement ${canonical(statement)}`];
    }
    return asList(statement.Action).flatMap((action) =>
      asList(statement.Resource).map((resource) => grant(action, resource, statement.Condition)),
    );
  });
}

/** What a role should grant but does not, and what it grants but should not. */
function compareGrants(
  expected: Iterable<string>,
  granted: Iterable<string>,
): { missing: string[]; extra: string[] } {
  const want = new Set(expected);
  const have = new Set(granted);
  return {
    missing: [...want].filter((g) => !have.has(g)).sort(),
    extra: [...have].filter((g) => !want.has(g)).sort(),
  };
}

/** The `…Permissions` declarations of the exports `reach` reaches, with where each comes from. */
async function declarationsOf(reach: Reach): Promise<{ at: string; permission: IamPermission }[]> {
  const found: { at: string; permission: IamPermission }[] = [];
  for (const { file, name } of reach.exports) {
    const declaration = `${name}Permissions`;
    if (!localExportsOf(file).includes(declaration)) continue;
    const module = (await import(pathToFileURL(join(PROJECT_ROOT, file)).href)) as Record<string, unknown>;
    for (const permission of module[declaration] as IamPermissions) {
      found.push({ at: `${file}#${declaration}`, permission });
    }
  }
  return found;
}

function grantsDeclared(declarations: { permission: IamPermission }[]): string[] {
  return declarations.flatMap(({ permission }) => {
    const { Resource, Condition } = RESOURCE_IN_TEMPLATE[permission.resource];
    // A list of resources (the promotion roles) is granted one by one, as grantsOf reads a statement.
    return permission.actions.flatMap((action) =>
      asList(Resource).map((resource) => grant(action, resource, Condition)),
    );
  });
}

/** What a handler's code reaches, the declarations among it, and the grants those ask for. */
interface Expectation {
  reach: Reach;
  declarations: { at: string; permission: IamPermission }[];
  grants: string[];
}

async function expectationOf(handlerFile: string, readSource?: ReadSource): Promise<Expectation> {
  const reach = reachFrom(handlerFile, readSource);
  const declarations = await declarationsOf(reach);
  return { reach, declarations, grants: grantsDeclared(declarations) };
}

/**
 * Lambda's own needs from the function's configuration: writing its logs to the log group the stack declares for
 * it (the group exists before the function, so no logs:CreateLogGroup), and sending a failed asynchronous
 * invocation to its destination.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-permissions.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
function runtimeGrantsOf(template: Template, functionId: string): string[] {
  const grants: string[] = [];
  const functionName = template.Resources[functionId]?.Properties.FunctionName;
  const logGroups = Object.entries(template.Resources).filter(
    ([, resource]) =>
      resource.Type === 'AWS::Logs::LogGroup' &&
      typeof functionName === 'string' &&
      resource.Properties.LogGroupName === `/aws/lambda/${functionName}`,
  );
  if (logGroups.length !== 1) {
    throw new Error(`${functionId}: expected the stack to declare its log group, found ${logGroups.length}`);
  }
  for (const [, { Properties }] of logGroups) {
    const logGroup = { 'Fn::Sub': `${LOG_GROUP_ARN_PREFIX}${Properties.LogGroupName}:*` };
    grants.push(grant('logs:CreateLogStream', logGroup), grant('logs:PutLogEvents', logGroup));
  }
  for (const resource of Object.values(template.Resources)) {
    // Invoke configs name the function by Ref, event source mappings by its ARN.
    const target = canonical(resource.Properties.FunctionName);
    const targetsFunction =
      target === canonical({ Ref: functionId }) ||
      target === canonical({ 'Fn::GetAtt': [functionId, 'Arn'] });
    if (!targetsFunction) continue;
    if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      // Lambda polls an SQS queue with the function's role.
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions
      const source = resource.Properties.EventSourceArn as { 'Fn::GetAtt'?: [string, string] } | undefined;
      if (template.Resources[source?.['Fn::GetAtt']?.[0] ?? '']?.Type !== 'AWS::SQS::Queue') {
        throw new Error(
          `${functionId} polls an event source other than a queue of the stack: add what its role needs to the IAM test`,
        );
      }
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'])
        grants.push(grant(action, source));
      continue;
    }
    if (resource.Type !== 'AWS::Lambda::EventInvokeConfig') continue;
    const destinations = resource.Properties.DestinationConfig as
      | Record<string, { Destination: Cfn } | undefined>
      | undefined;
    for (const destination of Object.values(destinations ?? {})) {
      const target = destination?.Destination as { 'Fn::GetAtt'?: [string, string] } | undefined;
      const targetType = template.Resources[target?.['Fn::GetAtt']?.[0] ?? '']?.Type;
      if (targetType !== 'AWS::SQS::Queue') {
        throw new Error(`${functionId}: destination ${canonical(target)} is not a queue of the stack`);
      }
      grants.push(grant('sqs:SendMessage', target));
    }
  }
  return grants;
}

function deployedFunctions(template: Template): DeployedFunction[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id, resource]) => {
      const handler = String(resource.Properties.Handler);
      const roleRef = resource.Properties.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
      const roleId = roleRef?.['Fn::GetAtt']?.[0] ?? `(no role of its own: ${canonical(roleRef)})`;
      return {
        name: id.replace(/LambdaFunction$/, ''),
        functionName: String(resource.Properties.FunctionName),
        handlerFile: `${handler.slice(0, handler.lastIndexOf('.'))}.ts`,
        roleId,
        role: (template.Resources[roleId]?.Properties ?? {}) as Role,
        runtimeGrants: runtimeGrantsOf(template, id),
      };
    });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(PROJECT_ROOT, join(entry.parentPath, entry.name)));
}

describe('IAM as data: each function role grants exactly what its code declares', () => {
  let template: Template;
  let functions: DeployedFunction[];
  const expected = new Map<string, Expectation>();
  const expectationFor = (fn: DeployedFunction): Expectation => {
    const found = expected.get(fn.name);
    if (!found) throw new Error(`no expectation for ${fn.name}`);
    return found;
  };

  beforeAll(async () => {
    const out = await packagedService();
    template = JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    functions = deployedFunctions(template);
    for (const fn of functions) expected.set(fn.name, await expectationOf(fn.handlerFile));
  }, 180_000);

  it('finds every function, each with its handler file and a role of its own', () => {
    expect(functions.map((f) => f.name).sort()).toEqual([
      'CheckCompliance',
      'CheckRepositories',
      'CleanupRepository',
      'NotifySlack',
      'OnImagePushed',
      'OnScanCompleted',
      'PlanCleanup',
      'PromoteImage',
      'SweepCompliance',
    ]);
    for (const fn of functions) {
      expect(template.Resources[fn.roleId]?.Type, fn.name).toBe('AWS::IAM::Role');
      expect(localExportsOf(fn.handlerFile), fn.name).toContain('handler');
    }
    expect(new Set(functions.map((f) => f.roleId)).size).toBe(functions.length);
  });

  it('grants each role the permissions its handler reaches, its runtime needs, and nothing else', () => {
    const differences: Record<string, { missing: string[]; extra: string[] }> = {};
    for (const fn of functions) {
      const { grants } = expectationFor(fn);
      differences[fn.name] = compareGrants([...grants, ...fn.runtimeGrants], grantsOf(fn.role));
    }
    expect(differences).toEqual(
      Object.fromEntries(functions.map((fn) => [fn.name, { missing: [], extra: [] }])),
    );
  });

  it("attaches no managed policy: logs only to the function's own log group, which it cannot create", () => {
    for (const fn of functions) {
      expect(fn.role.ManagedPolicyArns ?? [], fn.name).toEqual([]);
      const logGrants = grantsOf(fn.role).filter((g) => g.startsWith('logs:'));
      expect(logGrants.sort(), fn.name).toEqual(fn.runtimeGrants.filter((g) => g.startsWith('logs:')).sort());
      expect(logGrants.join('\n'), fn.name).toContain(`log-group:/aws/lambda/${fn.functionName}:*`);
      expect(logGrants.join('\n'), fn.name).not.toContain('logs:CreateLogGroup');
    }
  });

  it('decrypts only the Slack webhook parameter, only through SSM, with keys of the account', () => {
    const kms = functions.flatMap((fn) =>
      statementsOf(fn.role)
        .filter((statement) => asList(statement.Action).some((action) => action.startsWith('kms:')))
        .map((statement) => ({ fn: fn.name, statement })),
    );
    expect(kms.map(({ fn }) => fn)).toEqual(['NotifySlack']);
    const statement = kms[0]?.statement;
    expect(statement?.Action).toEqual(['kms:Decrypt']);
    expect(statement?.Resource).toEqual(RESOURCE_IN_TEMPLATE['secure-string-key'].Resource);
    expect(statement?.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': VIA_SSM,
        'kms:EncryptionContext:PARAMETER_ARN': RESOURCE_IN_TEMPLATE['slack-webhook-parameter'].Resource,
      },
    });
  });

  it('grants on "*" only actions AWS grants on "*" alone, unconditionally', () => {
    const onAny = new Set<string>(ACTIONS_ONLY_ON_ANY_RESOURCE);
    const wrong: string[] = [];
    for (const fn of functions) {
      for (const statement of statementsOf(fn.role)) {
        if (!asList(statement.Resource).includes('*')) continue;
        const allowed =
          statement.Condition === undefined && asList(statement.Action).every((action) => onAny.has(action));
        if (!allowed) wrong.push(`${fn.name}: ${canonical(statement)}`);
      }
      for (const { at, permission } of expectationFor(fn).declarations) {
        if (permission.resource === '*' && !permission.actions.every((action) => onAny.has(action))) {
          wrong.push(`${at}: ${canonical(permission)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('declares every AWS call the deployed code makes (and each exception is still needed)', () => {
    const undeclared: string[] = [];
    const excused = new Set<string>();
    for (const fn of functions) {
      const { reach, declarations } = expectationFor(fn);
      const declared = new Set<string>(declarations.flatMap((d) => d.permission.actions));
      for (const call of reach.calls) {
        const where = `${call.action} @ ${call.at}`;
        if (declared.has(call.action)) continue;
        if (CALLS_NO_FUNCTION_MAKES.has(where)) excused.add(where);
        else undeclared.push(`${fn.name}: ${where}`);
      }
    }
    expect(undeclared).toEqual([]);
    expect([...excused].sort()).toEqual([...CALLS_NO_FUNCTION_MAKES.keys()].sort());
  });
});

describe('the IAM check catches drift', () => {
  it('names the export each …Permissions declaration belongs to', () => {
    const orphans: string[] = [];
    for (const file of sourceFiles('src')) {
      const exports = localExportsOf(file);
      for (const name of exports.filter((e) => e.endsWith('Permissions'))) {
        if (!exports.includes(name.slice(0, -'Permissions'.length))) orphans.push(`${file}#${name}`);
      }
    }
    expect(orphans).toEqual([]);
  });

  it('reports an action a role lost and one it gained', async () => {
    const { grants } = await expectationOf('handlers/on-scan-completed.ts');
    const repositories = RESOURCE_IN_TEMPLATE['ecr-repository'].Resource;
    const putImage = grant('ecr:PutImage', repositories);
    const deleteRepository = grant('ecr:DeleteRepository', repositories);
    expect(grants).toContain(putImage);

    const granted = [...grants.filter((g) => g !== putImage), deleteRepository];

    expect(compareGrants(grants, granted)).toEqual({ missing: [putImage], extra: [deleteRepository] });
  });

  it('asks for the permissions of an adapter newly wired into a handler', async () => {
    const handler = 'handlers/notify-slack.ts';
    const wired: ReadSource = (file) => {
      const source = readFileSync(join(PROJECT_ROOT, file), 'utf8');
      return file === handler
        ? `import { ecrRegistry } from '../src/inventory/ecr-registry.ts';\n${source}\nexport const registry = ecrRegistry;\n`
        : source;
    };
    const before = await expectationOf(handler);

    const after = await expectationOf(handler, wired);

    const repositories = RESOURCE_IN_TEMPLATE['ecr-repository'].Resource;
    expect(compareGrants(after.grants, before.grants).missing).toEqual(
      [
        grant('ecr:DescribeImages', repositories),
        grant('ecr:DescribeRepositories', repositories),
        grant('ecr:GetRegistryScanningConfiguration', '*'),
        grant('ecr:StartImageScan', repositories),
      ].sort(),
    );
  });
});
