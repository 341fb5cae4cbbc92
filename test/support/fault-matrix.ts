import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LambdaRuntime, startLambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { SANDBOX_REGION, type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { seedSlackWebhook } from '../../src/sandbox/taps/slack.ts';
import { dynamoVerdicts } from '../../src/scan-gate/adapters/dynamodb-verdicts.ts';
import { CONFIG_FILE, PROJECT_ROOT, SERVERLESS_FILE } from '../../src/shared/project-root.ts';
import { sandboxAdmin } from './admin.ts';
import { pushImage, sampleImage } from './images.ts';

/**
 * The fault matrix of issue #8, shared by test/reliability/fault-matrix.int.test.ts (a few cells) and
 * bench/fault-matrix.ts (all of them): a sandbox of its own (fault rules apply to every caller of a sandbox) with
 * on-scan-completed and notify-slack on the example sentinel.config.yml, whose `*-prod` repositories enforce
 * `untag latest`. A cell is one fault rule (service, action, rate, error): its images — one repository each,
 * failing (a CRITICAL finding) and passing, tagged `latest` alone (the untag adds a quarantine tag first: PutImage)
 * or `v1` + `latest` (BatchDeleteImage only) — are pushed with no fault, then scanned under the fault; every
 * scan event ends handled or on the onFailure queue (Lambda's 3 attempts). Then the fault is removed and each
 * onFailure record is replayed (recovery), and the cell is counted.
 */

export interface FaultCell {
  service: 'ecr' | 'dynamodb' | 'sns';
  action: string;
  rate: number;
  error?: string;
  status?: number;
}

export interface CellCounts {
  images: number;
  /** Images whose verdict is the right one (FAIL for a CRITICAL finding, PASS otherwise) after recovery. */
  verdictsRight: number;
  /** Images with a stored verdict after the faulted phase (before any replay). */
  judgedUnderFault: number;
  /** Verdict changes: a new image's first FAIL (a first PASS is no news under `alertOn: change`). */
  changes: number;
  /** Verdict alert emails (alertKind new/changed/resolved/…), and Slack posts of any kind. */
  verdictEmails: number;
  enforcementEmails: number;
  slackPosts: number;
  /** Verdict alerts beyond one per change, and changes that never got theirs. */
  duplicated: number;
  missing: number;
  /** Slack posts that do not match an email one for one (per image). */
  slackMismatch: number;
  /** Events of the faulted phase that ended nowhere: no verdict and no onFailure record. */
  lost: number;
  /** onFailure records of the faulted phase (each carrying its event), and those replayed successfully. */
  onFailure: number;
  onFailureWithPayload: number;
  replayedOk: number;
  /** Failing images still tagged `latest` after recovery, and images ECR no longer has. */
  notEnforced: number;
  deleted: number;
  /** Calls the handlers made to the faulted action during the faulted phase (the fault's chances to fire). */
  faultedCalls: number;
}

export interface CellResult {
  cell: FaultCell;
  counts: CellCounts;
  /** Every promise the cell broke, in words (empty when it kept them all). */
  broken: string[];
}

export interface FailureRecord {
  requestContext?: { condition?: string; approximateInvokeCount?: number };
  requestPayload?: { 'detail-type'?: string; detail?: Record<string, unknown> };
  responsePayload?: { errorType?: string; errorMessage?: string };
}

interface EmailDelivery {
  message: string;
  messageAttributes: Record<string, { StringValue?: string }>;
}

interface PushedImage {
  repositoryName: string;
  imageDigest: string;
  failing: boolean;
}

const CRITICAL = { name: 'CVE-2024-0001', severity: 'CRITICAL', package: 'openssl', version: '3.0.1' };
const LOW = { name: 'CVE-2024-0002', severity: 'LOW', package: 'zlib', version: '1.2.13' };

export function cellLabel(cell: FaultCell): string {
  const error = cell.status !== undefined ? String(cell.status) : (cell.error ?? '?');
  return `${cell.service}:${cell.action} ${cell.rate} ${error}`;
}

export interface FaultMatrix {
  sandbox: Sandbox;
  runtime: LambdaRuntime;
  /** Run one cell with `images` images (at least 3: failing `latest`, failing `v1`+`latest`, passing). */
  run(cell: FaultCell, images: number): Promise<CellResult>;
  stop(): Promise<void>;
}

/** Wait for `ok` on values read every 100 ms; the last value read when the time is up. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

export async function startFaultMatrix(options: { settleTimeoutMs?: number } = {}): Promise<FaultMatrix> {
  const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
  const sandbox = await startSandbox({ port: 0, quiet: true, scanDelayMs: 20 });
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const config = { endpoint: sandbox.url, region: SANDBOX_REGION, credentials, maxAttempts: 1 };
  // The matrix's own reads of DynamoDB and SSM go to moto directly: no fault rule reaches them.
  const direct = { ...config, endpoint: sandbox.motoUrl };
  const ecr = new ECRClient(config);
  const sqs = new SQSClient(config);
  const ssm = new SSMClient(direct);
  const dynamo = new DynamoDBClient(direct);
  let runtime: LambdaRuntime;
  try {
    runtime = await startLambdaRuntime({
      endpoint: sandbox.motoUrl,
      handlerEndpoint: sandbox.url,
      serverlessFile: SERVERLESS_FILE,
      projectRoot: PROJECT_ROOT,
      stage: 'faults',
      // Only what a scan event reaches: on-image-pushed would also write under the DynamoDB faults.
      functions: ['onScanCompleted', 'notifySlack'],
      pollWaitSeconds: 1,
      retryDelaysMs: [50, 50],
      variables: { SENTINEL_CONFIG: CONFIG_FILE },
      functionEnvironment: { SENTINEL_CONFIG: CONFIG_FILE },
      log: () => {},
    });
    await seedSlackWebhook(ssm, CONFIG_FILE, sandbox.url);
  } catch (error) {
    await sandbox.stop();
    throw error;
  }
  const store = dynamoVerdicts(
    DynamoDBDocumentClient.from(dynamo),
    runtime.resources.SentinelTable?.ref ?? '',
  );
  const onFailureUrl = runtime.resources.OnFailureQueue?.url ?? '';
  /** Every onFailure record read so far (the queue is drained as it is read). */
  const failures: FailureRecord[] = [];
  let cellNumber = 0;

  const admin = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    sandboxAdmin(sandbox.url)(method, path, body);

  async function drainFailures(): Promise<void> {
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: onFailureUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return;
      for (const m of Messages) failures.push(JSON.parse(m.Body ?? '{}') as FailureRecord);
    }
  }

  const digestOf = (r: FailureRecord) => r.requestPayload?.detail?.['image-digest'];

  /** Digests whose scan event ended: handled (in the runtime's history) or on the onFailure queue. */
  async function ended(): Promise<Set<string>> {
    await drainFailures();
    const done = new Set<string>();
    for (const record of runtime.history()) {
      const digest = (record.result as { imageDigest?: string } | undefined)?.imageDigest;
      if (record.function === 'onScanCompleted' && record.ok && digest) done.add(digest);
    }
    for (const record of failures) {
      const digest = digestOf(record);
      if (typeof digest === 'string') done.add(digest);
    }
    return done;
  }

  async function faultedCalls(cell: FaultCell): Promise<number> {
    const counts = (await admin('GET', 'requests')) as Record<string, Record<string, number>>;
    return counts[cell.service]?.[cell.action] ?? 0;
  }

  async function run(cell: FaultCell, imageCount: number): Promise<CellResult> {
    cellNumber++;
    await admin('DELETE', 'faults');

    // Prepare, with no fault: one prod repository per image (each failing image owns its `latest`).
    const images: PushedImage[] = [];
    for (let i = 0; i < imageCount; i++) {
      const repositoryName = `fm${cellNumber}-i${i}-prod`;
      // i % 3: 0 failing, latest alone; 1 failing, v1 + latest; 2 passing, v1 + latest.
      const failing = i % 3 !== 2;
      const tags = i % 3 === 0 ? ['latest'] : ['v1', 'latest'];
      await ecr.send(new CreateRepositoryCommand({ repositoryName }));
      await admin('POST', 'findings', {
        repositoryName,
        imageTag: tags[0],
        findings: [failing ? CRITICAL : LOW],
      });
      const image = sampleImage(`${repositoryName}-${Math.random()}`);
      let pushed = { imageDigest: '' };
      for (const tag of tags) pushed = await pushImage(ecr, repositoryName, image, tag);
      images.push({ repositoryName, imageDigest: pushed.imageDigest, failing });
    }
    const digests = new Set(images.map((i) => i.imageDigest));
    const ours = (r: FailureRecord) => digests.has(String(digestOf(r)));

    // Act 1: scans finish under the fault; wait until every event is handled or on the onFailure queue.
    await admin('DELETE', 'requests');
    await admin('POST', 'faults', {
      service: cell.service,
      action: cell.action,
      rate: cell.rate,
      ...(cell.error === undefined ? {} : { error: cell.error }),
      ...(cell.status === undefined ? {} : { status: cell.status }),
    });
    for (const { repositoryName, imageDigest } of images) {
      await ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest } }));
    }
    await until(ended, (done) => [...digests].every((d) => done.has(d)), settleTimeoutMs);
    await runtime.idle(settleTimeoutMs);
    await drainFailures();
    const calls = await faultedCalls(cell);
    const faultedFailures = failures.filter(ours);
    const judged = await Promise.all(
      images.map(async (i) => (await store.latest(i.repositoryName, i.imageDigest)) !== undefined),
    );
    const lost = images.filter(
      (image, n) => !judged[n] && !faultedFailures.some((r) => digestOf(r) === image.imageDigest),
    ).length;

    // Act 2 (recovery): the fault goes; each onFailure record's event is replayed, as an operator would.
    await admin('DELETE', 'faults');
    let replayedOk = 0;
    for (const record of faultedFailures) {
      const outcome = await runtime.invoke('onScanCompleted', record.requestPayload);
      if (outcome.ok) replayedOk++;
    }
    await runtime.idle(settleTimeoutMs);

    // Count.
    const { messages: emails } = (await admin('GET', 'outbox/email')) as { messages: EmailDelivery[] };
    const { messages: posts } = (await admin('GET', 'outbox/slack')) as { messages: unknown[] };
    const counts: CellCounts = {
      images: images.length,
      verdictsRight: 0,
      judgedUnderFault: judged.filter(Boolean).length,
      changes: 0,
      verdictEmails: 0,
      enforcementEmails: 0,
      slackPosts: 0,
      duplicated: 0,
      missing: 0,
      slackMismatch: 0,
      lost,
      onFailure: faultedFailures.length,
      onFailureWithPayload: faultedFailures.filter(
        (r) =>
          r.requestPayload?.['detail-type'] === 'ECR Image Scan' && r.requestPayload.detail !== undefined,
      ).length,
      replayedOk,
      notEnforced: 0,
      deleted: 0,
      faultedCalls: calls,
    };
    for (const image of images) {
      const verdict = await store.latest(image.repositoryName, image.imageDigest);
      if (verdict?.status === (image.failing ? 'FAIL' : 'PASS')) counts.verdictsRight++;
      const change = image.failing ? 1 : 0;
      counts.changes += change;
      const mine = emails.filter((m) => m.message.includes(image.imageDigest));
      const kinds = mine.map((m) => m.messageAttributes.alertKind?.StringValue ?? '?');
      const verdictAlerts = kinds.filter((k) => k !== 'enforcement-failed').length;
      counts.verdictEmails += verdictAlerts;
      counts.enforcementEmails += kinds.length - verdictAlerts;
      counts.duplicated += Math.max(0, verdictAlerts - change);
      counts.missing += Math.max(0, change - verdictAlerts);
      const slack = posts.filter((p) => JSON.stringify(p).includes(image.imageDigest)).length;
      counts.slackPosts += slack;
      counts.slackMismatch += Math.abs(slack - mine.length);
      try {
        const out = await ecr.send(
          new DescribeImagesCommand({
            repositoryName: image.repositoryName,
            imageIds: [{ imageDigest: image.imageDigest }],
          }),
        );
        const tags = out.imageDetails?.[0]?.imageTags ?? [];
        if (image.failing && tags.includes('latest')) counts.notEnforced++;
        if (!image.failing && !tags.includes('latest')) counts.notEnforced++;
      } catch (error) {
        if ((error as Error).name !== 'ImageNotFoundException') throw error;
        counts.deleted++;
      }
    }

    const broken: string[] = [];
    if (counts.deleted > 0) broken.push(`${counts.deleted} image(s) deleted`);
    if (counts.lost > 0) broken.push(`${counts.lost} event(s) lost (no verdict, no onFailure record)`);
    if (counts.onFailureWithPayload !== counts.onFailure) broken.push('onFailure record without its event');
    if (counts.duplicated > 0) broken.push(`${counts.duplicated} duplicate verdict alert(s)`);
    if (counts.missing > 0) broken.push(`${counts.missing} verdict change(s) never alerted`);
    if (counts.slackMismatch > 0) broken.push(`${counts.slackMismatch} Slack post(s) not matching an email`);
    if (counts.verdictsRight !== counts.images) {
      broken.push(`${counts.images - counts.verdictsRight} wrong or missing verdict(s) after recovery`);
    }
    if (counts.enforcementEmails > counts.changes) broken.push('more than one enforcement alert per image');
    if (counts.notEnforced > 0) broken.push(`${counts.notEnforced} image(s) enforced wrongly after recovery`);
    return { cell, counts, broken };
  }

  return {
    sandbox,
    runtime,
    run,
    async stop() {
      ecr.destroy();
      sqs.destroy();
      ssm.destroy();
      dynamo.destroy();
      try {
        await runtime.stop();
      } finally {
        await sandbox.stop();
      }
    },
  };
}

