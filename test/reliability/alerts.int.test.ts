import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import { quarantineTag } from '../../src/scan-gate/adapters/ecr-tagger.ts';
import { CONFIG_FILE, PROJECT_ROOT, SERVERLESS_FILE } from '../../src/shared/project-root.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { awsClientConfig } from '../support/sandbox.ts';

/**
 * Exactly one alert per verdict change, whatever fails after the publish: a sandbox of its own (fault rules
 * apply to every caller of a sandbox) running every function with the example sentinel.config.yml, whose
 * `*-prod` repositories enforce `untag latest`, less its compliance section: the compliance functions would alert
 * on every repository a test creates, and the handlers' Publish calls are counted here. Alerts are counted where
 * people get them: the email outbox (SNS
 * email deliveries), the Slack outbox (notify-slack's posts) and the handlers' SNS Publish calls. A scenario
 * waits for the event's last attempt through its record on the onFailure queue, never for a time.
 */

const CRITICAL = { name: 'CVE-2024-0001', severity: 'CRITICAL', package: 'openssl', version: '3.0.1' };
const ACCOUNT = '123456789012';

interface EmailDelivery {
  subject: string;
  message: string;
  messageAttributes: Record<string, { StringValue?: string }>;
}

interface FailureRecord {
  requestContext?: { condition?: string; approximateInvokeCount?: number };
  requestPayload?: { 'detail-type'?: string; detail?: Record<string, unknown> };
  responsePayload?: { errorType?: string; errorMessage?: string };
}

