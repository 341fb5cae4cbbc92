/**
 * Promotion copy benchmark (issue #9): a 200 MiB image in 10 random layers is pushed into a dev repository of a
 * sandbox started here, then copied dev → staging side by side by
 *   - ours: ecrImageCopier (BatchCheckLayerAvailability, then each missing blob streamed in 8 MiB parts, 3 at once),
 *     run twice into the same repository (the second run must upload nothing);
 *   - naive: what a script does: per layer GetDownloadUrlForLayer, the whole layer downloaded into a Buffer, then
 *     uploaded in 10 MiB parts cut from that buffer (ECR's part limit), then PutImage — no availability check,
 *     so it uploads everything again on a second run;
 *   - naive, pull all: every layer downloaded into memory first, then pushed (a pull-then-push script);
 *   - ours with blob mounting: ecrImageCopier with the registry's BLOB_MOUNTING ENABLED (dev and staging are one
 *     registry), each blob mounted through the registry API (`POST /v2/…/blobs/uploads/?mount=&from=`) — the
 *     bytes uploaded are printed next to ours without it.
 * Each copy runs in a child process of its own, so its RSS is the copy's alone (the sandbox, which holds every
 * blob in memory, stays in this process). RSS is sampled every 20 ms; growth is over the child's RSS after a GC
 * just before the copy; "RSS high-water" is the kernel's mark for the child (VmHWM), a cross-check of the sampling.
 * Bytes uploaded are counted from the UploadLayerPart calls the child sends.
 *
 *   npm run bench:promotion
 *   npx tsx bench/promotion.ts [--layers 10] [--layer-mib 20] [--repeat 3] [--concurrency 3] [--part-mib 8]
 *                              [--endpoint http://127.0.0.1:4566]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  LayerAlreadyExistsException,
  PutAccountSettingCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { uploadBlob } from '../src/demo/push.ts';
import { ecrImageCopier } from '../src/promotion/adapters/ecr-image-copier.ts';
import { registryBlobMounter } from '../src/promotion/adapters/registry-mount.ts';
import { SANDBOX_ACCOUNT_ID, type Sandbox, startSandbox } from '../src/sandbox/server.ts';
import { sha256Digest } from '../src/shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES, putManifest } from '../src/shared/ecr/manifests.ts';

// The lockfile pins SDK versions that support Node 20; its notice about 2027 releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MIB = 1024 * 1024;
const TAG = '1.0.0';
const ACCEPTED = Object.values(MANIFEST_MEDIA_TYPES);

type Variant = 'ours' | 'ours-mount' | 'naive' | 'naive-pull-all';

/** What a child process copies. */
interface Task {
  variant: Variant;
  endpoint: string;
  sourceRepository: string;
  imageDigest: string;
  targetRepository: string;
  /** Ours: blobs in flight and part size. */
  concurrency: number;
  partBytes: number;
}

/** What a child process measured. */
interface Measurement {
  ms: number;
  baselineRss: number;
  peakRss: number;
  maxRss: number;
  bytesUploaded: number;
  parts: number;
  /** Ours: blobs mounted instead of uploaded. */
  blobsMounted: number;
}

