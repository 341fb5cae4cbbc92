import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { applyRepositoryPlan } from '../cleanup/apply-cleanup.ts';
import { composeCleanup } from '../cleanup/compose.ts';
import { planCleanup } from '../cleanup/plan-cleanup.ts';
import { type PlanJson, planJson, planText } from '../cleanup/plan-report.ts';
import type { RepositoryOutcome } from '../cleanup/ports.ts';
import type { SentinelConfig } from '../config/schema.ts';
import { callerIdentity } from '../shared/caller-identity.ts';
import { pushImage } from './push.ts';
import { sampleImage } from './sample-images.ts';

/** How far ahead the chapter judges the repository: the builds it pushes now are a month old by then. */
const DAYS_AHEAD = 30;
const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/** What the cleanup chapter did, for printing as text or JSON. */
export interface CleanupChapter {
  repositoryName: string;
  /** The builds pushed (tag, or `latest` moved by CI leaving the previous one untagged). */
  pushed: Array<{ tag: string; imageDigest: string }>;
  /** The ECS service that runs the oldest build. */
  running: { cluster: string; service: string; tag: string };
  /** `cleanup plan --now …` as of {@link DAYS_AHEAD} days from now. */
  now: string;
  plan: PlanJson;
  planText: string;
  /** `cleanup apply --yes`: what happened. */
  outcome: RepositoryOutcome;
  /** Digests left in the repository after the apply. */
  left: string[];
}

/**
 * The cleanup chapter on the demo's sandbox: CI pushes builds to the first application's first-environment
 * repository (and moves `latest`, leaving untagged images), an ECS service runs the oldest build; then the plan as
 * of a month later (the config's policy, ECS protection) and the apply that deletes exactly it.
 */
export async function runCleanupChapter(options: {
  endpoint: string;
  region: string;
  config: SentinelConfig;
  tableName: string;
  repositoryName: string;
}): Promise<CleanupChapter> {
  const { endpoint, region, config, repositoryName } = options;
  const base = { endpoint, region, credentials: CREDENTIALS };
  const ecr = new ECRClient(base);
  const ecs = new ECSClient(base);
  const { accountId } = await callerIdentity(base);
  const composed = composeCleanup({
    config,
    base,
    registry: { accountId, region },
    tableName: options.tableName,
    offline: false,
  });
  try {
    const pushed: CleanupChapter['pushed'] = [];
    for (const tag of ['1.1.0', '1.1.1', '1.1.2', '1.1.3', '1.1.4']) {
      const image = sampleImage(`${repositoryName}:${tag}`);
      pushed.push({ tag, imageDigest: (await pushImage(ecr, repositoryName, image, tag)).imageDigest });
    }
    // CI moves `latest` with each nightly: the previous nightlies stay, untagged.
    for (const night of [1, 2, 3]) {
      const image = sampleImage(`${repositoryName}:nightly-${night}`);
      pushed.push({
        tag: 'latest',
        imageDigest: (await pushImage(ecr, repositoryName, image, 'latest')).imageDigest,
      });
    }

    const running = { cluster: 'demo', service: 'orders', tag: '1.1.0' };
    await ecs.send(new CreateClusterCommand({ clusterName: running.cluster }));
    const taskDefinition = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: running.service,
          containerDefinitions: [
            {
              name: 'app',
              image: `${accountId}.dkr.ecr.${region}.amazonaws.com/${repositoryName}:${running.tag}`,
              cpu: 256,
              memory: 512,
            },
          ],
        }),
      )
    ).taskDefinition?.taskDefinitionArn;
    await ecs.send(
      new CreateServiceCommand({
        cluster: running.cluster,
        serviceName: running.service,
        taskDefinition,
        desiredCount: 1,
        launchType: 'FARGATE',
      }),
    );

    const now = new Date(Date.now() + DAYS_AHEAD * 86_400_000);
    const plan = await planCleanup(composed.deps, { repositories: [repositoryName], now });
    const entry = plan.repositories[0];
    if (!entry) throw new Error(`no plan made for ${repositoryName}`);
    const outcome = await applyRepositoryPlan({ remover: composed.remover }, entry.plan, {
      runId: 'demo',
      dryRun: false,
      now: () => new Date(),
    });
    const left = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    return {
      repositoryName,
      pushed,
      running,
      now: now.toISOString(),
      plan: planJson(plan),
      planText: planText(plan),
      outcome,
      left: (left.imageDetails ?? []).map((i) => i.imageDigest ?? ''),
    };
  } finally {
    ecr.destroy();
    ecs.destroy();
    composed.destroy();
  }
}

/** The chapter as text: the commands as typed, what they print. */
export function formatCleanupChapter(chapter: CleanupChapter): string {
  const out = [
    '',
    `Cleanup: ${chapter.repositoryName} after a month of builds (ECS service ${chapter.running.service} runs ${chapter.running.tag})`,
    `  $ ecr-sentinel cleanup plan --repository ${chapter.repositoryName} --now ${chapter.now.slice(0, 10)}`,
    ...chapter.planText
      .trimEnd()
      .split('\n')
      .map((line) => `  ${line}`),
  ];
  for (const p of chapter.plan.protected)
    out.push(`  kept ${p.imageTags.join(',') || '<untagged>'}: ${p.reason}`);
  const o = chapter.outcome;
  out.push(
    `  $ ecr-sentinel cleanup apply --repository ${chapter.repositoryName} --now ${chapter.now.slice(0, 10)} --yes`,
    `  deleted ${o.deletedCount} of ${o.expiringCount} images (BatchDeleteImage, 100 per call)${
      o.failures.length > 0 ? `; ${o.failures.length} failed` : ''
    }; ${chapter.left.length} images left`,
    '',
  );
  return out.join('\n');
}
