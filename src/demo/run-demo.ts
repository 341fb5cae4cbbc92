import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  type ImageDetail,
  RepositoryAlreadyExistsException,
} from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SentinelConfig } from '../config/schema.ts';
import { allBlocks, type SlackMessage } from '../notifications/index.ts';
import { dynamoVerdicts } from '../scan-gate/adapters/dynamodb-verdicts.ts';
import { isScanRunning } from '../scan-gate/domain/scan-status.ts';
import { applicationRepositories } from '../shared/environments.ts';
import { type CleanupChapter, runCleanupChapter } from './cleanup-chapter.ts';
import { type PromotionChapter, runPromotionChapter } from './promotion-chapter.ts';
import { pushImage } from './push.ts';
import { sampleImage } from './sample-images.ts';

/** What the demo did, for printing as text or JSON. */
export interface DemoReport {
  endpoint: string;
  repositories: Array<{ repositoryName: string; scanOnPush: boolean }>;
  pushes: Array<{ repositoryName: string; imageTag: string; imageDigest: string; blobsUploaded: number }>;
  scans: Array<{
    repositoryName: string;
    imageDigest: string;
    status: string;
    severityCounts: Record<string, number>;
  }>;
  images: Array<{
    repositoryName: string;
    imageDigest: string;
    imageTags: string[];
    imageSizeInBytes: number;
  }>;
  events: Array<{ detailType: string; source: string; detail: Record<string, unknown> }>;
  /** What the local Lambda runtime ran because of this scenario's events. */
  invocations: Array<{ function: string; trigger: string; ok: boolean; result?: unknown; error?: unknown }>;
  inventoryTable: string;
  inventory: Array<{ repositoryName: string; imageDigest: string; tags: string[]; sizeInBytes: number }>;
  /** The scan gate's verdict per pushed image, as on-scan-completed stored it. */
  verdicts: Array<{
    repositoryName: string;
    imageTag: string;
    imageDigest: string;
    status: string;
    reason: string;
    blocking: string[];
  }>;
  /** The scan alerts as delivered: emails from the SNS topic's email subscriptions, posts to the Slack webhook. */
  alerts: {
    email: Array<{ to: string; subject: string; message: string }>;
    slack: Array<{ text: string; blocks: number }>;
    /**
     * The subjects of the other alerts emailed by then: the compliance functions check each repository the demo
     * creates (CreateRepository) against the example config, and report its drift.
     */
    others: string[];
  };
  /** The promotion chapter: the clean image through every environment, approvals, `status`, a refusal. */
  promotion: PromotionChapter | null;
  /** The cleanup chapter: a month of builds, an ECS service, the plan and the apply. */
  cleanup: CleanupChapter | null;
}

const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/**
 * The demo scenario on a running sandbox: create the repositories of the example config's first environment
 * (and the one other the demo pushes into), push three images the way `docker push` does, scan them (one with
 * catalogue findings), and collect what ECR holds and the ECR events that reached EventBridge (through a rule
 * whose target is an SQS queue). Then the promotion chapter: the clean image of the first environment promoted
 * through the others (creating their repositories), with an approval, and the failing one refused.
 */
