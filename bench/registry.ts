/**
 * Registry benchmark (issue #13): a 200 MiB image of 10 random (incompressible) 20 MiB layers pushed and pulled
 * through the registry API (`/v2/`, plain `fetch`), side by side with the same image through the ECR API
 * (InitiateLayerUpload / UploadLayerPart / CompleteLayerUpload / PutImage, then BatchGetImage and
 * GetDownloadUrlForLayer downloads, @aws-sdk/client-ecr). Each (store, path) runs against a fresh sandbox in a
 * child process of its own, with and without `--state-dir`, so the sandbox's RSS is the measured process's alone:
 * before each direction the sandbox collects garbage, its RSS is read and its kernel high-water mark (VmHWM) reset
 * (`/proc/<pid>/clear_refs`), and VmRSS is sampled every 20 ms as a cross-check; peak growth is the larger of the
 * two over that baseline. "Held in memory" is what the blob store keeps in RSS (the image without a state dir,
 * nothing with one: the bytes are files), so "beyond held" is what streaming costs on top.
 *
 *   npm run bench:registry
 *   npx tsx bench/registry.ts [--layers 10] [--layer-mib 20] [--upload monolithic|chunked|both]
 *                             [--chunk-mib 8] [--part-mib 10] [--only memory|state-dir]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { startSandbox } from '../src/sandbox/server.ts';

// The lockfile pins SDK versions that support Node 20; its notice about 2027 releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MIB = 1024 * 1024;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const REPO = 'bench/registry';

type Store = 'memory' | 'state-dir';
type Path = 'v2 monolithic' | 'v2 chunked' | 'ECR API';

const sha = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

// ---------------------------------------------------------------------------------------------------------
// Child process: the measured sandbox.

async function sandboxChild(): Promise<void> {
  const stateDir = process.env.BENCH_STATE_DIR || undefined;
  const sandbox = await startSandbox({ port: 0, quiet: true, ...(stateDir ? { stateDir } : {}) });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: string) => {
    if (message === 'gc') {
      gc?.();
      gc?.();
      process.send?.('gc-done');
    } else if (message === 'stop') {
      sandbox.stop().finally(() => process.exit(0));
    }
  });
  process.send?.({ url: sandbox.url });
}

// ---------------------------------------------------------------------------------------------------------
// Parent: sandboxes, RSS, the two paths, the table.

interface SandboxProcess {
  url: string;
  pid: number;
  gc(): Promise<void>;
  stop(): Promise<void>;
}

function startSandboxProcess(stateDir: string | undefined): Promise<SandboxProcess> {
  return new Promise((resolve, reject) => {
    const proc: ChildProcess = fork(fileURLToPath(import.meta.url), ['--sandbox'], {
      execArgv: [...process.execArgv, '--expose-gc'],
      env: { ...process.env, BENCH_STATE_DIR: stateDir ?? '' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('exit', (code) => reject(new Error(`sandbox child exited with ${code}`)));
    proc.once('message', (message: { url: string }) => {
      resolve({
        url: message.url,
        pid: proc.pid as number,
        gc: () =>
          new Promise((done) => {
            proc.once('message', () => done());
            proc.send('gc');
          }),
        stop: () =>
          new Promise((done) => {
            proc.removeAllListeners('exit');
            proc.once('exit', () => done());
            proc.send('stop');
          }),
      });
    });
  });
}

/** VmRSS and VmHWM of a process, in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Reset the kernel's RSS high-water mark of `pid` to its RSS now (Linux ≥ 4.0); false when not allowed. */
function resetHighWater(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface Measured {
  ms: number;
  growth: number;
}

/** Time `work` and the sandbox's peak RSS growth over its RSS after a GC just before. */
async function measure(sandbox: SandboxProcess, work: () => Promise<void>): Promise<Measured> {
  await sandbox.gc();
  const baseline = memoryOf(sandbox.pid).rss;
  const reset = resetHighWater(sandbox.pid);
  let sampled = baseline;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memoryOf(sandbox.pid).rss);
  }, 20);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - started;
  const { rss, hwm } = memoryOf(sandbox.pid);
  const peak = Math.max(sampled, rss, reset ? hwm : 0);
  return { ms, growth: peak - baseline };
}

interface Image {
  layers: Buffer[];
  config: Buffer;
  manifest: string;
  bytes: number;
}

function buildImage(layers: number, layerBytes: number): Image {
  const blobs = Array.from({ length: layers }, () => randomBytes(layerBytes));
  const config = Buffer.from(
    JSON.stringify({
      os: 'linux',
      architecture: 'amd64',
      rootfs: { type: 'layers' },
      nonce: randomBytes(8).toString('hex'),
    }),
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: config.length,
      digest: sha(config),
    },
    layers: blobs.map((b) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      size: b.length,
      digest: sha(b),
    })),
  });
  return { layers: blobs, config, manifest, bytes: layers * layerBytes + config.length };
}

