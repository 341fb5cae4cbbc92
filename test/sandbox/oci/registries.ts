import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliCredentials } from '../ecr/aws-cli.ts';
import { type Ran, run } from './clients.ts';

/**
 * Helpers for driving real clients at more than one registry of the sandbox: a login of any account and Region
 * (the AWS CLI's `get-login-password`), a client run that can name a registry by its ECR host name, and OCI
 * layouts of referrer artifacts for skopeo to push.
 */

/** The credentials the tests' usual key stands for: the sandbox's own account. */
export const HOME_CREDENTIALS: CliCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * `aws ecr get-login-password --region <region>` against the sandbox, signed with `credentials` (an assumed
 * role's, for another account): the token is for that account's registry in that Region.
 */
export async function loginPasswordAs(
  endpoint: string,
  credentials: CliCredentials,
  region: string,
): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
  };
  if (credentials.sessionToken === undefined) delete env.AWS_SESSION_TOKEN;
  else env.AWS_SESSION_TOKEN = credentials.sessionToken;
  const { stdout } = await run(
    'aws',
    ['ecr', 'get-login-password', '--endpoint-url', endpoint, '--region', region],
    { env },
  );
  return stdout.trim();
}

/** ECR's registry host name for the sandbox: `<account>.dkr.ecr.<region>.localhost:<port>`. */
export function ecrHost(endpoint: string, accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.localhost:${new URL(endpoint).port}`;
}

/**
 * Run `command` so that the given ECR host names resolve to 127.0.0.1, as `docker login <account>.dkr.ecr.…`
 * reaches a registry. skopeo 1.9.3 here fails `lookup <account>.dkr.ecr.<region>.localhost … no such host`
 * (neither its resolver nor glibc special-cases `*.localhost`), and containers/image sends the name it connects
 * to as `Host` (a registries.conf mirror or location would send the mirror's), so the way to make a real client
 * name a registry is a hosts file: a private one, bind-mounted over /etc/hosts in a mount namespace of its own
 * (`unshare -m`; `-r` adds a user namespace when not root), never the machine's.
 */
export async function runWithHosts(
  dir: string,
  hostNames: string[],
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<Ran> {
  const hostsFile = join(await mkdtemp(join(dir, 'hosts-')), 'hosts');
  const names = hostNames.map((name) => name.replace(/:\d+$/, ''));
  await writeFile(hostsFile, `127.0.0.1 localhost ${names.join(' ')}\n::1 localhost\n`);
  const namespaces = process.getuid?.() === 0 ? ['-m'] : ['-r', '-m'];
  return run(
    'unshare',
    [...namespaces, 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile, command, ...args],
    { env },
  );
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** What a referrer points at: the subject manifest's descriptor. */
export interface Subject {
  mediaType: string;
  digest: string;
  size: number;
}

/**
 * An OCI image layout of one referrer artifact of `subject`, tagged `ref`: an image manifest with `subject`,
 * one layer of `content`, and either an `artifactType` (with the empty config, as the image spec recommends for
 * artifacts) or, without one, a config of `configMediaType` (from which a registry derives the artifact type).
 * The manifest's bytes are what the registry must keep: its digest is returned.
 */
export async function artifactLayout(
  dir: string,
  subject: Subject,
  options: { artifactType?: string; configMediaType?: string; layerMediaType: string; content: string },
  ref: string,
): Promise<{ path: string; digest: string; size: number }> {
  const path = await mkdtemp(join(dir, 'artifact-'));
  await mkdir(join(path, 'blobs', 'sha256'), { recursive: true });
  const put = async (data: Buffer | string) => {
    const digest = sha256(data);
    await writeFile(join(path, 'blobs', 'sha256', digest.slice(7)), data);
    return { digest, size: Buffer.byteLength(data) };
  };
  const config = await put('{}');
  const layer = await put(options.content);
  const manifestText = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...(options.artifactType === undefined ? {} : { artifactType: options.artifactType }),
    config: {
      mediaType: options.configMediaType ?? 'application/vnd.oci.empty.v1+json',
      ...config,
    },
    layers: [{ mediaType: options.layerMediaType, ...layer }],
    subject,
    annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
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
  return { path, ...manifest };
}