/** The results as a plain-text table, one row per cell. */
export function matrixTable(results: readonly CellResult[]): string {
  const header = [
    'service:action',
    'rate',
    'error',
    'calls',
    'imgs',
    'judged@fault',
    'onFailure',
    'replayed',
    'lost',
    'verdicts ok',
    'changes',
    'alerts',
    'dup',
    'missing',
    'enf.alerts',
    'slack',
    'deleted',
    'enforced',
    'verdict',
  ];
  const rows = results.map(({ cell, counts: c, broken }) => [
    `${cell.service}:${cell.action}`,
    String(cell.rate),
    cell.status !== undefined ? String(cell.status) : (cell.error ?? ''),
    String(c.faultedCalls),
    String(c.images),
    String(c.judgedUnderFault),
    String(c.onFailure),
    `${c.replayedOk}/${c.onFailure}`,
    String(c.lost),
    `${c.verdictsRight}/${c.images}`,
    String(c.changes),
    String(c.verdictEmails),
    String(c.duplicated),
    String(c.missing),
    String(c.enforcementEmails),
    String(c.slackPosts),
    String(c.deleted),
    c.notEnforced === 0 ? 'yes' : `${c.notEnforced} wrong`,
    broken.length === 0 ? 'kept' : `BROKEN: ${broken.join('; ')}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