function ecrClient(endpoint: string): ECRClient {
  return new ECRClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

/** Read a download to its end, checking its digest; answers its byte count. */
async function drain(response: Response, digest: string): Promise<number> {
  if (!response.ok || !response.body) throw new Error(`download of ${digest}: HTTP ${response.status}`);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  if (`sha256:${hash.digest('hex')}` !== digest) throw new Error(`download of ${digest}: wrong bytes`);
  return bytes;
}

/** The registry API with plain fetch: monolithic (POST, then PUT with the whole blob) or chunked PATCHes. */
function registryApi(
  endpoint: string,
  authorization: string,
  upload: 'monolithic' | 'chunked',
  chunk: number,
) {
  const call = async (
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(new URL(path, endpoint), {
      method,
      headers: { authorization, ...headers },
      ...(body === undefined ? {} : { body }),
    });
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  const pushBlob = async (blob: Buffer) => {
    const started = await call('POST', `/v2/${REPO}/blobs/uploads/`);
    const location = started.headers.get('location') as string;
    if (upload === 'chunked') {
      for (let at = 0; at < blob.length; at += chunk) {
        const part = blob.subarray(at, Math.min(at + chunk, blob.length));
        await call('PATCH', location, part, { 'content-range': `${at}-${at + part.length - 1}` });
      }
      await call('PUT', `${location}?digest=${sha(blob)}`);
    } else {
      await call('PUT', `${location}?digest=${sha(blob)}`, blob, {
        'content-type': 'application/octet-stream',
      });
    }
  };
  return {
    async push(image: Image) {
      for (const blob of [...image.layers, image.config]) await pushBlob(blob);
      await call('PUT', `/v2/${REPO}/manifests/latest`, image.manifest, { 'content-type': OCI_MANIFEST });
    },
    async pull(image: Image) {
      const manifest = await (
        await call('GET', `/v2/${REPO}/manifests/latest`, undefined, { accept: OCI_MANIFEST })
      ).text();
      const parsed = JSON.parse(manifest) as {
        config: { digest: string };
        layers: Array<{ digest: string }>;
      };
      let bytes = 0;
      for (const { digest } of [...parsed.layers, parsed.config]) {
        bytes += await drain(await call('GET', `/v2/${REPO}/blobs/${digest}`), digest);
      }
      if (bytes !== image.bytes) throw new Error(`pulled ${bytes} bytes, expected ${image.bytes}`);
    },
  };
}

/** The ECR API path, as `docker push`/`pull` against ECR's API would move the image. */
function ecrApi(ecr: ECRClient, partBytes: number) {
  const pushBlob = async (blob: Buffer) => {
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: REPO }));
    for (let first = 0; first < blob.length; first += partBytes) {
      const part = blob.subarray(first, Math.min(first + partBytes, blob.length));
      await ecr.send(
        new UploadLayerPartCommand({
          repositoryName: REPO,
          uploadId,
          partFirstByte: first,
          partLastByte: first + part.length - 1,
          layerPartBlob: part,
        }),
      );
    }
    await ecr.send(
      new CompleteLayerUploadCommand({ repositoryName: REPO, uploadId, layerDigests: [sha(blob)] }),
    );
  };
  return {
    async push(image: Image) {
      for (const blob of [...image.layers, image.config]) await pushBlob(blob);
      await ecr.send(
        new PutImageCommand({
          repositoryName: REPO,
          imageManifest: image.manifest,
          imageManifestMediaType: OCI_MANIFEST,
          imageTag: 'latest',
        }),
      );
    },
    async pull(image: Image) {
      const got = await ecr.send(
        new BatchGetImageCommand({
          repositoryName: REPO,
          imageIds: [{ imageTag: 'latest' }],
          acceptedMediaTypes: [OCI_MANIFEST],
        }),
      );
      const parsed = JSON.parse(got.images?.[0]?.imageManifest ?? '{}') as {
        config: { digest: string };
        layers: Array<{ digest: string }>;
      };
      let bytes = 0;
      for (const { digest } of [...parsed.layers, parsed.config]) {
        const { downloadUrl } = await ecr.send(
          new GetDownloadUrlForLayerCommand({ repositoryName: REPO, layerDigest: digest }),
        );
        bytes += await drain(await fetch(downloadUrl ?? ''), digest);
      }
      if (bytes !== image.bytes) throw new Error(`pulled ${bytes} bytes, expected ${image.bytes}`);
    },
  };
}

interface Row {
  store: Store;
  path: Path;
  push: Measured;
  pull: Measured;
  /** Bytes of blobs the store keeps in RSS. */
  held: number;
  onDisk: number;
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(path) : statSync(path).size;
  }
  return total;
}