describe('alerts under faults: one per verdict change', () => {
  let sandbox: Sandbox;
  let ecr: ECRClient;
  let sqs: SQSClient;
  let store: ReturnType<typeof dynamoVerdicts>;
  let onFailureUrl = '';
  /** Every onFailure record read so far (the queue is drained as it is read). */
  const failures: FailureRecord[] = [];

  const admin = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    sandboxAdmin(sandbox.url)(method, path, body);

  /** The example configuration without `compliance` (see above). */
  const configDir = mkdtempSync(join(tmpdir(), 'alerts-config-'));
  const configFile = join(configDir, 'sentinel.config.yml');

  beforeAll(async () => {
    const example = parseYaml(readFileSync(CONFIG_FILE, 'utf8'), { merge: true }) as Record<string, unknown>;
    delete example.compliance;
    writeFileSync(configFile, stringifyYaml(example, { aliasDuplicateObjects: false }));
    sandbox = await startSandbox({
      port: 0,
      scanDelayMs: 50,
      log: () => {},
      runtime: {
        serverlessFile: SERVERLESS_FILE,
        projectRoot: PROJECT_ROOT,
        stage: 'reliability',
        retryDelaysMs: [50, 50],
        configFile,
      },
    });
    const config = awsClientConfig(sandbox.url);
    ecr = new ECRClient(config);
    sqs = new SQSClient(config);
    const runtime = sandbox.runtime();
    store = dynamoVerdicts(
      DynamoDBDocumentClient.from(new DynamoDBClient(config)),
      runtime?.resources.SentinelTable?.ref ?? '',
    );
    onFailureUrl = runtime?.resources.OnFailureQueue?.url ?? '';
  }, 90_000);

  afterEach(async () => {
    await admin('DELETE', 'faults');
  });

  afterAll(async () => {
    await sandbox?.stop();
    rmSync(configDir, { recursive: true, force: true });
  }, 30_000);

  const idle = () => admin('POST', 'idle', { timeoutMs: 30_000 });

  /** The alert emails about `repositoryName`, by their `alertKind` message attribute. */
  async function emailKinds(repositoryName: string): Promise<string[]> {
    const { messages } = (await admin('GET', 'outbox/email')) as { messages: EmailDelivery[] };
    return messages
      .filter((m) => m.message.includes(repositoryName))
      .map((m) => m.messageAttributes.alertKind?.StringValue ?? '?');
  }

  async function slackPosts(repositoryName: string): Promise<number> {
    const { messages } = (await admin('GET', 'outbox/slack')) as { messages: unknown[] };
    return messages.filter((m) => JSON.stringify(m).includes(repositoryName)).length;
  }

  async function snsPublishes(): Promise<number> {
    const counts = (await admin('GET', 'requests')) as Record<string, Record<string, number>>;
    return counts.sns?.Publish ?? 0;
  }

  /** The onFailure records of scan events about `repositoryName`, once there are `count` of them. */
  async function scanFailures(repositoryName: string, count = 1): Promise<FailureRecord[]> {
    const ours = (r: FailureRecord) =>
      r.requestPayload?.['detail-type'] === 'ECR Image Scan' &&
      r.requestPayload.detail?.['repository-name'] === repositoryName;
    return eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: onFailureUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const m of Messages) failures.push(JSON.parse(m.Body ?? '{}') as FailureRecord);
        return failures.filter(ours);
      },
      (found) => found.length >= count,
      60_000,
    );
  }

  /**
   * A repository whose images ECR scans on push, holding one failing image under `tags`, whose scan's event
   * fails for good (its findings can't be read): nothing is judged or alerted yet.
   */
  async function pushUnjudgedFailingImage(repositoryName: string, tags: string[]) {
    await admin('POST', 'faults', {
      service: 'ecr',
      action: 'DescribeImageScanFindings',
      rate: 1,
      error: 'AccessDeniedException',
    });
    const pushed = await pushFailingImage(repositoryName, tags);
    await scanFailures(repositoryName);
    await idle();
    await admin('DELETE', 'faults');
    return pushed;
  }

  async function tagsOf(repositoryName: string, imageDigest: string): Promise<string[]> {
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }));
    return (out.imageDetails?.[0]?.imageTags ?? []).sort();
  }

  /** A repository whose images ECR scans on push, holding one failing image pushed as `tags` (in order). */
  async function pushFailingImage(repositoryName: string, tags: string[]) {
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
    );
    await admin('POST', 'findings', { repositoryName, imageTag: tags[0], findings: [CRITICAL] });
    const image = sampleImage(repositoryName);
    let pushed = { imageDigest: '' };
    for (const tag of tags) pushed = await pushImage(ecr, repositoryName, image, tag);
    return pushed;
  }

  function scanEvent(repositoryName: string, imageDigest: string, imageTags: string[]) {
    return {
      version: '0',
      id: `copy-${Math.random().toString(36).slice(2)}`,
      'detail-type': 'ECR Image Scan',
      source: 'aws.ecr',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${repositoryName}`],
      detail: {
        'scan-status': 'COMPLETE',
        'repository-name': repositoryName,
        'image-digest': imageDigest,
        'image-tags': imageTags,
        'finding-severity-counts': { CRITICAL: 1 },
      },
    };
  }

  it('alerts once, stores the verdict and alerts the failed untag once when ECR keeps throttling it over 3 attempts', async () => {
    // Prepare: every untag fails (ECR deletes an image whose last tag goes, so `latest` alone also
    // exercises the quarantine tag's PutImage first).
    await admin('POST', 'faults', {
      service: 'ecr',
      action: 'BatchDeleteImage',
      rate: 1,
      error: 'ThrottlingException',
    });
    await admin('DELETE', 'requests');
    const repositoryName = 'orders-api-prod';

    // Act
    const { imageDigest } = await pushFailingImage(repositoryName, ['latest']);
    const [failure] = await scanFailures(repositoryName);
    await idle();

    // Assess: the three attempts sent one verdict alert and one enforcement alert, stored the verdict once.
    expect(failure?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(failure?.responsePayload?.errorMessage).toMatch(
      /^could not remove tag latest: ThrottlingException, will retry/,
    );
    expect(await emailKinds(repositoryName)).toEqual(['new', 'enforcement-failed']);
    expect(await slackPosts(repositoryName)).toBe(2);
    expect(await snsPublishes()).toBe(2);
    expect((await store.latest(repositoryName, imageDigest))?.status).toBe('FAIL');
    expect(await store.history(repositoryName, imageDigest)).toHaveLength(1);
    expect(await tagsOf(repositoryName, imageDigest)).toEqual([quarantineTag(imageDigest), 'latest'].sort());

    // Act: ECR recovers; the scan event comes again (a redelivery, or a rescan).
    await admin('DELETE', 'faults');
    const again = await sandbox
      .runtime()
      ?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['latest']));
    await idle();

    // Assess: enforced now, and nothing more sent.
    expect(again).toMatchObject({ ok: true, result: { alert: 'none', untagged: ['latest'] } });
    expect(await tagsOf(repositoryName, imageDigest)).toEqual([quarantineTag(imageDigest)]);
    expect(await emailKinds(repositoryName)).toEqual(['new', 'enforcement-failed']);
    expect(await slackPosts(repositoryName)).toBe(2);
  });

  it('alerts once and still removes latest when storing the verdict keeps failing over 3 attempts', async () => {
    // Prepare: an image tagged v1 and latest (so the untag is a plain BatchDeleteImage of latest); every
    // save fails.
    const repositoryName = 'web-frontend-prod';
    const { imageDigest } = await pushUnjudgedFailingImage(repositoryName, ['v1', 'latest']);
    await admin('POST', 'faults', {
      service: 'dynamodb',
      action: 'BatchWriteItem',
      rate: 1,
      error: 'InternalServerError',
      status: 500,
    });
    await admin('DELETE', 'requests');

    // Act: the scan event, delivered as EventBridge does (asynchronously: three attempts, then onFailure).
    await sandbox
      .runtime()
      ?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v1']), 'Event');
    const failure = (await scanFailures(repositoryName, 2))[1];
    await idle();

    // Assess
    expect(failure?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(await emailKinds(repositoryName)).toEqual(['new']);
    expect(await slackPosts(repositoryName)).toBe(1);
    expect(await snsPublishes()).toBe(1);
    expect(await tagsOf(repositoryName, imageDigest)).toEqual(['v1']);
    expect(await store.latest(repositoryName, imageDigest)).toBeUndefined();

    // Act: DynamoDB recovers; the event comes again.
    await admin('DELETE', 'faults');
    const again = await sandbox
      .runtime()
      ?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v1', 'latest']));
    await idle();

    // Assess: stored now; the alert already went out.
    expect(again).toMatchObject({ ok: true, result: { status: 'FAIL', alert: 'none' } });
    expect((await store.latest(repositoryName, imageDigest))?.status).toBe('FAIL');
    expect(await emailKinds(repositoryName)).toEqual(['new']);
    expect(await slackPosts(repositoryName)).toBe(1);
  });

  it('sends one alert for three concurrent copies of one scan event, and stores that evaluation once', async () => {
    // Prepare
    const repositoryName = 'orders-api-dev';
    const { imageDigest } = await pushUnjudgedFailingImage(repositoryName, ['v7']);
    expect(await emailKinds(repositoryName)).toEqual([]);

    // Act: three copies at once (EventBridge delivers at least once), then one more later.
    const runtime = sandbox.runtime();
    const copies = await Promise.all(
      [1, 2, 3].map(() => runtime?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v7']))),
    );
    const replay = await runtime?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v7']));
    await idle();

    // Assess
    expect(copies.map((c) => (c?.result as { alert?: string } | undefined)?.alert).sort()).toEqual([
      'new',
      'none',
      'none',
    ]);
    expect(replay).toMatchObject({ ok: true, result: { status: 'FAIL', alert: 'none' } });
    expect(await emailKinds(repositoryName)).toEqual(['new']);
    expect(await slackPosts(repositoryName)).toBe(1);
    expect(await store.history(repositoryName, imageDigest)).toHaveLength(1);
  });

  it('stores and enforces while SNS refuses every publish, and sends the alert once when it recovers', async () => {
    // Prepare
    const repositoryName = 'payments-prod';
    const { imageDigest } = await pushUnjudgedFailingImage(repositoryName, ['v1', 'latest']);
    await admin('POST', 'faults', {
      service: 'sns',
      action: 'Publish',
      rate: 1,
      error: 'InternalError',
      status: 500,
    });

    // Act: three attempts, all refused by SNS.
    await sandbox
      .runtime()
      ?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v1']), 'Event');
    const failure = (await scanFailures(repositoryName, 2))[1];
    await idle();

    // Assess: nothing sent, but judged, stored and enforced.
    expect(failure?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(await emailKinds(repositoryName)).toEqual([]);
    expect((await store.latest(repositoryName, imageDigest))?.status).toBe('FAIL');
    expect(await tagsOf(repositoryName, imageDigest)).toEqual(['v1']);

    // Act: SNS recovers; the event comes again (EventBridge redelivers, or someone replays the onFailure record).
    await admin('DELETE', 'faults');
    const again = await sandbox
      .runtime()
      ?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v1']));
    const replay = await sandbox
      .runtime()
      ?.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v1']));
    await idle();

    // Assess: the alert nobody received goes out, once.
    expect(again).toMatchObject({ ok: true, result: { alert: 'new' } });
    expect(replay).toMatchObject({ ok: true, result: { alert: 'none' } });
    expect(await emailKinds(repositoryName)).toEqual(['new']);
    expect(await slackPosts(repositoryName)).toBe(1);
    expect(await store.history(repositoryName, imageDigest)).toHaveLength(1);
  });

  it('deleted no image in any scenario', async () => {
    for (const repositoryName of [
      'orders-api-prod',
      'web-frontend-prod',
      'orders-api-dev',
      'payments-prod',
    ]) {
      const out = await ecr.send(new DescribeImagesCommand({ repositoryName }));
      expect(out.imageDetails, repositoryName).toHaveLength(1);
    }
  });
});
