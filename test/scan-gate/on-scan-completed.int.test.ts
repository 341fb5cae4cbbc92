import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDocument } from '../../src/notifications/index.ts';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import { quarantineTag } from '../../src/scan-gate/adapters/ecr-tagger.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { type DestinationRecord, onFailureRecord, startFunctionUnderTest } from '../support/runtime.ts';
import { admin, awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * The on-scan-completed flow on the shared sandbox: an image pushed with catalogue findings is scanned, ECR
 * emits `ECR Image Scan`, moto's EventBridge routes it through serverless.yml's rule, the runtime invokes the
 * handler, the verdict lands in DynamoDB and the alert on the runtime's AlertsTopic (read here through an SQS
 * subscription and the sandbox's email outbox). Every runtime on the shared sandbox handles every scan event
 * (each into its own stage's table and topic), so assertions filter by this test's repositories and
 * subscriptions, and enforcement is checked on the image rather than on who removed the tag.
 */

const SAMPLES_DIR = fileURLToPath(new URL('../../events/aws/', import.meta.url));
const ACCOUNT = '123456789012';
/** This runtime's stage: its alerts name it with the account and Region. */
const STAGE = uniqueName('scan').slice(0, 20);

interface EmailMessage {
  to: string;
  subject?: string;
  message: string;
}

const CRITICAL = {
  name: 'CVE-2024-0001',
  severity: 'CRITICAL',
  package: 'openssl',
  version: '3.0.1',
  fixedIn: '3.0.13',
};
const HIGH = { name: 'CVE-2024-0002', severity: 'HIGH', package: 'zlib', version: '1.2.11' };

describe('on-scan-completed on the sandbox', () => {
  let runtime: LambdaRuntime;
  const ecr = new ECRClient(awsClientConfig());
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig()));
  const sqs = new SQSClient(awsClientConfig());
  const sns = new SNSClient(awsClientConfig());
  const events = new EventBridgeClient(awsClientConfig());
  let store: ReturnType<typeof dynamoVerdicts>;
  let alertsUrl = '';
  const email = `${uniqueName('alerts')}@example.com`;
  /** Every alert document read from the SQS subscription so far (the queue is drained as it is read). */
  const alerts: AlertDocument[] = [];

  beforeAll(async () => {
    runtime = await startFunctionUnderTest('onScanCompleted', 'scan', { stage: STAGE });
    store = dynamoVerdicts(doc, runtime.resources.SentinelTable?.ref ?? '');
    const topicArn = runtime.resources.AlertsTopic?.arn ?? runtime.resources.AlertsTopic?.ref ?? '';

    const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('alerts-sqs') }));
    alertsUrl = QueueUrl;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: email }));
  }, 60_000);

  afterAll(async () => {
    await runtime.stop();
  }, 30_000);

  /** Drain the alerts queue into `alerts`, then the ones about this repository. */
  async function alertsFor(repositoryName: string): Promise<AlertDocument[]> {
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: alertsUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages) alerts.push(JSON.parse(m.Body ?? '{}') as AlertDocument);
    }
    return alerts.filter((a) => a.repositoryName === repositoryName);
  }

  async function emailsFor(repositoryName: string): Promise<EmailMessage[]> {
    const { body } = await admin('GET', 'outbox/email');
    return (body as { messages: EmailMessage[] }).messages.filter(
      (m) => m.to === email && m.message.includes(repositoryName),
    );
  }

  async function createRepository(repositoryName: string) {
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
    );
  }

  async function tagsOf(repositoryName: string, imageDigest: string): Promise<string[] | undefined> {
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }));
    return out.imageDetails?.[0]?.imageTags ?? [];
  }

  function scanEvent(
    repositoryName: string,
    imageDigest: string,
    imageTags: string[],
    detail: Record<string, unknown> = {},
  ) {
    return {
      version: '0',
      id: uniqueName('evt'),
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
        'finding-severity-counts': {},
        ...detail,
      },
    };
  }

  it('judges a pushed image when its scan completes: verdict stored by digest, one alert by SQS and email', async () => {
    // Prepare
    const repositoryName = uniqueName('gate');
    await createRepository(repositoryName);
    await admin('POST', 'findings', { repositoryName, imageTag: 'v1.2.3', findings: [CRITICAL, HIGH] });

    // Act
    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1.2.3');
    const verdict = await eventually(
      () => store.latest(repositoryName, imageDigest),
      (v) => v !== undefined,
    );
    const sent = await eventually(
      () => alertsFor(repositoryName),
      (a) => a.length > 0,
    );
    const mails = await eventually(
      () => emailsFor(repositoryName),
      (m) => m.length > 0,
    );

    // Assess
    expect(verdict).toMatchObject({
      status: 'FAIL',
      repositoryName,
      imageDigest,
      imageTags: ['v1.2.3'],
      scanStatus: 'COMPLETE',
      reason: '1 CRITICAL (max 0), 1 HIGH (max 0)',
      countsBefore: { CRITICAL: 1, HIGH: 1, MEDIUM: 0 },
      countsAfter: { CRITICAL: 1, HIGH: 1 },
      blocking: { ids: ['CVE-2024-0001', 'CVE-2024-0002'] },
    });
    expect(verdict?.blocking.details[0]).toMatchObject({
      id: 'CVE-2024-0001',
      severity: 'CRITICAL',
      package: 'openssl',
      installedVersion: '3.0.1',
    });
    expect(verdict?.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(verdict?.scanCompletedAt ?? '')).toBeGreaterThan(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      type: 'ecr-sentinel.scan-verdict',
      kind: 'new',
      status: 'FAIL',
      imageDigest,
      worstSeverity: 'CRITICAL',
      blocking: { count: 2, ids: ['CVE-2024-0001', 'CVE-2024-0002'] },
    });
    expect(sent[0]?.subject).toBe(
      `[FAIL] ${repositoryName}@${imageDigest.slice(0, 19)}… (v1.2.3): 1 CRITICAL, 1 HIGH`,
    );
    expect(sent[0]).toMatchObject({ accountId: ACCOUNT, region: 'us-east-1', stage: STAGE });
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe(sent[0]?.subject);
    expect(mails[0]?.message).toContain(`Account:     ${ACCOUNT}, us-east-1, stage ${STAGE}`);
    expect(mails[0]?.message).toContain('Blocking vulnerabilities (2):');
    expect(mails[0]?.message).toContain('CVE-2024-0001');
  });

  it('sends nothing for the same scan event again, stores that evaluation once, and judges an Inspector2 event with the same model', async () => {
    // Prepare
    const repositoryName = uniqueName('again');
    await createRepository(repositoryName);
    await admin('POST', 'findings', { repositoryName, imageTag: 'v1', findings: [HIGH] });
    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
    await eventually(
      () => alertsFor(repositoryName),
      (a) => a.length === 1,
    );
    await runtime.idle(10_000);
    const event = scanEvent(repositoryName, imageDigest, ['v1'], { 'finding-severity-counts': { HIGH: 1 } });
    const inspector = {
      ...event,
      id: uniqueName('inspector'),
      'detail-type': 'Inspector2 Scan',
      source: 'aws.inspector2',
      detail: {
        'scan-status': 'INITIAL_SCAN_COMPLETE',
        'repository-name': `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${repositoryName}`,
        'finding-severity-counts': { CRITICAL: 0, HIGH: 1, MEDIUM: 0, TOTAL: 1 },
        'image-digest': imageDigest,
        'image-tags': ['v1'],
        version: '1.0',
      },
    };

    // Act
    const first = await runtime.invoke('onScanCompleted', event);
    const second = await runtime.invoke('onScanCompleted', event);
    const enhanced = await runtime.invoke('onScanCompleted', inspector);
    await runtime.idle(10_000);

    // Assess
    const unchanged = { outcome: 'judged', status: 'FAIL', alert: 'none', repositoryName, imageDigest };
    expect(first).toMatchObject({ ok: true, result: unchanged });
    expect(second).toMatchObject({ ok: true, result: unchanged });
    expect(enhanced).toMatchObject({ ok: true, result: unchanged });
    expect(await alertsFor(repositoryName)).toHaveLength(1);
    expect(await emailsFor(repositoryName)).toHaveLength(1);
    // Four evaluations of one scan, all alike: one history item.
    const history = await store.history(repositoryName, imageDigest);
    expect(history.map((v) => v.status)).toEqual(['FAIL']);
  });

  it('fails closed on a failed scan and sends a RESOLVED alert when the image passes again', async () => {
    // Prepare: a clean image, judged PASS silently (a first PASS is not news).
    const repositoryName = uniqueName('resolve');
    await createRepository(repositoryName);
    const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v2');
    const pass = await eventually(
      () => store.latest(repositoryName, imageDigest),
      (v) => v !== undefined,
    );
    expect(pass?.status).toBe('PASS');

    // Act: a scan event that says FAILED (judged from the event alone), then the completed scan again.
    const failed = await runtime.invoke(
      'onScanCompleted',
      scanEvent(repositoryName, imageDigest, ['v2'], { 'scan-status': 'FAILED' }),
    );
    const completed = await runtime.invoke('onScanCompleted', scanEvent(repositoryName, imageDigest, ['v2']));
    const sent = await eventually(
      () => alertsFor(repositoryName),
      (a) => a.length === 2,
    );

    // Assess
    expect(failed).toMatchObject({ ok: true, result: { status: 'ERROR', alert: 'changed' } });
    expect(completed).toMatchObject({ ok: true, result: { status: 'PASS', alert: 'resolved' } });
    expect(sent.map((a) => [a.kind, a.status])).toEqual([
      ['changed', 'ERROR'],
      ['resolved', 'PASS'],
    ]);
    expect(sent[0]?.reason).toBe('scan FAILED');
    expect(sent[1]?.subject).toMatch(/^\[RESOLVED\] /);
    expect((await store.latest(repositoryName, imageDigest))?.status).toBe('PASS');
  });

  it('handles every AWS scan sample without a crash: its own registry samples are gone here, the others refused', async () => {
    const files = readdirSync(SAMPLES_DIR).filter(
      (f) => f === 'ecr-image-scan-basic.json' || /^inspector2-scan-.*\.json$/.test(f),
    );
    expect(files.length).toBeGreaterThanOrEqual(3);

    const outcomes: Record<string, unknown> = {};
    for (const file of files) {
      const event = JSON.parse(readFileSync(`${SAMPLES_DIR}${file}`, 'utf8')) as unknown;
      outcomes[file] = await runtime.invoke('onScanCompleted', event);
    }

    // The function runs in account 123456789012, us-east-1: the basic sample's registry, whose image doesn't exist.
    expect(outcomes['ecr-image-scan-basic.json']).toMatchObject({
      ok: true,
      result: { outcome: 'image-gone', alert: 'none', repositoryName: 'my-repository-name' },
    });
    // Inspector's samples name repositories of another Region and of another account.
    expect(outcomes['inspector2-scan-ecr.json']).toMatchObject({
      ok: false,
      error: { errorType: 'ForeignRegistryError', errorMessage: expect.stringContaining('region us-east-2') },
    });
    expect(outcomes['inspector2-scan-ecr-inspector-guide.json']).toMatchObject({
      ok: false,
      error: {
        errorType: 'ForeignRegistryError',
        errorMessage: expect.stringContaining('account 111122223333'),
      },
    });
  });

  it('sends a malformed scan event to the onFailure queue with its payload after the retries', async () => {
    const repositoryName = uniqueName('malformed');

    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.ecr',
            DetailType: 'ECR Image Scan',
            Detail: JSON.stringify({
              'scan-status': 'COMPLETE',
              'repository-name': repositoryName,
              'image-tags': [],
            }),
          },
        ],
      }),
    );

    const isOurs = (r: DestinationRecord) => r.requestPayload?.detail?.['repository-name'] === repositoryName;
    const record = await onFailureRecord(runtime, sqs, isOurs);
    expect(record?.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    expect(record?.responsePayload?.errorMessage).toMatch(/image-digest/);
  });

  describe('untag enforcement (prod: untag latest)', () => {
    it('removes latest from a failing image and keeps the image and its other tags', async () => {
      // Prepare: judged FAIL while tagged v1 only; then someone tags it latest.
      const repositoryName = `${uniqueName('zz')}-prod`;
      await createRepository(repositoryName);
      await admin('POST', 'findings', { repositoryName, imageTag: 'v1', findings: [HIGH] });
      const image = sampleImage(repositoryName);
      const { imageDigest } = await pushImage(ecr, repositoryName, image, 'v1');
      await eventually(
        () => store.latest(repositoryName, imageDigest),
        (v) => v !== undefined,
      );
      await ecr.send(
        new PutImageCommand({
          repositoryName,
          imageManifest: image.manifest,
          imageManifestMediaType: image.mediaType,
          imageTag: 'latest',
        }),
      );
      await runtime.idle(10_000);

      // Act: the scan event again (a redelivery, or Inspector's rescan): the gate enforces on every FAIL.
      const outcome = await runtime.invoke(
        'onScanCompleted',
        scanEvent(repositoryName, imageDigest, ['v1', 'latest']),
      );

      // Assess
      expect(outcome).toMatchObject({ ok: true, result: { status: 'FAIL', alert: 'none' } });
      expect((await tagsOf(repositoryName, imageDigest))?.sort()).toEqual(['v1']);
    });

    it('quarantine-tags an image whose only tag is latest instead of letting ECR delete it', async () => {
      const repositoryName = `${uniqueName('zz')}-prod`;
      await createRepository(repositoryName);
      await admin('POST', 'findings', { repositoryName, imageTag: 'latest', findings: [CRITICAL] });

      const { imageDigest } = await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'latest');
      const tags = await eventually(
        () => tagsOf(repositoryName, imageDigest),
        (t) => t !== undefined && !t.includes('latest'),
      );
      const sent = await eventually(
        () => alertsFor(repositoryName),
        (a) => a.length > 0,
      );
      const mails = await eventually(
        () => emailsFor(repositoryName),
        (m) => m.length > 0,
      );

      expect(tags).toEqual([quarantineTag(imageDigest)]);
      expect(quarantineTag(imageDigest)).toBe(`sentinel-blocked-${imageDigest.slice(7, 19)}`);
      expect((await store.latest(repositoryName, imageDigest))?.status).toBe('FAIL');
      // The alert went out after the untag: it names latest as removed, not as still on the image. (Another
      // stage's runtime on the shared sandbox may have removed it a moment earlier: this one then says so.)
      expect(sent[0]).toMatchObject({
        status: 'FAIL',
        kind: 'new',
        imageTags: [],
        enforcement: { action: 'untag', tags: ['latest'] },
      });
      const removedHere = sent[0]?.enforcement?.removed.includes('latest') ?? false;
      const said = removedHere
        ? 'Enforcement: removed tag latest\n'
        : 'Enforcement: no tag removed\n             skipped latest: not on this image';
      expect(mails[0]?.message).toContain(said);
      expect(mails[0]?.message).not.toMatch(/^Tags: .*latest/m);
      if (removedHere) expect(sent[0]?.subject).toMatch(/: 1 CRITICAL; removed tag latest$/);
    });
  });
});