export async function runDemoScenario(
  endpoint: string,
  config: SentinelConfig,
  region = 'us-east-1',
): Promise<DemoReport> {
  const clientConfig = { endpoint, region, credentials: CREDENTIALS };
  const ecr = new ECRClient(clientConfig);
  const events = new EventBridgeClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));
  try {
    const queueUrl = await subscribeQueueToEcrEvents(events, sqs);

    const firstEnv = config.environments[0]?.name;
    const all = applicationRepositories(config.environments, config.applications);
    const firstRepos = all.filter((r) => r.environment === firstEnv);
    // The first environment's repositories and one other the demo pushes into; the promotion chapter's
    // copies create the rest, compliant by construction.
    const repositories = [...firstRepos, ...all.filter((r) => r.environment !== firstEnv).slice(0, 1)].map(
      (r) => ({
        repositoryName: r.repositoryName,
        // The first environment scans on push; the others get explicit scans (as the seed scripts did).
        scanOnPush: r.environment === firstEnv,
      }),
    );
    for (const repo of repositories) {
      try {
        await ecr.send(
          new CreateRepositoryCommand({
            repositoryName: repo.repositoryName,
            imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
            imageTagMutability: 'MUTABLE',
          }),
        );
      } catch (error) {
        if (!(error instanceof RepositoryAlreadyExistsException)) throw error;
      }
    }

    const devRepos = repositories.filter((r) => r.scanOnPush).map((r) => r.repositoryName);
    const otherRepo = repositories.find((r) => !r.scanOnPush)?.repositoryName;
    const plan = [
      { repositoryName: devRepos[0], imageTag: '1.0.0' },
      { repositoryName: devRepos[1] ?? devRepos[0], imageTag: '2.3.1' },
      { repositoryName: otherRepo ?? devRepos[0], imageTag: '0.9.0' },
    ].filter((p): p is { repositoryName: string; imageTag: string } => p.repositoryName !== undefined);

    // The first image "has" two CVEs: the scan reports what the sandbox's findings catalogue says.
    const vulnerable = plan[0];
    if (vulnerable) {
      await admin(endpoint, 'POST', 'findings', {
        repositoryName: vulnerable.repositoryName,
        imageTag: vulnerable.imageTag,
        findings: [
          {
            name: 'CVE-2024-6119',
            severity: 'HIGH',
            package: 'openssl',
            version: '3.0.13',
            fixedIn: '3.0.15',
          },
          {
            name: 'CVE-2023-45853',
            severity: 'CRITICAL',
            package: 'zlib',
            version: '1.2.13',
            fixedIn: '1.3.1',
          },
        ],
      });
    }

    const pushes: DemoReport['pushes'] = [];
    for (const step of plan) {
      const pushed = await pushImage(
        ecr,
        step.repositoryName,
        sampleImage(`${step.repositoryName}:${step.imageTag}`),
        step.imageTag,
      );
      pushes.push({ ...step, ...pushed });
    }
    // The pipeline takes it from here: ECR's PUSH events reach on-image-pushed, which records each image
    // and starts a scan where the repository does not scan on push.
    await admin(endpoint, 'POST', 'idle', { timeoutMs: 30_000 });

    const scans: DemoReport['scans'] = [];
    for (const push of pushes) scans.push(await waitForScan(ecr, push.repositoryName, push.imageDigest));

    const images: DemoReport['images'] = [];
    const described = await ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: repositories.map((r) => r.repositoryName) }),
    );
    for (const repo of described.repositories ?? []) {
      const page = await ecr.send(new DescribeImagesCommand({ repositoryName: repo.repositoryName }));
      for (const image of page.imageDetails ?? []) images.push(toImageRow(image));
    }

    // One PUSH per image and one scan result per image.
    const received = await drainEvents(sqs, queueUrl, pushes.length * 2);
    await admin(endpoint, 'POST', 'idle', { timeoutMs: 30_000 });
    const runtime = (await admin(endpoint, 'GET', 'functions')) as {
      resources: Record<string, { ref: string; arn?: string }>;
      history: DemoReport['invocations'];
    };
    const digests = new Set(pushes.map((p) => p.imageDigest));
    // The demo's sandbox is its own: everything the runtime ran was caused by this scenario.
    const invocations = runtime.history.map(({ function: fn, trigger, ok, result, error }) => ({
      function: fn,
      trigger,
      ok,
      result,
      error,
    }));
    const inventoryTable = runtime.resources.SentinelTable?.ref ?? '';
    const inventory = await readInventory(dynamo, inventoryTable, digests);

    // The scan chapter: what the gate decided for each image and what people were told.
    const store = dynamoVerdicts(dynamo, inventoryTable);
    const verdicts: DemoReport['verdicts'] = [];
    for (const push of pushes) {
      const verdict = await store.latest(push.repositoryName, push.imageDigest);
      verdicts.push({
        repositoryName: push.repositoryName,
        imageTag: push.imageTag,
        imageDigest: push.imageDigest,
        status: verdict?.status ?? 'NONE',
        reason: verdict?.reason ?? 'no verdict stored',
        blocking: verdict?.blocking.ids ?? [],
      });
    }
    const email = (await admin(endpoint, 'GET', 'outbox/email')) as {
      messages: Array<
        DemoReport['alerts']['email'][number] & { messageAttributes?: Record<string, unknown> }
      >;
    };
    const slack = (await admin(endpoint, 'GET', 'outbox/slack')) as {
      messages: Array<{ payload: Partial<SlackMessage> }>;
    };
    // Scan verdict alerts are the ones with an alertKind attribute (notifications' SNS attributes); a Slack post's
    // text is its alert's subject. The rest (compliance drift of the new repositories) are listed apart.
    const verdictEmails = email.messages.filter((m) => m.messageAttributes?.alertKind !== undefined);
    const verdictSubjects = new Set(verdictEmails.map((m) => m.subject));
    const alerts = {
      email: verdictEmails.map(({ to, subject, message }) => ({ to, subject, message })),
      slack: slack.messages
        .filter((m) => verdictSubjects.has(m.payload.text ?? ''))
        .map((m) => ({
          text: m.payload.text ?? '',
          // The blocks of the post, its coloured attachment's included.
          blocks: allBlocks({ text: '', blocks: [], ...m.payload }).length,
        })),
      others: email.messages
        .filter((m) => m.messageAttributes?.alertKind === undefined)
        .map((m) => m.subject),
    };

    // The promotion chapter: the first environment's clean image through the others; its failing one refused.
    const inFirst = (v: DemoReport['verdicts'][number]) =>
      firstRepos.find((r) => r.repositoryName === v.repositoryName);
    const clean = verdicts.find((v) => v.status === 'PASS' && inFirst(v));
    const failing = verdicts.find((v) => v.status === 'FAIL' && inFirst(v));
    const cleanApp = clean && inFirst(clean)?.application;
    const failingApp = failing && inFirst(failing)?.application;
    const promotion =
      clean && cleanApp
        ? await runPromotionChapter({
            endpoint,
            region,
            config,
            tableName: inventoryTable,
            alertsTopicArn: runtime.resources.AlertsTopic?.arn ?? runtime.resources.AlertsTopic?.ref,
            image: { app: cleanApp, version: clean.imageTag, digest: clean.imageDigest },
            ...(failing && failingApp ? { refused: { app: failingApp, version: failing.imageTag } } : {}),
            idle: async () => {
              await admin(endpoint, 'POST', 'idle', { timeoutMs: 30_000 });
            },
            outbox: async () => ({
              email: ((await admin(endpoint, 'GET', 'outbox/email')) as typeof email).messages,
              slack: ((await admin(endpoint, 'GET', 'outbox/slack')) as typeof slack).messages,
            }),
          })
        : null;
    // The cleanup chapter: the first application's first-environment repository after a month of builds.
    const cleanupRepository = devRepos[0];
    const cleanup = cleanupRepository
      ? await runCleanupChapter({
          endpoint,
          region,
          config,
          tableName: inventoryTable,
          repositoryName: cleanupRepository,
        })
      : null;
    return {
      endpoint,
      repositories,
      pushes,
      scans,
      images,
      events: received,
      invocations,
      inventoryTable,
      inventory,
      verdicts,
      alerts,
      promotion,
      cleanup,
    };
  } finally {
    ecr.destroy();
    events.destroy();
    sqs.destroy();
    dynamo.destroy();
  }
}

