import { randomBytes } from 'node:crypto';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsInUse, ecsInUsePermissions } from '../../src/cleanup/adapters/ecs-in-use.ts';
import { inspectorInUse, inspectorInUsePermissions } from '../../src/cleanup/adapters/inspector-in-use.ts';
import { lambdaInUse, lambdaInUsePermissions } from '../../src/cleanup/adapters/lambda-in-use.ts';
import type { Denial } from '../../src/sandbox/edge/iam.ts';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/server.ts';
import type { IamPermissions, IamResource } from '../../src/shared/iam.ts';
import { createRole } from '../support/moto-iam.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The signals' declared permissions against the sandbox's IAM enforcer: a principal granted exactly what an
 * adapter exports reads everything without a denial, and one without an action gets a doubt naming the refusal,
 * as a function's role would in AWS.
 */

const REGION = 'us-east-1';
const registry = { accountId: SANDBOX_ACCOUNT_ID, region: REGION };
const host = `${SANDBOX_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
const repository = uniqueName('iam-signals');

/** How serverless.yml writes each kind in this account and Region (test/deploy/iam.int.test.ts, resolved). */
const RESOURCE: Partial<Record<IamResource, string>> = {
  'ecs-service': `arn:aws:ecs:${REGION}:${SANDBOX_ACCOUNT_ID}:service/*`,
  'ecs-task': `arn:aws:ecs:${REGION}:${SANDBOX_ACCOUNT_ID}:task/*`,
  'lambda-function': `arn:aws:lambda:${REGION}:${SANDBOX_ACCOUNT_ID}:function:*`,
  '*': '*',
};

function statements(permissions: IamPermissions, without?: string) {
  return permissions
    .map((p) => ({
      Effect: 'Allow',
      Action: p.actions.filter((a) => a !== without),
      Resource: RESOURCE[p.resource],
    }))
    .filter((statement) => statement.Action.length > 0);
}

/** Client settings signed with a new key held to `permissions` (less `without`). */
async function principal(name: string, permissions: IamPermissions, without?: string) {
  const key = `ASIATEST${randomBytes(6).toString('hex').toUpperCase()}`;
  const answer = await admin('POST', '/iam/principals', {
    accessKeyId: key,
    principalArn: `arn:aws:sts::${SANDBOX_ACCOUNT_ID}:assumed-role/cleanup/${name}`,
    accountId: SANDBOX_ACCOUNT_ID,
    function: name,
    policies: [
      {
        where: `${name}.policy`,
        document: { Version: '2012-10-17', Statement: statements(permissions, without) },
      },
    ],
  });
  expect(answer.status).toBe(201);
  return {
    ...awsClientConfig(),
    credentials: { accessKeyId: key, secretAccessKey: 'secret', sessionToken: 'token' },
  };
}

async function denialsOf(name: string): Promise<Denial[]> {
  return ((await admin('GET', '/iam/denials')).body as { denials: Denial[] }).denials.filter(
    (d) => d.function === name,
  );
}

const setup = { ecs: new ECSClient(awsClientConfig()), lambda: new LambdaClient(awsClientConfig()) };

beforeAll(async () => {
  const cluster = uniqueName('iam');
  const size = { cpu: 64, memory: 128 };
  await setup.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const definition = await setup.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: uniqueName('iam'),
      containerDefinitions: [{ name: 'app', image: `${host}/${repository}:v1`, ...size }],
    }),
  );
  const taskDefinition = definition.taskDefinition?.taskDefinitionArn as string;
  await setup.ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: uniqueName('svc'),
      taskDefinition,
      desiredCount: 1,
      launchType: 'FARGATE',
    }),
  );
  await setup.ecs.send(new RunTaskCommand({ cluster, taskDefinition, launchType: 'FARGATE' }));
  const role = `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:role/${uniqueName('iam-fn')}`;
  await createRole(role);
  await setup.lambda.send(
    new CreateFunctionCommand({
      FunctionName: uniqueName('iam-fn'),
      PackageType: 'Image',
      Role: role,
      Code: { ImageUri: `${host}/${repository}:v2` },
    }),
  );
});

afterAll(() => {
  setup.ecs.destroy();
  setup.lambda.destroy();
});

describe('the protection signals under IAM', () => {
  it('read everything with exactly the permissions they declare', async () => {
    // Prepare
    const name = uniqueName('cleanup');
    const all = [...ecsInUsePermissions, ...lambdaInUsePermissions, ...inspectorInUsePermissions];
    const config = await principal(name, all);
    const signals = [
      ecsInUse(new ECSClient(config), { taskDefinitionRevisions: 2, registry }),
      lambdaInUse(new LambdaClient(config), { registry }),
      inspectorInUse(new Inspector2Client(config), { withinDays: 7, registry }),
    ];

    // Act
    const reports = await Promise.all(
      signals.map((s) => s.read({ repositories: [repository], now: new Date() })),
    );

    // Assess
    expect(await denialsOf(name)).toEqual([]);
    expect(reports.flatMap((r) => r.doubts)).toEqual([]);
    const [ecs, lambda] = reports;
    expect(ecs?.uses.map((u) => u.reason.split(' ').slice(0, 2).join(' ')).sort()).toEqual([
      'ECS service',
      'ECS task',
      'ECS task',
    ]);
    expect(lambda?.uses).toHaveLength(1);
  });

  it.each([
    ['ecs:DescribeTasks', ecsInUsePermissions],
    ['ecs:DescribeServices', ecsInUsePermissions],
    ['lambda:GetFunction', lambdaInUsePermissions],
  ] as const)('doubts, never throws, when the role lacks %s', async (action, permissions) => {
    // Prepare
    const name = uniqueName('cleanup');
    const config = await principal(name, permissions, action);
    const signal = action.startsWith('ecs:')
      ? ecsInUse(new ECSClient(config), { taskDefinitionRevisions: 2, registry })
      : lambdaInUse(new LambdaClient(config), { registry });

    // Act
    const report = await signal.read({ repositories: [repository], now: new Date() });

    // Assess
    expect(report.doubts.length).toBeGreaterThan(0);
    expect(report.doubts.every((d) => d.reason.includes('AccessDeniedException'))).toBe(true);
    expect((await denialsOf(name)).map((d) => d.action)).toContain(action);
  });
});
