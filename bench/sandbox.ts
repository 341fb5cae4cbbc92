/**
 * ECR emulator benchmark: PutImage throughput into one repository of 100,000 images, then the latency of
 * 1000-image DescribeImages pages and ListImages pages at several positions. In-process figures (the emulator
 * called directly) print next to over-HTTP figures (AWS SDK → sandbox edge → emulator), so the ratio shows
 * what HTTP and the SDK cost.
 *
 *   npx tsx bench/sandbox.ts                       # in-process + a sandbox started here (needs moto)
 *   npx tsx bench/sandbox.ts --endpoint http://127.0.0.1:4566
 *   npx tsx bench/sandbox.ts --images 20000 --concurrency 16 --samples 30
 */
import { createHash } from 'node:crypto';
import { Agent } from 'node:http';
import { parseArgs } from 'node:util';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  InitiateLayerUploadCommand,
  ListImagesCommand,
  PutImageCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import type { EcrEmulator } from '../src/sandbox/contracts.ts';
import { createEcrEmulator } from '../src/sandbox/ecr/index.ts';

// The lockfile pins SDK versions that support Node 20; its notice about 2027 releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    images: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '32' },
    samples: { type: 'string', default: '50' },
    'no-http': { type: 'boolean', default: false },
  },
});
const IMAGES = Number(values.images);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values.samples);
const REPO = `bench-${Date.now().toString(36)}`;

const sha256 = (data: string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const CONFIG = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
const LAYER = 'one-shared-layer-'.repeat(32);
const manifestText = (i: number) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: CONFIG.length,
      digest: sha256(CONFIG),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: LAYER.length,
        digest: sha256(LAYER),
      },
    ],
    annotations: { 'bench.index': String(i) },
  });
// Every tenth image tagged, so tag filters have something to skip.
const tagOf = (i: number) => (i % 10 === 0 ? `build-${i}` : undefined);

/** The calls the benchmark makes, in-process or over HTTP. */
interface Target {
  name: string;
  createRepo(): Promise<void>;
  uploadBlob(data: string): Promise<void>;
  putImage(i: number): Promise<void>;
  describePage(nextToken?: string): Promise<{ count: number; nextToken?: string }>;
  listPage(nextToken?: string): Promise<{ count: number; nextToken?: string }>;
  cleanup(): Promise<void>;
}

function inProcessTarget(emulator: EcrEmulator): Target {
  const call = async (action: string, input: unknown) => {
    const response = await emulator.serve(action, JSON.stringify(input));
    if (response.status !== 200) throw new Error(`${action}: ${String(response.body)}`);
    return JSON.parse(String(response.body)) as Record<string, unknown>;
  };
  return {
    name: 'in-process',
    createRepo: async () => void (await call('CreateRepository', { repositoryName: REPO })),
    async uploadBlob(data) {
      const { uploadId } = (await call('InitiateLayerUpload', { repositoryName: REPO })) as {
        uploadId: string;
      };
      const blob = Buffer.from(data);
      await call('UploadLayerPart', {
        repositoryName: REPO,
        uploadId,
        partFirstByte: 0,
        partLastByte: blob.length - 1,
        layerPartBlob: blob.toString('base64'),
      });
      await call('CompleteLayerUpload', { repositoryName: REPO, uploadId, layerDigests: [sha256(data)] });
    },
    async putImage(i) {
      const tag = tagOf(i);
      await call('PutImage', {
        repositoryName: REPO,
        imageManifest: manifestText(i),
        ...(tag ? { imageTag: tag } : {}),
      });
    },
    async describePage(nextToken) {
      const out = await call('DescribeImages', {
        repositoryName: REPO,
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      });
      return {
        count: (out.imageDetails as unknown[]).length,
        ...(out.nextToken ? { nextToken: String(out.nextToken) } : {}),
      };
    },
    async listPage(nextToken) {
      const out = await call('ListImages', {
        repositoryName: REPO,
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      });
      return {
        count: (out.imageIds as unknown[]).length,
        ...(out.nextToken ? { nextToken: String(out.nextToken) } : {}),
      };
    },
    cleanup: async () => emulator.close(),
  };
}

