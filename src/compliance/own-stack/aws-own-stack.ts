import { type CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { type CloudWatchClient, type MetricAlarm, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import {
  GetRolePolicyCommand,
  type IAMClient,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
} from '@aws-sdk/client-iam';
import type { IamAction } from '../../shared/iam.ts';
import type { DeclaredStack } from './declared.ts';
import type { ObservedRole, ObservedStack, Read } from './rules.ts';

/**
 * What `awsOwnStack` calls, each on what (ARN patterns: no function runs this, so no resource kind of
 * src/shared/iam.ts names them; a person's or a pipeline's credentials do). Read-only.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 */
export const awsOwnStackPermissions: readonly {
  readonly actions: readonly IamAction[];
  readonly resource: string;
}[] = [
  {
    actions: ['cloudformation:ListStackResources'],
    resource: 'arn:aws:cloudformation:REGION:ACCOUNT:stack/ecr-sentinel-*/*',
  },
  // DescribeAlarms has no resource type: "*" only.
  { actions: ['cloudwatch:DescribeAlarms'], resource: '*' },
  {
    actions: ['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies'],
    resource: 'arn:aws:iam::ACCOUNT:role/ecr-sentinel-*',
  },
];

/** The stage names no stack of the account and Region: nothing to audit (the command's usage error). */
export class StackNotFoundError extends Error {
  override readonly name = 'StackNotFoundError';
}

function why(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function read<T>(what: string, run: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (error instanceof StackNotFoundError) throw error;
    return { ok: false, error: `${what}: ${why(error)}` };
  }
}

/** The stack's resources, logical id → physical id, every page. */
async function stackResources(
  client: CloudFormationClient,
  declared: DeclaredStack,
): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  try {
    for await (const page of paginateListStackResources({ client }, { StackName: declared.stackName })) {
      for (const r of page.StackResourceSummaries ?? []) {
        if (r.LogicalResourceId && r.PhysicalResourceId) found[r.LogicalResourceId] = r.PhysicalResourceId;
      }
    }
  } catch (error) {
    // CloudFormation answers for a stack it doesn't have with ValidationError "Stack with id X does not exist".
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
      throw new StackNotFoundError(
        `no stack ${declared.stackName} here: is ${declared.stage} the stage you deployed (npx serverless deploy --stage ${declared.stage}), in this Region?`,
        { cause: error },
      );
    }
    throw error;
  }
  return found;
}

/**
 * Reads the deployed stack as far as its audit needs: its resources (ListStackResources, every page: a stack of
 * more than 100 resources is cut short by DescribeStackResources), the alarms named after it (DescribeAlarms by
 * prefix), and each declared function role's inline policies and attached managed policies. Each read that fails
 * is recorded with its reason (the items needing it are then unknown).
 * @throws StackNotFoundError when the account and Region have no such stack
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackResources.html
 */
export function awsOwnStack(clients: {
  cloudFormation: CloudFormationClient;
  cloudWatch: CloudWatchClient;
  iam: IAMClient;
}) {
  return {
    async read(declared: DeclaredStack): Promise<ObservedStack> {
      const resources = await read(`ListStackResources ${declared.stackName}`, () =>
        stackResources(clients.cloudFormation, declared),
      );
      const alarms = await read(`DescribeAlarms ${declared.stackName}-*`, async () => {
        const found: MetricAlarm[] = [];
        for await (const page of paginateDescribeAlarms(
          { client: clients.cloudWatch },
          { AlarmNamePrefix: `${declared.stackName}-`, AlarmTypes: ['MetricAlarm'] },
        )) {
          found.push(...(page.MetricAlarms ?? []));
        }
        return found;
      });
      const roles: Record<string, Read<ObservedRole>> = {};
      if (resources.ok) {
        for (const role of declared.roles) {
          const roleName = resources.value[role.logicalId];
          if (roleName === undefined) continue;
          roles[role.logicalId] = await read(`IAM role ${roleName}`, () => readRole(clients.iam, roleName));
        }
      }
      return { resources, alarms, roles };
    },
  };
}

async function readRole(iam: IAMClient, roleName: string): Promise<ObservedRole> {
  const names: string[] = [];
  for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: roleName })) {
    names.push(...(page.PolicyNames ?? []));
  }
  const inlinePolicies = [];
  for (const policyName of names) {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    inlinePolicies.push({ policyName, document: out.PolicyDocument ?? '{}' });
  }
  const attachedPolicyArns: string[] = [];
  for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName })) {
    attachedPolicyArns.push(
      ...(page.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])),
    );
  }
  return { roleName, inlinePolicies, attachedPolicyArns };
}
