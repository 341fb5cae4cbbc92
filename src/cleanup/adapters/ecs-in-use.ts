import {
  type ContainerDefinition,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  paginateListClusters,
  paginateListServices,
  paginateListTaskDefinitionFamilies,
  paginateListTaskDefinitions,
  paginateListTasks,
} from '@aws-sdk/client-ecs';
import type { IamPermissions } from '../../shared/iam.ts';
import { type CleanedRegistry, imageUseOf, usesOf } from '../domain/image-uri.ts';
import type { ImageUse, ProtectionSignal, SignalDoubt } from '../ports.ts';
import { doubtOf } from './signal-doubt.ts';

const SIGNAL = 'ecs';

/** The largest page of every ECS List* call used here, and the most tasks DescribeTasks takes. */
const PAGE = 100;
/** DescribeServices takes at most 10 services. */
const SERVICES_PER_DESCRIBE = 10;

/**
 * What {@link ecsInUse} calls, with the resource types of the Service Authorization Reference: ListClusters,
 * ListServices (condition `ecs:cluster` only), ListTaskDefinitionFamilies, ListTaskDefinitions and
 * DescribeTaskDefinition have none; ListTasks of a whole cluster is authorised on `*` (see
 * ACTIONS_ONLY_ON_ANY_RESOURCE); DescribeTasks acts on the task, DescribeServices on the service.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 */
export const ecsInUsePermissions: IamPermissions = [
  {
    actions: [
      'ecs:ListClusters',
      'ecs:ListServices',
      'ecs:ListTasks',
      'ecs:ListTaskDefinitionFamilies',
      'ecs:ListTaskDefinitions',
      'ecs:DescribeTaskDefinition',
    ],
    resource: '*',
  },
  { actions: ['ecs:DescribeTasks'], resource: 'ecs-task' },
  { actions: ['ecs:DescribeServices'], resource: 'ecs-service' },
];

/** What {@link ecsInUse} needs besides the client. */
export interface EcsInUseOptions {
  /** How many of the newest ACTIVE revisions of each task-definition family count as in use (rollback targets). */
  readonly taskDefinitionRevisions: number;
  /** The account and Region being cleaned: only ECR images of that Region count. */
  readonly registry: CleanedRegistry;
}