function client(endpoint: string): ECRClient {
  return new ECRClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Child process: one copy, measured.

/** The naive copy: each layer whole in memory (or, with `pullAll`, every layer at once before any upload). */
async function naiveCopy(ecr: ECRClient, task: Task, pullAll: boolean): Promise<void> {
  const got = await ecr.send(
    new BatchGetImageCommand({
      repositoryName: task.sourceRepository,
      imageIds: [{ imageDigest: task.imageDigest }],
      acceptedMediaTypes: ACCEPTED,
    }),
  );
  const image = got.images?.[0];
  if (!image?.imageManifest) throw new Error('source image not found');
  const manifest = JSON.parse(image.imageManifest) as {
    config: { digest: string };
    layers: Array<{ digest: string }>;
  };
  const digests = [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
  const download = async (digest: string): Promise<Buffer> => {
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName: task.sourceRepository, layerDigest: digest }),
    );
    const response = await fetch(downloadUrl ?? '');
    return Buffer.from(await response.arrayBuffer());
  };
  const upload = async (digest: string, bytes: Buffer) => {
    const { uploadId } = await ecr.send(
      new InitiateLayerUploadCommand({ repositoryName: task.targetRepository }),
    );
    for (let first = 0; first < bytes.length; first += 10 * MIB) {
      const part = bytes.subarray(first, Math.min(first + 10 * MIB, bytes.length));
      await ecr.send(
        new UploadLayerPartCommand({
          repositoryName: task.targetRepository,
          uploadId,
          partFirstByte: first,
          partLastByte: first + part.length - 1,
          layerPartBlob: part,
        }),
      );
    }
    try {
      await ecr.send(
        new CompleteLayerUploadCommand({
          repositoryName: task.targetRepository,
          uploadId,
          layerDigests: [digest],
        }),
      );
    } catch (error) {
      if (!(error instanceof LayerAlreadyExistsException)) throw error;
    }
  };
  if (pullAll) {
    const blobs: Buffer[] = [];
    for (const digest of digests) blobs.push(await download(digest));
    for (const [i, digest] of digests.entries()) await upload(digest, blobs[i] as Buffer);
  } else {
    for (const digest of digests) await upload(digest, await download(digest));
  }
  await putManifest(ecr, {
    repositoryName: task.targetRepository,
    imageManifest: image.imageManifest,
    imageManifestMediaType: image.imageManifestMediaType,
    imageTag: TAG,
  });
}

/**
 * The kernel's RSS high-water mark of this process (`VmHWM`, Linux), which sampling can't miss. Not
 * `process.resourceUsage().maxRSS`, which here reported 365 MiB for a child whose copy had nothing to do: a child's
 * ru_maxrss is not reset the way VmHWM is when the child's program starts.
 */
function highWaterRss(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function child(task: Task): Promise<Measurement> {
  const ecr = client(task.endpoint);
  let bytesUploaded = 0;
  let parts = 0;
  ecr.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UploadLayerPartCommand') {
        bytesUploaded += (args.input as { layerPartBlob?: Uint8Array }).layerPartBlob?.length ?? 0;
        parts++;
      }
      return next(args);
    },
    { step: 'initialize', name: 'countUploadedBytes' },
  );
  // Load the SDK's request path and the copier before the baseline.
  await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [task.sourceRepository] }));
  const copier = ecrImageCopier({
    source: ecr,
    target: ecr,
    concurrency: task.concurrency,
    partSizeBytes: task.partBytes,
    ...(task.variant === 'ours-mount'
      ? { mount: registryBlobMounter(ecr, { warn: (m) => process.stderr.write(`${m}\n`) }) }
      : {}),
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baselineRss = process.memoryUsage.rss();
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  let blobsMounted = 0;
  try {
    if (task.variant === 'ours' || task.variant === 'ours-mount') {
      ({ blobsMounted } = await copier.copy(
        {
          registryId: SANDBOX_ACCOUNT_ID,
          repositoryName: task.sourceRepository,
          imageDigest: task.imageDigest,
        },
        { registryId: SANDBOX_ACCOUNT_ID, repositoryName: task.targetRepository, imageTag: TAG },
        { copyReferrers: true },
      ));
    } else {
      await naiveCopy(ecr, task, task.variant === 'naive-pull-all');
    }
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - started;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const maxRss = highWaterRss() ?? peakRss;
  return { ms, baselineRss, peakRss, maxRss, bytesUploaded, parts, blobsMounted };
}

// ---------------------------------------------------------------------------------------------------------
// Parent: the sandbox, the image, the runs, the table.

function runChild(task: Task): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child'], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: Measurement | undefined;
    proc.on('message', (message: { result?: Measurement; error?: string }) => {
      if (message.error) reject(new Error(`${task.variant}: ${message.error}`));
      else result = message.result;
    });
    proc.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`${task.variant}: child exited with ${code}`));
    });
    proc.send(task);
  });
}

