import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaRuntime } from '../../src/sandbox/runtime/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { eventually } from '../support/eventually.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { startFunctionUnderTest } from '../support/runtime.ts';
import { awsClientConfig } from '../support/sandbox.ts';
import { type EmfPoint, emfPoints } from './metrics-emf.ts';

/**
 * The functions' metrics as CloudWatch would read them: EMF documents printed on the function's stdout, which
 * the local runtime captures line by line with the function's name (its `log` option). A sandbox of its own, so
 * that only this file's events reach the functions: a scan judged by onScanCompleted, a cleanup run (planCleanup
 * then cleanupRepository), a promotion, and failures. The example sentinel.config.yml puts `orders-api-*` in the
 * group `services`; other repositories are `ungrouped`.
 */

let sandbox: Sandbox;
let runtime: LambdaRuntime;
let ecr: ECRClient;
const lines: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  runtime = await startFunctionUnderTest('onScanCompleted', 'metrics', {
    endpoint: sandbox.url,
    log: (line) => lines.push(line),
  });
}, 90_000);

afterAll(async () => {
  await runtime?.stop();
  await sandbox?.stop();
  ecr?.destroy();
}, 30_000);

const FINDINGS = [
  { name: 'CVE-2024-0001', severity: 'CRITICAL', package: 'openssl', version: '3.0.1' },
  { name: 'CVE-2024-0002', severity: 'HIGH', package: 'zlib', version: '1.2.0' },
  { name: 'CVE-2024-0003', severity: 'HIGH', package: 'curl', version: '8.0.0' },
  { name: 'CVE-2024-0004', severity: 'MEDIUM', package: 'curl', version: '8.0.0' },
];

/** Push an image to a scan-on-push repository whose scan reports `findings`; its metrics once judged. */
async function scanned(repositoryName: string, findings: unknown[]): Promise<EmfPoint[]> {
  await ecr.send(
    new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }),
  );
  await sandboxAdmin(sandbox.url)('POST', 'findings', { repositoryName, imageTag: 'v1', findings });
  const before = lines.length;
  await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
  return eventually(
    async () => emfPoints(lines.slice(before), '[onScanCompleted]'),
    (points) => points.some((p) => p.name === 'Verdicts'),
    30_000,
  );
}

describe('metrics of a scan, as the EMF the function prints', () => {
  it('counts the scanned image, its verdict by outcome and its findings by severity, per repository group', async () => {
    const points = await scanned('orders-api-dev', FINDINGS);

    const dimensioned = points.filter((p) => 'RepositoryGroup' in p.dimensions);
    expect(
      dimensioned.map(({ name, unit, value, dimensions }) => ({ name, unit, value, dimensions })),
    ).toEqual(
      expect.arrayContaining([
        {
          name: 'ImagesScanned',
          unit: 'Count',
          value: 1,
          dimensions: { service: 'ecr-sentinel', RepositoryGroup: 'services' },
        },
        {
          name: 'Verdicts',
          unit: 'Count',
          value: 1,
          dimensions: { service: 'ecr-sentinel', RepositoryGroup: 'services', Outcome: 'FAIL' },
        },
        {
          name: 'Findings',
          unit: 'Count',
          value: 1,
          dimensions: { service: 'ecr-sentinel', RepositoryGroup: 'services', Severity: 'CRITICAL' },
        },
        {
          name: 'Findings',
          unit: 'Count',
          value: 2,
          dimensions: { service: 'ecr-sentinel', RepositoryGroup: 'services', Severity: 'HIGH' },
        },
        {
          name: 'Findings',
          unit: 'Count',
          value: 1,
          dimensions: { service: 'ecr-sentinel', RepositoryGroup: 'services', Severity: 'MEDIUM' },
        },
      ]),
    );
    // One point per severity with findings; none for severities without.
    expect(dimensioned.filter((p) => p.name === 'Findings')).toHaveLength(3);
    // Every point's dimension set is declared as one CloudWatch dimension set, and is all the dimensions it has.
    for (const point of points) expect(point.declared.sort()).toEqual(Object.keys(point.dimensions).sort());
    // Bounded cardinality: no dimension value is the repository name or a digest.
    const values = points.flatMap((p) => Object.values(p.dimensions));
    expect(values.filter((v) => v.includes('orders-api') || v.startsWith('sha256:'))).toEqual([]);
  }, 60_000);

  it('puts a repository no group matches in "ungrouped" and a clean image under PASS', async () => {
    const points = await scanned('misc-tools', []);

    expect(points.find((p) => p.name === 'Verdicts')?.dimensions).toEqual({
      service: 'ecr-sentinel',
      RepositoryGroup: 'ungrouped',
      Outcome: 'PASS',
    });
    expect(points.find((p) => p.name === 'ImagesScanned')?.dimensions.RepositoryGroup).toBe('ungrouped');
    expect(points.filter((p) => p.name === 'Findings')).toEqual([]);
  }, 60_000);
});

