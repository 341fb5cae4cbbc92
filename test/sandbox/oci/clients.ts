import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Real OCI clients nobody here wrote (Debian's podman and skopeo) against the sandbox's registry API, each in a
 * throw-away storage, configuration and auth file under a temp directory so tests never touch the machine's.
 */

const available = new Map<string, boolean>();

/**
 * Fail (never skip) when a client is missing, naming it and how to get it: these tests exist to prove real
 * clients work, so a machine without them must not pass them silently.
 */
export function requireTool(tool: 'podman' | 'skopeo'): void {
  if (!available.has(tool)) {
    available.set(tool, spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0);
  }
  if (!available.get(tool)) {
    throw new Error(
      `${tool} is not installed: the registry API tests drive the real ${tool} (apt-get install -y podman skopeo; .ci/run installs them when missing)`,
    );
  }
}

/** The outcome of a command that exited 0. */
export interface Ran {
  stdout: string;
  stderr: string;
}

/** Run a command; rejects with its exit code and stderr when it fails. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * `skopeo copy` of the OCI layout image `from` (`<layout dir>:<ref>`) to `to` (`<host>/<name>:<tag>` or
 * `…@<digest>`), logged in with `creds` (`AWS:<password>`), over the sandbox's plain HTTP.
 */
export function skopeoPush(env: NodeJS.ProcessEnv, creds: string, from: string, to: string): Promise<Ran> {
  return run(
    'skopeo',
    ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${from}`, `docker://${to}`],
    {
      env,
    },
  );
}

/** `aws ecr get-login-password` against the sandbox, signed with `accessKeyId` (default the tests' usual key). */
export async function loginPassword(endpoint: string, accessKeyId = 'testing'): Promise<string> {
  const { stdout } = await run('aws', ['ecr', 'get-login-password', '--endpoint-url', endpoint], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    },
  });
  return stdout.trim();
}

/** The registry host of a sandbox URL (`127.0.0.1:PORT`). */
export function registryHost(endpoint: string): string {
  return new URL(endpoint).host;
}

/** A temp directory with its own podman storage and configuration; `env` points podman, buildah and skopeo at it. */
export async function clientSandbox(): Promise<{
  dir: string;
  env: NodeJS.ProcessEnv;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'oci-clients-'));
  await mkdir(join(dir, 'tmp'));
  await writeFile(
    join(dir, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'root')}"\nrunroot = "${join(dir, 'run')}"\n`,
  );
  await writeFile(
    join(dir, 'containers.conf'),
    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\n',
  );
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
    BUILDAH_ISOLATION: 'chroot',
    TMPDIR: join(dir, 'tmp'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
  };
  return { dir, env, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A build context of `FROM scratch` + one small file (no network needed). */
export async function scratchContext(dir: string, content: string): Promise<string> {
  const context = await mkdtemp(join(dir, 'ctx-'));
  await writeFile(join(context, 'payload.txt'), content);
  await writeFile(join(context, 'Containerfile'), 'FROM scratch\nCOPY payload.txt /payload.txt\n');
  return context;
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * An OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md) holding one
 * image of one small layer, tagged `ref`, for skopeo to copy from (`oci:<dir>:<ref>`) without podman.
 */
export async function ociLayout(
  dir: string,
  content: string,
  ref: string,
): Promise<{ path: string; digest: string }> {
  const path = await mkdtemp(join(dir, 'layout-'));
  await mkdir(join(path, 'blobs', 'sha256'), { recursive: true });
  const put = async (data: Buffer | string) => {
    const digest = sha256(data);
    await writeFile(join(path, 'blobs', 'sha256', digest.slice(7)), data);
    return { digest, size: Buffer.byteLength(data) };
  };
  // Compressed already: a copy then has nothing to compress and keeps the manifest's bytes (and digest).
  const layer = await put(gzipSync(Buffer.from(content)));
  const config = await put(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      config: {},
    }),
  );
  const manifestText = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  });
  const manifest = await put(manifestText);
  await writeFile(join(path, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(path, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': ref },
        },
      ],
    }),
  );
  return { path, digest: manifest.digest };
}