async function run(store: Store, path: Path, image: Image, chunk: number, partBytes: number): Promise<Row> {
  const stateDir = store === 'state-dir' ? mkdtempSync(join(tmpdir(), 'bench-registry-')) : undefined;
  const sandbox = await startSandboxProcess(stateDir);
  try {
    const ecr = ecrClient(sandbox.url);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }));
    const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
    const authorization = `Basic ${authorizationData?.[0]?.authorizationToken ?? ''}`;
    const client =
      path === 'ECR API'
        ? ecrApi(ecr, partBytes)
        : registryApi(sandbox.url, authorization, path === 'v2 chunked' ? 'chunked' : 'monolithic', chunk);
    // Warm both request paths on a tiny blob, so the first measured request doesn't pay for loading code.
    const warm = buildImage(1, 1024);
    await client.push(warm);
    await client.pull(warm);
    const push = await measure(sandbox, () => client.push(image));
    const pull = await measure(sandbox, () => client.pull(image));
    const onDisk = stateDir === undefined ? 0 : bytesUnder(join(stateDir, 'blobs'));
    return { store, path, push, pull, held: store === 'memory' ? image.bytes : 0, onDisk };
  } finally {
    await sandbox.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

async function parent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      layers: { type: 'string', default: '10' },
      'layer-mib': { type: 'string', default: '20' },
      upload: { type: 'string', default: 'both' },
      'chunk-mib': { type: 'string', default: '8' },
      'part-mib': { type: 'string', default: '10' },
      only: { type: 'string' },
    },
  });
  const layers = Number(values.layers);
  const layerBytes = Number(values['layer-mib']) * MIB;
  const chunk = Number(values['chunk-mib']) * MIB;
  const partBytes = Number(values['part-mib']) * MIB;
  const stores: Store[] = values.only === undefined ? ['memory', 'state-dir'] : [values.only as Store];
  const paths: Path[] = [
    ...(values.upload === 'chunked' ? [] : (['v2 monolithic'] as Path[])),
    ...(values.upload === 'monolithic' ? [] : (['v2 chunked'] as Path[])),
    'ECR API',
  ];
  const image = buildImage(layers, layerBytes);
  const rows: Row[] = [];
  for (const store of stores) {
    for (const path of paths) {
      const row = await run(store, path, image, chunk, partBytes);
      process.stderr.write(
        `${store}, ${path}: push ${(row.push.ms / 1000).toFixed(1)} s, pull ${(row.pull.ms / 1000).toFixed(1)} s\n`,
      );
      rows.push(row);
    }
  }

  const mib = (n: number) => `${(n / MIB).toFixed(0)} MiB`;
  const rate = (m: Measured) => `${(image.bytes / MIB / (m.ms / 1000)).toFixed(0)} MiB/s`;
  const beyond = (row: Row) => Math.max(row.push.growth, row.pull.growth) - row.held;
  const header = [
    'store',
    'path',
    'push',
    'pull',
    'push RSS growth',
    'pull RSS growth',
    'held in memory',
    'on disk',
    'peak beyond held',
  ];
  const cells = rows.map((row) => [
    row.store,
    row.path,
    rate(row.push),
    rate(row.pull),
    mib(row.push.growth),
    mib(row.pull.growth),
    mib(row.held),
    mib(row.onDisk),
    mib(beyond(row)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i < 2 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
  console.log(
    `\nimage: ${mib(image.bytes)} in ${layers} random layers of ${values['layer-mib']} MiB + config; one fresh sandbox per row (child process)`,
  );
  console.log(
    `v2 monolithic: POST, then PUT <location>?digest= with the whole layer; v2 chunked: POST, PATCH ${values['chunk-mib']} MiB chunks with Content-Range, PUT ?digest=; ECR API: ${values['part-mib']} MiB UploadLayerPart parts (base64 in JSON); pulls read every blob to its end and check its digest`,
  );
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) console.log(line(row));
  const ratioOf = (store: Store, a: Path, b: Path) => {
    const x = rows.find((r) => r.store === store && r.path === a);
    const y = rows.find((r) => r.store === store && r.path === b);
    if (!x || !y) return;
    console.log(
      `${store}: ${b} / ${a}: push time ×${(y.push.ms / x.push.ms).toFixed(2)}, pull time ×${(y.pull.ms / x.pull.ms).toFixed(2)}, peak RSS growth ×${(Math.max(y.push.growth, y.pull.growth) / Math.max(1, Math.max(x.push.growth, x.pull.growth))).toFixed(1)}`,
    );
  };
  console.log('');
  for (const store of stores) ratioOf(store, paths[0] as Path, 'ECR API');
  const registryRows = rows.filter((r) => r.store === 'state-dir' && r.path !== 'ECR API');
  if (registryRows.length > 0) {
    const worst = Math.max(...registryRows.map(beyond));
    console.log(
      `\n[target RSS growth < 64 MB beyond stored bytes with --state-dir: ${worst < 64e6 ? 'met' : 'MISSED'}] (/v2/ worst ${mib(worst)} = ${(worst / 1e6).toFixed(0)} MB; 64 MB = 64,000,000 bytes)`,
    );
  }
}

if (process.argv.includes('--sandbox')) {
  sandboxChild().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  parent().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