describe('FailedEvents', () => {
  it('is printed by the failure middleware when the invocation throws, with the function as dimension', async () => {
    const before = lines.length;

    const outcome = await runtime.invoke('onScanCompleted', { id: 'not-a-scan-event', detail: {} });

    expect(outcome.ok).toBe(false);
    const failed = emfPoints(lines.slice(before), '[onScanCompleted]').filter(
      (p) => p.name === 'FailedEvents',
    );
    expect(failed.map(({ value, unit, dimensions }) => ({ value, unit, dimensions }))).toEqual([
      { value: 1, unit: 'Count', dimensions: { service: 'ecr-sentinel', Function: 'on-scan-completed' } },
    ]);
  }, 30_000);
});

describe('metrics of a cleanup run, per repository group', () => {
  /** Keep the newest `v*` image of each repository: v1 and v2 go, v3 stays. */
  const POLICY = {
    rules: [
      {
        rulePriority: 1,
        selection: {
          tagStatus: 'tagged',
          tagPatternList: ['v*'],
          countType: 'imageCountMoreThan',
          countNumber: 1,
        },
        action: { type: 'expire' },
      },
    ],
  };
  let cleanup: LambdaRuntime;
  let sqs: SQSClient;
  const cleanupLines: string[] = [];

  beforeAll(async () => {
    const example = readFileSync(join(PROJECT_ROOT, 'sentinel.config.yml'), 'utf8');
    const config = join(tmpdir(), `metrics-cleanup-${process.pid}.config.yml`);
    writeFileSync(
      config,
      `${example.slice(0, example.indexOf('\nalerts:'))}
cleanup:
  dryRun: false
  maxDeletions: { images: 100, percent: 100 }
  defaults:
    policy: ${JSON.stringify(POLICY)}
    protect: { minAgeDays: 0, inUse: { ecs: false, lambda: false, inspector: false }, promoted: false }
`,
    );
    sqs = new SQSClient(awsClientConfig(sandbox.url));
    cleanup = await startFunctionUnderTest('planCleanup', 'metricsclean', {
      endpoint: sandbox.url,
      functions: ['planCleanup', 'cleanupRepository'],
      variables: { SENTINEL_CONFIG: config },
      functionEnvironment: { SENTINEL_CONFIG: config },
      sqsRetryVisibilitySeconds: 1,
      log: (line) => cleanupLines.push(line),
    });
  }, 90_000);

  afterAll(async () => {
    await cleanup?.stop();
    sqs?.destroy();
  }, 30_000);

  /** Three images v1..v3; the bytes of v1 and v2, which the policy expires. */
  async function threeImages(repositoryName: string): Promise<number> {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    for (const tag of ['v1', 'v2', 'v3']) {
      await pushImage(ecr, repositoryName, sampleImage(`${repositoryName}-${tag}`), tag);
    }
    const { imageDetails = [] } = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    return imageDetails
      .filter((d) => d.imageTags?.some((t) => t === 'v1' || t === 'v2'))
      .reduce((sum, d) => sum + (d.imageSizeInBytes ?? 0), 0);
  }

  it('counts images deleted and bytes reclaimed (Bytes) by RepositoryGroup, once per repository', async () => {
    const grouped = await threeImages('orders-api-metrics');
    const ungrouped = await threeImages('misc-metrics');

    const started = await cleanup.invoke('planCleanup', {
      repositories: ['orders-api-metrics', 'misc-metrics'],
    });

    expect(started).toMatchObject({ ok: true, result: { repositoryCount: 2, dryRun: false } });
    const points = await eventually(
      async () => emfPoints(cleanupLines, '[cleanupRepository]'),
      (found) => found.filter((p) => p.name === 'BytesReclaimed').length === 2,
      60_000,
    );
    const of = (name: string, group: string) =>
      points
        .filter((p) => p.name === name && p.dimensions.RepositoryGroup === group)
        .map(({ unit, value, dimensions }) => ({ unit, value, dimensions }));
    expect(of('BytesReclaimed', 'services')).toEqual([
      { unit: 'Bytes', value: grouped, dimensions: { service: 'ecr-sentinel', RepositoryGroup: 'services' } },
    ]);
    expect(of('BytesReclaimed', 'ungrouped')).toEqual([
      {
        unit: 'Bytes',
        value: ungrouped,
        dimensions: { service: 'ecr-sentinel', RepositoryGroup: 'ungrouped' },
      },
    ]);
    expect(of('ImagesDeleted', 'services').map((p) => p.value)).toEqual([2]);
    expect(of('CleanupOutcomes', 'services').map((p) => p.dimensions.Outcome)).toEqual(['cleaned']);
    expect(grouped).toBeGreaterThan(0);
  }, 120_000);

  it('counts each failed delivery of a malformed message in FailedEvents, though the batch handler returns', async () => {
    const before = cleanupLines.length;

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: cleanup.resources.CleanupQueue?.url,
        MessageBody: JSON.stringify({ version: 1, runId: 'not-a-run' }),
      }),
    );

    const failed = await eventually(
      async () =>
        emfPoints(cleanupLines.slice(before), '[cleanupRepository]').filter((p) => p.name === 'FailedEvents'),
      (found) => found.length >= 1,
      30_000,
    );
    expect(failed[0]).toMatchObject({
      value: 1,
      dimensions: { service: 'ecr-sentinel', Function: 'cleanup-repository' },
    });
  }, 60_000);
});

describe('metrics of a promotion', () => {
  it('counts a promotion by target environment and outcome', async () => {
    const lines: string[] = [];
    const promotions = await startFunctionUnderTest('promoteImage', 'metricspromo', {
      endpoint: sandbox.url,
      log: (line) => lines.push(line),
    });
    try {
      await ecr
        .send(new CreateRepositoryCommand({ repositoryName: 'orders-api-dev' }))
        .catch(() => undefined);
      await pushImage(ecr, 'orders-api-dev', sampleImage('metrics-promotion'), '9.9.9');

      const outcome = await promotions.invoke('promoteImage', {
        action: 'promote',
        app: 'orders-api',
        version: '9.9.9',
        to: 'staging',
        by: 'alice',
      });

      expect(outcome).toMatchObject({ ok: true, result: { outcome: 'completed' } });
      const points = emfPoints(lines, '[promoteImage]').filter((p) => p.name === 'Promotions');
      expect(points.map(({ value, dimensions }) => ({ value, dimensions }))).toEqual([
        {
          value: 1,
          dimensions: { service: 'ecr-sentinel', TargetEnvironment: 'staging', Outcome: 'completed' },
        },
      ]);
    } finally {
      await promotions.stop();
    }
  }, 90_000);
});
