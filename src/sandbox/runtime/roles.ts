/**
 * Which execution role each function of serverless.yml runs with, and what its policies say, as the Serverless
 * Framework (v3) builds it: `functions.<fn>.role` (a role of `resources`, an ARN, or an intrinsic giving one),
 * else `provider.iam.role` (the same forms), else the role Serverless generates (`IamRoleLambdaExecution`) from
 * `provider.iam.role.statements` (or v2's `provider.iamRoleStatements`).
 * https://www.serverless.com/framework/docs/providers/aws/guide/iam
 */
import type { IntrinsicContext } from './intrinsics.ts';
import { resolveIntrinsics } from './intrinsics.ts';
import type { ResourceRegistry } from './resources.ts';
import { ServerlessConfigError } from './template.ts';

/** A function's execution role. */
export type RoleModel =
  | {
      /** Declared in the template (a role of `resources`, or the one Serverless generates). */
      kind: 'declared';
      /** Where the role comes from, for messages (`resources.Resources.OnImagePushedRole`). */
      where: string;
      name: string;
      arn: string;
      /** Its inline policy documents, intrinsics resolved; each with where it is written. */
      documents: Array<{ where: string; document: unknown }>;
      /** Managed policies attached: their content is not in the template. */
      managedPolicyArns: string[];
    }
  | {
      /** A role ARN from outside the template: what it grants is unknown here. */
      kind: 'external';
      arn: string;
    };

/** What `provider` says about roles, as validated by serverless-schema.ts. */
export interface ProviderIam {
  iam?: { role?: unknown } | undefined;
  iamRoleStatements?: unknown[] | undefined;
}

/** Serverless's generated role's logical id. */
const GENERATED_ROLE = 'IamRoleLambdaExecution';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0] as string).startsWith('Fn::'));
}

function declaredRole(logicalId: string, registry: ResourceRegistry, at: string): RoleModel {
  const declaration = registry.declarations.get(logicalId);
  if (!declaration) {
    throw new ServerlessConfigError(
      `serverless.yml: ${at}: no resource "${logicalId}" in resources.Resources`,
    );
  }
  if (declaration.type !== 'AWS::IAM::Role') {
    throw new ServerlessConfigError(
      `serverless.yml: ${at}: "${logicalId}" is a ${declaration.type}, not an AWS::IAM::Role`,
    );
  }
  const where = `resources.Resources.${logicalId}`;
  const resolve = (value: unknown, path: string) =>
    resolveIntrinsics(value, registry, `serverless.yml: ${path}`);
  const policies = declaration.properties.Policies ?? [];
  if (!Array.isArray(policies)) {
    throw new ServerlessConfigError(`serverless.yml: ${where}.Properties.Policies must be a list`);
  }
  const documents = policies.map((policy, index) => {
    const path = `${where}.Properties.Policies[${index}]`;
    if (!isPlainObject(policy)) throw new ServerlessConfigError(`serverless.yml: ${path} must be a mapping`);
    return {
      where: `${path}.PolicyDocument`,
      document: resolve(policy.PolicyDocument, `${path}.PolicyDocument`),
    };
  });
  const managed = declaration.properties.ManagedPolicyArns ?? [];
  const managedPolicyArns = Array.isArray(managed)
    ? managed.map((arn, index) => String(resolve(arn, `${where}.Properties.ManagedPolicyArns[${index}]`)))
    : [];
  const physical = registry.physical(logicalId);
  const roleName = declaration.properties.RoleName;
  return {
    kind: 'declared',
    where,
    name: typeof roleName === 'string' ? roleName : physical.name,
    arn: physical.arn ?? physical.ref,
    documents,
    managedPolicyArns,
  };
}

/** A role given as a name, ARN or intrinsic (`functions.<fn>.role`, `provider.iam.role`). */
function namedRole(given: unknown, registry: ResourceRegistry, at: string): RoleModel {
  if (typeof given === 'string') {
    return given.startsWith('arn:') ? { kind: 'external', arn: given } : declaredRole(given, registry, at);
  }
  if (isPlainObject(given) && isIntrinsic(given)) {
    // `Fn::GetAtt [Role, Arn]` names a role of the template: its policies are known.
    const getAtt = given['Fn::GetAtt'];
    const target = Array.isArray(getAtt)
      ? getAtt[0]
      : typeof getAtt === 'string'
        ? getAtt.split('.')[0]
        : undefined;
    if (typeof target === 'string' && registry.declarations.has(target)) {
      return declaredRole(target, registry, at);
    }
    const arn = resolveIntrinsics(given, registry as IntrinsicContext, `serverless.yml: ${at}`);
    if (typeof arn !== 'string')
      throw new ServerlessConfigError(`serverless.yml: ${at}: expected a role ARN`);
    return { kind: 'external', arn };
  }
  throw new ServerlessConfigError(`serverless.yml: ${at}: expected a role name, ARN or intrinsic`);
}

/** The role Serverless generates for functions without one: the provider's statements plus their log groups. */
function generatedRole(
  provider: ProviderIam,
  registry: ResourceRegistry,
  names: { service: string; stage: string; region: string; accountId: string },
): RoleModel {
  const role = provider.iam?.role;
  const fromIam = isPlainObject(role) && Array.isArray(role.statements) ? role.statements : undefined;
  const statements = fromIam ?? provider.iamRoleStatements ?? [];
  const where = fromIam ? 'provider.iam.role.statements' : 'provider.iamRoleStatements';
  const resolved = resolveIntrinsics(statements, registry, `serverless.yml: ${where}`);
  const name =
    isPlainObject(role) && typeof role.name === 'string'
      ? role.name
      : `${names.service}-${names.stage}-${names.region}-lambdaRole`;
  const managed = isPlainObject(role) && Array.isArray(role.managedPolicies) ? role.managedPolicies : [];
  return {
    kind: 'declared',
    where: GENERATED_ROLE,
    name,
    arn: `arn:aws:iam::${names.accountId}:role/${name}`,
    // The logs grant Serverless adds is not listed: Lambda, not the handler, writes the logs.
    documents:
      statements.length === 0 ? [] : [{ where, document: { Version: '2012-10-17', Statement: resolved } }],
    managedPolicyArns: managed.map((arn, index) =>
      String(resolveIntrinsics(arn, registry, `serverless.yml: provider.iam.role.managedPolicies[${index}]`)),
    ),
  };
}

/**
 * The execution role of one function.
 * @throws ServerlessConfigError when the role names something that is not a role of the template
 */
export function functionRole(
  functionKey: string,
  ownRole: unknown,
  provider: ProviderIam,
  registry: ResourceRegistry,
  names: { service: string; stage: string; region: string; accountId: string },
): RoleModel {
  if (ownRole !== undefined) return namedRole(ownRole, registry, `functions.${functionKey}.role`);
  const providerRole = provider.iam?.role;
  if (typeof providerRole === 'string' || (isPlainObject(providerRole) && isIntrinsic(providerRole))) {
    return namedRole(providerRole, registry, 'provider.iam.role');
  }
  return generatedRole(provider, registry, names);
}
