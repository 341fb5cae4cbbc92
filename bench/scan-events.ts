/**
 * Scan-event benchmark: 1,000 `ECR Image Scan` events (mixed verdicts: clean, failing, failed scans) handled by
 * on-scan-completed as the local Lambda runtime invokes it, against the sandbox's services (ECR emulator, moto
 * DynamoDB/SNS). Prints events/s, AWS calls per event (the sandbox's request counters) and, separately, what
 * EventBridge routing through moto adds per event (DESIGN.md: moto's delivery is slow, so it is measured
 * apart from the handler).
 *
 *   npx tsx bench/scan-events.ts [--events 1000] [--routed 100] [--concurrency 10]
 */
import { parseArgs } from 'node:util';
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  PutImageCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startLambdaRuntime } from '../src/sandbox/runtime/index.ts';
import { SANDBOX_ACCOUNT_ID, SANDBOX_REGION, startSandbox } from '../src/sandbox/server.ts';
import { sha256Digest } from '../src/shared/ecr/digest.ts';
import { CONFIG_FILE, PROJECT_ROOT, SERVERLESS_FILE } from '../src/shared/project-root.ts';
import { uploadBlob } from '../test/support/images.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    routed: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '10' },
  },
});
const EVENTS = Number(values.events);
const ROUTED = Number(values.routed);
const CONCURRENCY = Number(values.concurrency);
const REPOSITORIES = 10;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface ScanOutcome {
  status: string;
  counts: Record<string, number>;
}

interface Image {
  repositoryName: string;
  imageDigest: string;
  imageTag: string;
  manifest: string;
  /** 0–1 fail (a CRITICAL finding), 5 errors (scan FAILED), the rest are clean. */
  kind: number;
}