function httpTarget(endpoint: string, stop?: () => Promise<void>): Target {
  const ecr = new ECRClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) },
  });
  return {
    name: 'over HTTP (SDK)',
    createRepo: async () => void (await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }))),
    async uploadBlob(data) {
      const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: REPO }));
      const blob = Buffer.from(data);
      await ecr.send(
        new UploadLayerPartCommand({
          repositoryName: REPO,
          uploadId,
          partFirstByte: 0,
          partLastByte: blob.length - 1,
          layerPartBlob: blob,
        }),
      );
      await ecr.send(
        new CompleteLayerUploadCommand({ repositoryName: REPO, uploadId, layerDigests: [sha256(data)] }),
      );
    },
    async putImage(i) {
      const tag = tagOf(i);
      await ecr.send(
        new PutImageCommand({
          repositoryName: REPO,
          imageManifest: manifestText(i),
          ...(tag ? { imageTag: tag } : {}),
        }),
      );
    },
    async describePage(nextToken) {
      const out = await ecr.send(
        new DescribeImagesCommand({
          repositoryName: REPO,
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      return { count: out.imageDetails?.length ?? 0, ...(out.nextToken ? { nextToken: out.nextToken } : {}) };
    },
    async listPage(nextToken) {
      const out = await ecr.send(
        new ListImagesCommand({
          repositoryName: REPO,
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      return { count: out.imageIds?.length ?? 0, ...(out.nextToken ? { nextToken: out.nextToken } : {}) };
    },
    async cleanup() {
      await ecr
        .send(new DeleteRepositoryCommand({ repositoryName: REPO, force: true }))
        .catch(() => undefined);
      ecr.destroy();
      await stop?.();
    },
  };
}

interface Figures {
  putPerSecond: number;
  describe: Record<string, { median: number; p95: number }>;
  list: Record<string, { median: number; p95: number }>;
}

function stats(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95) };
}

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function measure(target: Target): Promise<Figures> {
  await target.createRepo();
  await target.uploadBlob(CONFIG);
  await target.uploadBlob(LAYER);
  // PutImage throughput with CONCURRENCY callers.
  let next = 0;
  let lastReport = performance.now();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < IMAGES) {
        const i = next++;
        await target.putImage(i);
        if (performance.now() - lastReport > 5000) {
          lastReport = performance.now();
          process.stderr.write(`  ${target.name}: ${i} images pushed\n`);
        }
      }
    }),
  );
  const putPerSecond = IMAGES / ((performance.now() - started) / 1000);

  // Collect the token of every 1000-image page once, then time pages at the start, middle and end.
  const describeTokens: Array<string | undefined> = [undefined];
  const listTokens: Array<string | undefined> = [undefined];
  for (let token: string | undefined, page = await target.describePage(); page.nextToken; ) {
    token = page.nextToken;
    describeTokens.push(token);
    page = await target.describePage(token);
  }
  for (let token: string | undefined, page = await target.listPage(); page.nextToken; ) {
    token = page.nextToken;
    listTokens.push(token);
    page = await target.listPage(token);
  }
  const positions = (tokens: Array<string | undefined>) => ({
    first: tokens[0],
    middle: tokens[Math.floor(tokens.length / 2)],
    last: tokens[tokens.length - 1],
  });
  const describe: Figures['describe'] = {};
  for (const [where, token] of Object.entries(positions(describeTokens))) {
    const samples: number[] = [];
    for (let s = 0; s < SAMPLES; s++) samples.push(await time(() => target.describePage(token)));
    describe[where] = stats(samples);
  }
  const list: Figures['list'] = {};
  for (const [where, token] of Object.entries(positions(listTokens))) {
    const samples: number[] = [];
    for (let s = 0; s < SAMPLES; s++) samples.push(await time(() => target.listPage(token)));
    list[where] = stats(samples);
  }
  return { putPerSecond, describe, list };
}

async function httpEndpoint(): Promise<{ url: string; stop?: () => Promise<void> } | undefined> {
  if (values['no-http']) return undefined;
  if (values.endpoint) return { url: values.endpoint };
  try {
    const { startSandbox } = await import('../src/sandbox/server.ts');
    const sandbox = await startSandbox({ port: 0, quiet: true });
    return { url: sandbox.url, stop: () => sandbox.stop() };
  } catch (error) {
    console.error(`No sandbox over HTTP (${(error as Error).message}); in-process figures only.`);
    return undefined;
  }
}

const results: Array<[string, Figures]> = [];
const emulator = await createEcrEmulator({
  clock: { now: () => new Date() },
  accountId: '123456789012',
  region: 'us-east-1',
  publicUrl: () => 'http://127.0.0.1:4566',
  emit: () => {},
  scanDelayMs: 1000,
});
console.error(`Pushing ${IMAGES} images in-process...`);
const inProcess = inProcessTarget(emulator);
results.push([inProcess.name, await measure(inProcess)]);
await inProcess.cleanup();

const endpoint = await httpEndpoint();
if (endpoint) {
  console.error(
    `Pushing ${IMAGES} images over HTTP to ${endpoint.url} with ${CONCURRENCY} concurrent callers...`,
  );
  const http = httpTarget(endpoint.url, endpoint.stop);
  try {
    results.push([http.name, await measure(http)]);
  } finally {
    await http.cleanup();
  }
}

const ms = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(2)} ms`);
const rows: Array<[string, ...string[]]> = [
  ['', ...results.map(([name]) => name), ...(results.length === 2 ? ['ratio'] : [])],
];
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? [] : [`${(b / a).toFixed(1)}x`];
const [a, b] = [results[0]?.[1], results[1]?.[1]];
rows.push([
  `PutImage calls/s (${IMAGES} images, ${CONCURRENCY} callers)`,
  ...results.map(([, f]) => f.putPerSecond.toFixed(0)),
  ...(a && b ? [`${(a.putPerSecond / b.putPerSecond).toFixed(1)}x`] : []),
]);
for (const kind of ['describe', 'list'] as const) {
  for (const where of ['first', 'middle', 'last']) {
    for (const stat of ['median', 'p95'] as const) {
      const label = `${kind === 'describe' ? 'DescribeImages' : 'ListImages'} 1000/page, ${where} page, ${stat}`;
      rows.push([
        label,
        ...results.map(([, f]) => ms(f[kind][where]?.[stat])),
        ...(a && b ? ratio(a[kind][where]?.[stat], b[kind][where]?.[stat]) : []),
      ]);
    }
  }
}
const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
for (const row of rows)
  console.log(
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  '),
  );