/** The last segment of an ARN's resource (`…:cluster/prod` → `prod`, `…:task-definition/web:3` → `web:3`). */
function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** The revision number of a task definition ARN (`…/web:42` → 42). */
function revisionOf(arn: string): number {
  return Number(arn.slice(arn.lastIndexOf(':') + 1));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

/**
 * The `ecs` protection signal: what Amazon ECS runs, is deploying, or may roll back to.
 *
 * - every RUNNING task of every cluster (a task still starting has desired status RUNNING too: ECS never sets a
 *   desired status of PENDING); a container's `imageDigest`, the digest ECS resolved when the task started, is
 *   the truth, else the image its task definition names;
 * - every deployment of every service (the primary and any still active during a rollout): its task definition;
 * - the newest `taskDefinitionRevisions` ACTIVE revisions of each family (what a rollback would start).
 *
 * Every List* call is read to its last page. A task definition is described once per read however many tasks,
 * services or families name it. A call that fails leaves a doubt naming what could not be read; the rest is still
 * read.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Container.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html
 */
export function ecsInUse(ecs: ECSClient, options: EcsInUseOptions): ProtectionSignal {
  const { registry } = options;
  return {
    name: SIGNAL,
    async read({ repositories }) {
      const uses: ImageUse[] = [];
      const doubts: SignalDoubt[] = [];
      const definitions = new Map<string, Promise<ContainerDefinition[]>>();
      /** The containers of a task definition, described once per read. */
      const containersOf = (arn: string): Promise<ContainerDefinition[]> => {
        let found = definitions.get(arn);
        if (found === undefined) {
          found = ecs
            .send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))
            .then((out) => out.taskDefinition?.containerDefinitions ?? []);
          definitions.set(arn, found);
        }
        return found;
      };
      const useDefinition = async (arn: string, reason: string) => {
        for (const container of await containersOf(arn)) {
          const use =
            container.image === undefined ? undefined : imageUseOf(container.image, registry, reason);
          if (use) uses.push(use);
        }
      };
      const attempt = async (reading: string, read: () => Promise<void>) => {
        try {
          await read();
        } catch (error) {
          doubts.push(doubtOf(SIGNAL, reading, error));
        }
      };

      const clusters: string[] = [];
      await attempt('the ECS clusters (ListClusters)', async () => {
        for await (const page of paginateListClusters({ client: ecs, pageSize: PAGE }, {})) {
          clusters.push(...(page.clusterArns ?? []));
        }
      });

      for (const cluster of clusters) {
        const clusterName = lastSegment(cluster);
        await attempt(`the tasks of ECS cluster ${clusterName}`, async () => {
          const taskArns: string[] = [];
          const pages = paginateListTasks(
            { client: ecs, pageSize: PAGE },
            { cluster, desiredStatus: 'RUNNING' },
          );
          for await (const page of pages) taskArns.push(...(page.taskArns ?? []));
          for (const chunk of chunks(taskArns, PAGE)) {
            const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: chunk }));
            for (const task of out.tasks ?? []) {
              const definition = task.taskDefinitionArn;
              const reason = `ECS task ${task.taskArn} (cluster ${clusterName}) runs it`;
              for (const container of task.containers ?? []) {
                // The digest ECS pulled is the truth; without one, the image of that container's definition.
                const image = container.image ?? (await imageOfContainer(definition, container.name));
                const use = image === undefined ? undefined : imageUseOf(image, registry, reason);
                if (use === undefined) continue;
                if (container.imageDigest !== undefined) {
                  const { tag: _tag, ...byDigest } = use;
                  uses.push({ ...byDigest, digest: container.imageDigest });
                } else uses.push(use);
              }
              if ((task.containers ?? []).length === 0 && definition !== undefined) {
                await useDefinition(definition, reason);
              }
            }
          }
        });

        await attempt(`the services of ECS cluster ${clusterName}`, async () => {
          const serviceArns: string[] = [];
          const pages = paginateListServices({ client: ecs, pageSize: PAGE }, { cluster });
          for await (const page of pages) serviceArns.push(...(page.serviceArns ?? []));
          for (const chunk of chunks(serviceArns, SERVICES_PER_DESCRIBE)) {
            const out = await ecs.send(new DescribeServicesCommand({ cluster, services: chunk }));
            for (const service of out.services ?? []) {
              const deployments = service.deployments ?? [];
              const deployed = deployments.length
                ? deployments.map((d) => d.taskDefinition)
                : [service.taskDefinition];
              for (const definition of deployed) {
                if (definition === undefined) continue;
                await useDefinition(
                  definition,
                  `ECS service ${service.serviceName} (cluster ${clusterName}) deployment uses task definition ${lastSegment(definition)}`,
                );
              }
            }
          }
        });
      }

      /** The image of a task's container as its task definition names it. */
      async function imageOfContainer(definition: string | undefined, name: string | undefined) {
        if (definition === undefined) return undefined;
        const containers = await containersOf(definition);
        return containers.find((c) => c.name === name)?.image;
      }

      await attempt('the ECS task definition families', async () => {
        const families: string[] = [];
        const pages = paginateListTaskDefinitionFamilies(
          { client: ecs, pageSize: PAGE },
          { status: 'ACTIVE' },
        );
        for await (const page of pages) families.push(...(page.families ?? []));
        for (const family of families) {
          for (const arn of await newestRevisions(family, options.taskDefinitionRevisions)) {
            await useDefinition(
              arn,
              `ECS task definition ${lastSegment(arn)} is one of the ${options.taskDefinitionRevisions} newest of family ${family}`,
            );
          }
        }
      });

      /**
       * The newest `count` ACTIVE revisions of a family: newest first (sort DESC), pages read until `count` are
       * found. The revisions found are sorted again, so a service that ignores `sort` (moto) still gives the newest.
       */
      async function newestRevisions(family: string, count: number): Promise<string[]> {
        if (count <= 0) return [];
        const found: string[] = [];
        const pages = paginateListTaskDefinitions(
          { client: ecs, pageSize: PAGE },
          { familyPrefix: family, status: 'ACTIVE', sort: 'DESC' },
        );
        for await (const page of pages) {
          // `familyPrefix` takes the full family name, but keep only that family's ARNs in any case.
          found.push(
            ...(page.taskDefinitionArns ?? []).filter((arn) => lastSegment(arn).startsWith(`${family}:`)),
          );
          if (found.length >= count) break;
        }
        return found.sort((a, b) => revisionOf(b) - revisionOf(a)).slice(0, count);
      }

      return { uses: usesOf(uses, repositories), doubts };
    },
  };
}