/** Run `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function counters(url: string): Promise<number> {
  const body = (await (await fetch(`${url}/_sandbox/requests`)).json()) as Record<
    string,
    Record<string, number>
  >;
  return Object.values(body)
    .flatMap((actions) => Object.values(actions))
    .reduce((a, b) => a + b, 0);
}

function scanEvent(image: Image, scan: ScanOutcome | undefined, n: number) {
  return {
    version: '0',
    id: `bench-${n}-${Math.random().toString(36).slice(2)}`,
    'detail-type': 'ECR Image Scan',
    source: 'aws.ecr',
    account: SANDBOX_ACCOUNT_ID,
    time: new Date().toISOString(),
    region: SANDBOX_REGION,
    resources: [`arn:aws:ecr:${SANDBOX_REGION}:${SANDBOX_ACCOUNT_ID}:repository/${image.repositoryName}`],
    detail: {
      'scan-status': scan?.status ?? 'COMPLETE',
      'repository-name': image.repositoryName,
      'finding-severity-counts': scan?.counts ?? {},
      'image-digest': image.imageDigest,
      'image-tags': [image.imageTag],
    },
  };
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, quiet: true, scanDelayMs: 5 });
  const config = {
    endpoint: sandbox.url,
    region: SANDBOX_REGION,
    credentials: { accessKeyId: 'b', secretAccessKey: 'b' },
  };
  const ecr = new ECRClient(config);
  const events = new EventBridgeClient(config);
  try {
    // Prepare: images in a few repositories, a third with a CRITICAL finding (FAIL), a sixth whose scan fails
    // (ERROR), the rest clean; every one scanned before the runtime exists, so no event reaches it early.
    const total = EVENTS + ROUTED;
    const images: Image[] = [];
    for (let r = 0; r < REPOSITORIES; r++) {
      const repositoryName = `bench-app${r}-dev`;
      await ecr.send(new CreateRepositoryCommand({ repositoryName }));
      const configBlob = Buffer.from(`{"architecture":"amd64","os":"linux","bench":${r}}`);
      const layer = Buffer.from(`layer of ${repositoryName}`);
      await uploadBlob(ecr, repositoryName, configBlob);
      await uploadBlob(ecr, repositoryName, layer);
      for (let i = r; i < total; i += REPOSITORIES) {
        const manifest = JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            size: configBlob.length,
            digest: sha256Digest(configBlob),
          },
          layers: [
            {
              mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
              size: layer.length,
              digest: sha256Digest(layer),
            },
          ],
          annotations: { 'bench.image': String(i) },
        });
        images[i] = {
          repositoryName,
          imageDigest: sha256Digest(manifest),
          imageTag: `v${i}`,
          manifest,
          kind: i % 6,
        };
      }
    }
    await pool(images, 16, async (image) => {
      const { kind } = image;
      if (kind < 2 || kind === 5) {
        await fetch(`${sandbox.url}/_sandbox/findings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            repositoryName: image.repositoryName,
            imageTag: image.imageTag,
            ...(kind === 5 ? { status: 'FAILED' } : {}),
            findings:
              kind === 5
                ? []
                : [
                    {
                      name: `CVE-2024-${image.imageTag.slice(1)}`,
                      severity: 'CRITICAL',
                      package: 'openssl',
                      version: '3.0.1',
                    },
                  ],
          }),
        });
      }
      await ecr.send(
        new PutImageCommand({
          repositoryName: image.repositoryName,
          imageManifest: image.manifest,
          imageManifestMediaType: OCI_MANIFEST,
          imageTag: image.imageTag,
        }),
      );
      await ecr.send(
        new StartImageScanCommand({
          repositoryName: image.repositoryName,
          imageId: { imageDigest: image.imageDigest },
        }),
      );
    });
    const scans = new Map<string, ScanOutcome>();
    await pool(images, 16, async (image) => {
      for (;;) {
        const out = await ecr.send(
          new DescribeImageScanFindingsCommand({
            repositoryName: image.repositoryName,
            imageId: { imageDigest: image.imageDigest },
          }),
        );
        if (out.imageScanStatus?.status !== 'IN_PROGRESS') {
          scans.set(image.imageDigest, {
            status: out.imageScanStatus?.status ?? 'FAILED',
            counts: out.imageScanFindings?.findingSeverityCounts ?? {},
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });

    // The scans' own events are still on their way to moto: let them land (and be dropped: no rule yet)
    // before the runtime creates its rules, or they would be handled during the measurement.
    for (;;) {
      const health = (await (await fetch(`${sandbox.url}/_sandbox/health`)).json()) as {
        events: { pending: number };
      };
      if (health.events.pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const runtime = await startLambdaRuntime({
      endpoint: sandbox.motoUrl,
      handlerEndpoint: sandbox.url,
      serverlessFile: SERVERLESS_FILE,
      projectRoot: PROJECT_ROOT,
      stage: 'bench',
      // Only the function measured: other subscribers (notify-slack) would add their calls to the counters.
      functions: ['onScanCompleted'],
      functionEnvironment: { SENTINEL_CONFIG: CONFIG_FILE },
      log: () => {},
    });
    try {
      // Warm up one container (cold start: module load, config parse) outside the measurement.
      await runtime.invoke(
        'onScanCompleted',
        scanEvent(images[0] as Image, scans.get(images[0]?.imageDigest ?? ''), -1),
      );

      // Act 1: the handler as the runtime invokes it, CONCURRENCY at a time, no routing.
      const direct = images.slice(0, EVENTS);
      await fetch(`${sandbox.url}/_sandbox/requests`, { method: 'DELETE' });
      let failed = 0;
      const mix: Record<string, number> = {};
      const started = performance.now();
      await pool(direct, CONCURRENCY, async (image) => {
        const outcome = await runtime.invoke(
          'onScanCompleted',
          scanEvent(image, scans.get(image.imageDigest), 0),
        );
        if (!outcome.ok) failed++;
        const summary = outcome.result as { status?: string; outcome?: string; alert?: string } | undefined;
        const key = `${summary?.status ?? summary?.outcome ?? 'failed'}/alert:${summary?.alert ?? '-'}`;
        mix[key] = (mix[key] ?? 0) + 1;
      });
      const directMs = performance.now() - started;
      const calls = await counters(sandbox.url);
      const byAction = (await (await fetch(`${sandbox.url}/_sandbox/requests`)).json()) as Record<
        string,
        unknown
      >;

      // Act 2: the same handler reached through EventBridge (PutEvents → moto rule → stand-in queue → runtime).
      const routed = images.slice(EVENTS, EVENTS + ROUTED);
      const routedDirectStart = performance.now();
      await pool(routed.slice(0, Math.ceil(ROUTED / 2)), CONCURRENCY, async (image) => {
        await runtime.invoke('onScanCompleted', scanEvent(image, scans.get(image.imageDigest), 1));
      });
      const perEventDirectMs = (performance.now() - routedDirectStart) / Math.ceil(ROUTED / 2);
      const viaBus = routed.slice(Math.ceil(ROUTED / 2));
      const routedStart = performance.now();
      for (let i = 0; i < viaBus.length; i += 10) {
        await events.send(
          new PutEventsCommand({
            Entries: viaBus.slice(i, i + 10).map((image) => {
              const e = scanEvent(image, scans.get(image.imageDigest), 2);
              return {
                Source: e.source,
                DetailType: e['detail-type'],
                Detail: JSON.stringify(e.detail),
                Resources: e.resources,
              };
            }),
          }),
        );
      }
      await runtime.idle(120_000);
      const perEventRoutedMs = (performance.now() - routedStart) / viaBus.length;

      const stats = runtime.stats().onScanCompleted;
      const lines = [
        `scan-events benchmark (${EVENTS} events, ${CONCURRENCY} concurrent invocations, ${REPOSITORIES} repositories)`,
        `  handled directly by the runtime: ${directMs.toFixed(0)} ms → ${(EVENTS / (directMs / 1000)).toFixed(1)} events/s (${failed} failed)`,
        `  verdicts: ${JSON.stringify(mix)}`,
        `  AWS calls per event: ${(calls / EVENTS).toFixed(2)} (target ≤ 4) — ${JSON.stringify(byAction)}`,
        `  routing through moto's EventBridge (${viaBus.length} events): ${perEventRoutedMs.toFixed(1)} ms/event vs ${perEventDirectMs.toFixed(1)} ms/event invoked directly → routing adds ${(perEventRoutedMs - perEventDirectMs).toFixed(1)} ms/event (×${(perEventRoutedMs / perEventDirectMs).toFixed(1)})`,
        `  runtime stats: ${JSON.stringify(stats)}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await runtime.stop();
    }
  } finally {
    ecr.destroy();
    events.destroy();
    await sandbox.stop();
  }
}

await main();
