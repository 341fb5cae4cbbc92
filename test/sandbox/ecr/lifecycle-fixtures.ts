import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { ImageDetail } from '@aws-sdk/client-ecr';
import type { LifecycleImage } from '../../../src/cleanup/domain/lifecycle-evaluate.ts';
import { sha256Digest } from '../../../src/shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES } from '../../../src/shared/ecr/manifests.ts';
import { type ClientSettings, type EventQueue, eventQueue } from '../../support/event-queue.ts';
import type { ImageToPush } from '../../support/images.ts';

/** Images, the AWS CLI and an event queue for the lifecycle and archive tests of the ECR emulator. */

const run = promisify(execFile);

/** `aws ecr …` against `endpoint`: `ok` resolves the parsed JSON output, `error` the error code it printed. */
export function awsEcrCli(endpoint: string) {
  const ok = async (...args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await run('aws', ['ecr', ...args, '--endpoint-url', endpoint, '--output', 'json'], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
        AWS_MAX_ATTEMPTS: '1',
      },
    });
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  };
  const error = async (...args: string[]): Promise<string> => {
    try {
      await ok(...args);
    } catch (failure) {
      const stderr = String((failure as { stderr?: string }).stderr);
      return /\((\w+)\)/.exec(stderr)?.[1] ?? stderr;
    }
    throw new Error(`aws ecr ${args.join(' ')} unexpectedly succeeded`);
  };
  return { ok, error };
}

export type PushableImage = ImageToPush & { digest: string; layer: string };

/** An OCI image with a layer of its own (so its layer download is about this image only). */
export function uniqueImage(): PushableImage {
  const config = Buffer.from(JSON.stringify({ os: 'linux', nonce: randomBytes(8).toString('hex') }));
  const layer = randomBytes(48);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: config.length,
      digest: sha256Digest(config),
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        size: layer.length,
        digest: sha256Digest(layer),
      },
    ],
  });
  return {
    blobs: [config, layer],
    manifest,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    digest: sha256Digest(manifest),
    layer: sha256Digest(layer),
  };
}

/** An OCI image index listing `children` (push them first). */
export function indexOf(children: readonly PushableImage[]): ImageToPush & { digest: string } {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
    manifests: children.map((child, i) => ({
      mediaType: child.mediaType,
      size: Buffer.byteLength(child.manifest),
      digest: child.digest,
      platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
    })),
  });
  return { blobs: [], manifest, mediaType: MANIFEST_MEDIA_TYPES.ociIndex, digest: sha256Digest(manifest) };
}

const EMPTY = Buffer.from('{}');

/** An OCI 1.1 referrer (an SBOM) whose `subject` is `subject`. */
export function referrerOf(subject: { digest: string; manifest: string }): ImageToPush & { digest: string } {
  const payload = randomBytes(32);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    artifactType: 'application/spdx+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: sha256Digest(EMPTY) },
    layers: [{ mediaType: 'application/spdx+json', size: payload.length, digest: sha256Digest(payload) }],
    subject: {
      mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      size: Buffer.byteLength(subject.manifest),
      digest: subject.digest,
    },
  });
  return {
    blobs: [EMPTY, payload],
    manifest,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    digest: sha256Digest(manifest),
  };
}

/**
 * The engine's view of DescribeImages entries, built independently of the emulator's own mapping: referrers
 * (`subjectManifestDigest`) and images being restored are not lifecycle candidates; `childrenOf` gives an
 * index's children (the test knows what it pushed).
 */
export function lifecycleImagesFromDetails(
  details: readonly ImageDetail[],
  childrenOf: (digest: string) => readonly string[] = () => [],
): LifecycleImage[] {
  return details
    .filter((d) => d.subjectManifestDigest === undefined && d.imageStatus !== 'ACTIVATING')
    .map((d) => {
      const references = childrenOf(d.imageDigest as string);
      return {
        digest: d.imageDigest as string,
        tags: d.imageTags ?? [],
        pushedAt: (d.imagePushedAt as Date).getTime(),
        ...(d.lastRecordedPullTime ? { lastPulledAt: d.lastRecordedPullTime.getTime() } : {}),
        ...(d.lastActivatedAt ? { lastActivatedAt: d.lastActivatedAt.getTime() } : {}),
        storageClass: d.imageStatus === 'ARCHIVED' ? 'archive' : 'standard',
        ...(d.lastArchivedAt ? { transitionedAt: d.lastArchivedAt.getTime() } : {}),
        ...(references.length > 0 ? { references } : {}),
      } satisfies LifecycleImage;
    });
}

/**
 * A queue receiving the `aws.ecr` events about one repository from the default bus of `config`'s account and
 * Region (whole events: the input transformer delivers `<aws.events.event.json>`).
 */
export function ecrEventQueue(config: ClientSettings, repositoryName: string): Promise<EventQueue> {
  const name = `events-${repositoryName.replace(/[^a-zA-Z0-9-]/g, '-')}`.slice(0, 64);
  return eventQueue(config, name, { source: ['aws.ecr'], detail: { 'repository-name': [repositoryName] } });
}

/** The `detail` of each event, with its detail-type. */
export function detailsOf(events: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return events.map((e) => ({ 'detail-type': e['detail-type'], ...(e.detail as Record<string, unknown>) }));
}