/** Call the sandbox admin API and return its JSON answer; a non-2xx answer is an error naming the route. */
async function admin(
  endpoint: string,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${endpoint}/_sandbox/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`sandbox ${method} /_sandbox/${route} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The inventory rows of the given digests (the demo's table is small: one Scan is enough). */
async function readInventory(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  digests: Set<string>,
): Promise<DemoReport['inventory']> {
  const out = await dynamo.send(new ScanCommand({ TableName: tableName }));
  return (out.Items ?? [])
    .filter((item) => item.entity === 'Image' && digests.has(String(item.imageDigest)))
    .map((item) => ({
      repositoryName: String(item.repositoryName),
      imageDigest: String(item.imageDigest),
      tags: [...((item.tags as Set<string> | undefined) ?? [])].sort(),
      sizeInBytes: Number(item.sizeInBytes ?? 0),
    }));
}

function toImageRow(image: ImageDetail): DemoReport['images'][number] {
  return {
    repositoryName: image.repositoryName ?? '',
    imageDigest: image.imageDigest ?? '',
    imageTags: image.imageTags ?? [],
    imageSizeInBytes: image.imageSizeInBytes ?? 0,
  };
}

/**
 * A rule on the default bus for the image events ECR and Inspector emit (pushes, deletions, scans), delivering to
 * a queue we can read. ECR's control-plane calls reach the bus too, as `AWS API Call via CloudTrail` events
 * (CreateRepository…); the demo tells the story of images, so the rule leaves those out.
 * The InputTransformer makes moto deliver the whole event quickly (see DESIGN.md, moto facts).
 */
async function subscribeQueueToEcrEvents(events: EventBridgeClient, sqs: SQSClient): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'ecr-sentinel-demo-events' }));
  if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = attributes.Attributes?.QueueArn;
  if (!queueArn) throw new Error('GetQueueAttributes returned no QueueArn');
  const { RuleArn } = await events.send(
    new PutRuleCommand({
      Name: 'ecr-sentinel-demo-ecr-events',
      EventPattern: JSON.stringify({
        source: ['aws.ecr', 'aws.inspector2'],
        'detail-type': [{ 'anything-but': ['AWS API Call via CloudTrail'] }],
      }),
      State: 'ENABLED',
    }),
  );
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: queueArn,
              Condition: { ArnEquals: { 'aws:SourceArn': RuleArn } },
            },
          ],
        }),
      },
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'ecr-sentinel-demo-ecr-events',
      Targets: [
        {
          Id: 'demo-queue',
          Arn: queueArn,
          InputTransformer: { InputPathsMap: { id: '$.id' }, InputTemplate: '<aws.events.event.json>' },
        },
      ],
    }),
  );
  return QueueUrl;
}

/** Poll the scan with backoff until it is no longer running (at most ~30 s). */
async function waitForScan(
  ecr: ECRClient,
  repositoryName: string,
  imageDigest: string,
): Promise<DemoReport['scans'][number]> {
  let delay = 50;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const result = await ecr.send(
        new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest } }),
      );
      const status = result.imageScanStatus?.status ?? 'UNKNOWN';
      if (!isScanRunning(status)) {
        const counts = result.imageScanFindings?.findingSeverityCounts ?? {};
        return { repositoryName, imageDigest, status, severityCounts: counts };
      }
    } catch (error) {
      // The scan record may not exist for a moment after the push; anything else is a real failure.
      if ((error as { name?: string }).name !== 'ScanNotFoundException') throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`scan of ${repositoryName}@${imageDigest} did not finish within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

/** Read events from the queue until `expected` arrived or 20 s passed. */
async function drainEvents(
  sqs: SQSClient,
  queueUrl: string,
  expected: number,
): Promise<DemoReport['events']> {
  const out: DemoReport['events'] = [];
  const deadline = Date.now() + 20_000;
  while (out.length < expected && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of Messages) {
      const event = JSON.parse(message.Body ?? '{}') as Record<string, unknown>;
      out.push({
        detailType: String(event['detail-type']),
        source: String(event.source),
        detail: (event.detail ?? {}) as Record<string, unknown>,
      });
    }
    if (Messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }
  return out;
}
