import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsInUse } from '../../src/cleanup/adapters/ecs-in-use.ts';
import type { ImageUse, SignalReport } from '../../src/cleanup/ports.ts';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/server.ts';
import { ECS_LISTINGS, pageLikeAws } from '../support/aws-paging.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The ECS signal against moto's ECS in the shared sandbox: clusters, services, FARGATE tasks and task-definition
 * revisions made with the SDK, read back by the adapter. moto answers every listing in one page and ignores
 * `sort`, so the client pages like AWS (test/support/aws-paging.ts) with two items a page.
 */

const REGION = 'us-east-1';
const registry = { accountId: SANDBOX_ACCOUNT_ID, region: REGION };
const host = `${SANDBOX_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
const DIGEST = `sha256:${'d'.repeat(64)}`;
/**
 * moto's RunTask adds up every container's cpu and memory (500 without them) and, with `awsvpc`, wants real
 * subnets: so containers are sized and the network mode left at its default. moto's tasks list only the first
 * container of their definition (AWS lists them all).
 */
const SIZE = { cpu: 64, memory: 128 };

const ecs = new ECSClient(awsClientConfig());
const calls = pageLikeAws(ecs, ECS_LISTINGS);

const repository = uniqueName('orders');
const sidecar = uniqueName('sidecar');
const family = uniqueName('orders');
const cluster = uniqueName('prod');
const service = uniqueName('orders-svc');
let revisions: string[] = [];
let clusterArn = '';

function tagsOf(report: SignalReport, reason: RegExp): string[] {
  return report.uses
    .filter((u: ImageUse) => u.repositoryName === repository && reason.test(u.reason))
    .map((u) => u.tag ?? u.digest ?? '')
    .sort();
}

beforeAll(async () => {
  clusterArn = (await ecs.send(new CreateClusterCommand({ clusterName: cluster }))).cluster
    ?.clusterArn as string;
  // Six revisions: v1 deployed by the service, v2 run as a task, v4–v6 the three newest; v3 is used by nothing.
  revisions = [];
  for (let n = 1; n <= 6; n++) {
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          { name: 'app', image: `${host}/${repository}:v${n}`, essential: true, ...SIZE },
          // Not images of the cleaned registry: another Region, Docker Hub. Another account's is kept apart.
          {
            name: 'proxy',
            image: `${SANDBOX_ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/${repository}:v${n}`,
            ...SIZE,
          },
          { name: 'log', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', ...SIZE },
          {
            name: 'shared',
            image: `210987654321.dkr.ecr.${REGION}.amazonaws.com/${sidecar}@${DIGEST}`,
            ...SIZE,
          },
        ],
      }),
    );
    revisions.push(out.taskDefinition?.taskDefinitionArn as string);
  }
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: service,
      taskDefinition: revisions[0],
      desiredCount: 1,
      launchType: 'FARGATE',
    }),
  );
  // A second service on the newest revision: named by a deployment and by its family, described once.
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: `${service}-canary`,
      taskDefinition: revisions[5],
      desiredCount: 1,
      launchType: 'FARGATE',
    }),
  );
  await ecs.send(
    new RunTaskCommand({ cluster, taskDefinition: revisions[1], launchType: 'FARGATE', count: 1 }),
  );
});

afterAll(() => {
  ecs.destroy();
});

describe('the ECS protection signal', () => {
  it('protects what tasks run, what services deploy and the newest revisions of each family', async () => {
    // Prepare
    const signal = ecsInUse(ecs, { taskDefinitionRevisions: 3, registry });
    calls.clear();

    // Act
    const report = await signal.read({ repositories: [repository, sidecar], now: new Date() });

    // Assess
    expect(report.doubts).toEqual([]);
    expect(tagsOf(report, /^ECS service /)).toEqual(['v1', 'v6']);
    expect(report.uses).toContainEqual({
      repositoryName: repository,
      tag: 'v1',
      reason: `ECS service ${service} (cluster ${cluster}) deployment uses task definition ${family}:1`,
    });
    expect(tagsOf(report, /^ECS task arn:.* runs it$/)).toEqual(['v2']);
    expect(tagsOf(report, /^ECS task definition /)).toEqual(['v4', 'v5', 'v6']);
    const tags = new Set(report.uses.filter((u) => u.repositoryName === repository).map((u) => u.tag));
    expect(tags.has('v3')).toBe(false);
    // Another account's image of the cleaned Region keeps its registry; other Regions and registries don't count.
    expect(report.uses).toContainEqual(
      expect.objectContaining({ repositoryName: sidecar, registryId: '210987654321', digest: DIGEST }),
    );
    expect(report.uses.every((u) => u.repositoryName === repository || u.repositoryName === sidecar)).toBe(
      true,
    );
  });

  it('reads every page of every listing and describes each task definition once', async () => {
    // Prepare
    const signal = ecsInUse(ecs, { taskDefinitionRevisions: 3, registry });
    calls.clear();

    // Act
    await signal.read({ repositories: [repository], now: new Date() });

    // Assess: six revisions in pages of two, newest first: two pages give the three newest, the third is not read.
    expect(calls.count('ListTaskDefinitionsCommand', (input) => input.familyPrefix === family)).toBe(2);
    expect(calls.count('ListServicesCommand', (input) => input.cluster === clusterArn)).toBe(1);
    // v1 and v6 (services), v4–v6 (family): four task definitions, each described once. The task's own
    // container names its image, so v2 needs no description.
    const ofFamily = (input: Record<string, unknown>) => String(input.taskDefinition).includes(`/${family}:`);
    expect(calls.count('DescribeTaskDefinitionCommand', ofFamily)).toBe(4);
  });

  it.each([
    ['AccessDeniedException', 'ListClusters'],
    ['ThrottlingException', 'DescribeTaskDefinition'],
    ['AccessDeniedException', 'ListTaskDefinitionFamilies'],
  ])('reports a doubt, not a throw, when ECS answers %s to %s', async (error, action) => {
    // Prepare
    const signal = ecsInUse(ecs, { taskDefinitionRevisions: 3, registry });
    const rule = (await admin('POST', '/faults', { service: 'ecs', action, error, times: 1 })).body as {
      id: string;
    };

    // Act
    let report: SignalReport;
    try {
      report = await signal.read({ repositories: [repository], now: new Date() });
    } finally {
      await admin('DELETE', `/faults/${rule.id}`);
    }

    // Assess: one failed call; it is a doubt on every repository for each reading that needed its answer (a task
    // definition of another test's service may be both a deployment's and its family's newest).
    expect(report.doubts.length).toBeGreaterThanOrEqual(1);
    for (const doubt of report.doubts) {
      expect(doubt).toMatchObject({ signal: 'ecs' });
      expect(doubt.repositoryName).toBeUndefined();
      expect(doubt.reason).toContain(error);
    }
  });
});