async function parent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      layers: { type: 'string', default: '10' },
      'layer-mib': { type: 'string', default: '20' },
      endpoint: { type: 'string' },
      concurrency: { type: 'string', default: '3' },
      'part-mib': { type: 'string', default: '8' },
      repeat: { type: 'string', default: '3' },
    },
  });
  const layers = Number(values.layers);
  const layerBytes = Number(values['layer-mib']) * MIB;
  const repeat = Math.max(1, Number(values.repeat));
  const sandbox: Sandbox | undefined =
    values.endpoint === undefined ? await startSandbox({ port: 0, quiet: true }) : undefined;
  const endpoint = values.endpoint ?? sandbox?.url ?? '';
  try {
    const ecr = client(endpoint);
    const run = Date.now().toString(36);
    const repo = (name: string) => `bench-promotion-${run}/${name}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: repo('dev') }));
    // Only the 'ours-mount' copier asks for mounts: the others copy through the ECR API whatever the setting.
    await ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));

    // The image: random layers (nothing dedupes), each generated, pushed and dropped in turn.
    const pushStarted = performance.now();
    const layerDescriptors = [];
    for (let i = 0; i < layers; i++) {
      const bytes = randomBytes(layerBytes);
      const { digest } = await uploadBlob(ecr, repo('dev'), bytes);
      layerDescriptors.push({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        size: bytes.length,
        digest,
      });
    }
    const config = Buffer.from(
      JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] }, run }),
    );
    await uploadBlob(ecr, repo('dev'), config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        size: config.length,
        digest: sha256Digest(config),
      },
      layers: layerDescriptors,
    });
    await putManifest(ecr, {
      repositoryName: repo('dev'),
      imageManifest: manifest,
      imageManifestMediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      imageTag: TAG,
    });
    const imageDigest = sha256Digest(manifest);
    const imageBytes = layers * layerBytes + config.length;
    process.stderr.write(
      `pushed ${(imageBytes / MIB).toFixed(0)} MiB in ${layers} layers in ${((performance.now() - pushStarted) / 1000).toFixed(1)} s\n`,
    );

    const runs: Array<{ label: string; variant: Variant; target: string }> = [
      { label: 'ours (1st)', variant: 'ours', target: 'staging-ours' },
      { label: 'ours (2nd, same target)', variant: 'ours', target: 'staging-ours' },
      { label: 'naive per layer (1st)', variant: 'naive', target: 'staging-naive' },
      { label: 'naive per layer (2nd)', variant: 'naive', target: 'staging-naive' },
      { label: 'naive pull-all (1st)', variant: 'naive-pull-all', target: 'staging-naive-pull-all' },
      { label: 'ours, blob mounting (1st)', variant: 'ours-mount', target: 'staging-mount' },
    ];
    // Rounds interleave the variants, so load from other processes on the machine spreads over all of them.
    const measured = new Map<string, Measurement[]>(runs.map((r) => [r.label, []]));
    const digests: string[] = [];
    for (let round = 1; round <= repeat; round++) {
      const target = (name: string) => repo(`${name}-${round}`);
      for (const name of new Set(runs.map((r) => r.target))) {
        await ecr.send(new CreateRepositoryCommand({ repositoryName: target(name) }));
      }
      for (const r of runs) {
        const m = await runChild({
          variant: r.variant,
          endpoint,
          sourceRepository: repo('dev'),
          imageDigest,
          targetRepository: target(r.target),
          concurrency: Number(values.concurrency),
          partBytes: Number(values['part-mib']) * MIB,
        });
        process.stderr.write(`round ${round}, ${r.label}: ${(m.ms / 1000).toFixed(1)} s\n`);
        measured.get(r.label)?.push(m);
      }
      // Every target holds the very digest that was pushed.
      for (const name of new Set(runs.map((r) => r.target))) {
        const got = await ecr.send(
          new BatchGetImageCommand({
            repositoryName: target(name),
            imageIds: [{ imageTag: TAG }],
            acceptedMediaTypes: ACCEPTED,
          }),
        );
        digests.push(got.images?.[0]?.imageId?.imageDigest ?? 'missing');
      }
    }

    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    };
    const summary = (ms: Measurement[]) => ({
      ms: median(ms.map((m) => m.ms)),
      minMs: Math.min(...ms.map((m) => m.ms)),
      maxMs: Math.max(...ms.map((m) => m.ms)),
      peakRss: median(ms.map((m) => m.peakRss)),
      growth: median(ms.map((m) => m.peakRss - m.baselineRss)),
      highWater: median(ms.map((m) => m.maxRss)),
      bytesUploaded: median(ms.map((m) => m.bytesUploaded)),
      parts: median(ms.map((m) => m.parts)),
      blobsMounted: median(ms.map((m) => m.blobsMounted)),
    });
    const results = runs.map((r) => ({ label: r.label, s: summary(measured.get(r.label) ?? []) }));
    const mib = (n: number) => `${(n / MIB).toFixed(0)} MiB`;
    const sec = (ms: number) => (ms / 1000).toFixed(1);
    const rows = results.map(({ label, s }) => [
      label,
      (s.bytesUploaded / imageBytes).toFixed(2),
      String(s.parts),
      mib(s.peakRss),
      mib(s.growth),
      mib(s.highWater),
      `${sec(s.ms)} s (${sec(s.minMs)}–${sec(s.maxMs)})`,
      s.bytesUploaded === 0 ? '-' : `${(s.bytesUploaded / MIB / (s.ms / 1000)).toFixed(0)} MiB/s`,
    ]);
    const header = [
      'copy',
      'uploaded ÷ image',
      'parts',
      'peak RSS',
      'RSS growth',
      'RSS high-water',
      'time (min–max)',
      'upload rate',
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    console.log(
      `\nimage: ${mib(imageBytes)} in ${layers} layers + config, ${imageDigest}; ours: ${values.concurrency} blobs at once, ${values['part-mib']} MiB parts`,
    );
    console.log(`medians of ${repeat} round(s), each copy in a child process of its own`);
    console.log(line(header));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) console.log(line(row));
    console.log(
      `\ntarget digests identical to the source: ${digests.every((d) => d === imageDigest) ? 'yes' : `NO (${digests.join(', ')})`}`,
    );
    const ours = results[0]?.s;
    const ratio = (label: string, other: ReturnType<typeof summary> | undefined) => {
      if (!ours || !other) return;
      console.log(
        `${label} / ours: peak RSS growth ×${(other.growth / ours.growth).toFixed(1)}, high-water ×${(other.highWater / ours.highWater).toFixed(1)}, time ×${(other.ms / ours.ms).toFixed(2)}`,
      );
    };
    ratio('naive per layer', results[2]?.s);
    ratio('naive pull-all', results[4]?.s);
    const mounted = results[5]?.s;
    if (ours && mounted) {
      console.log(
        `bytes uploaded, same registry: ours ${mib(ours.bytesUploaded)} (${sec(ours.ms)} s) | ours with blob mounting ${mib(mounted.bytesUploaded)}, ${mounted.blobsMounted} blobs mounted (${sec(mounted.ms)} s, time ×${(mounted.ms / ours.ms).toFixed(2)})`,
      );
    }
    const growth = ours?.growth ?? Number.NaN;
    console.log(
      `ours: RSS growth ${mib(growth)} (target < 256 MiB): ${growth < 256 * MIB ? 'met' : 'MISSED'}`,
    );
  } finally {
    await sandbox?.stop();
  }
}

if (process.argv.includes('--child')) {
  process.once('message', (task: Task) => {
    child(task).then(
      (result) => process.send?.({ result }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.(
          { error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
          () => process.exit(1),
        ),
    );
  });
} else {
  await parent();
}
