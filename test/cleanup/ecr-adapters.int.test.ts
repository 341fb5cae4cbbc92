import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  PutLifecyclePolicyCommand,
  paginateDescribeImages,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrRepositoryImages } from '../../src/cleanup/adapters/ecr-images.ts';
import { ecrImageRemover } from '../../src/cleanup/adapters/ecr-remover.ts';
import { ecrRepositoryCatalog } from '../../src/cleanup/adapters/ecr-repositories.ts';
import { readSnapshot } from '../../src/cleanup/snapshot.ts';
import { SANDBOX_ACCOUNT_ID, type Sandbox, startSandbox } from '../../src/sandbox/server.ts';
import { sha256Digest } from '../../src/shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES, putManifest } from '../../src/shared/ecr/manifests.ts';
import { sandboxAdmin } from '../support/admin.ts';
import { uploadBlob } from '../support/images.ts';
import { awsClientConfig, uniqueName } from '../support/sandbox.ts';

/**
 * Cleanup's ECR adapters against the sandbox's ECR emulator, real SDK and real AWS CLI. Call counts come from
 * the sandbox's request counters, which every client of a sandbox shares, so this file runs its own sandbox.
 * Images are cheap to make in bulk: one config and one layer blob per repository, then one PutImage per image,
 * the manifests differing only by an annotation (each is a distinct image with its own digest).
 */

const run = promisify(execFile);
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const SIGNATURE_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const CONFIG = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
const LAYER = Buffer.from('cleanup adapters layer');

let sandbox: Sandbox;
let ecr: ECRClient;
let admin: ReturnType<typeof sandboxAdmin>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, scanDelayMs: 50, quiet: true });
  ecr = new ECRClient(awsClientConfig(sandbox.url));
  admin = sandboxAdmin(sandbox.url);
}, 90_000);

afterAll(async () => {
  ecr?.destroy();
  await sandbox?.stop();
}, 30_000);

interface Pushed {
  digest: string;
  manifest: string;
  mediaType: string;
}

function descriptor(mediaType: string, bytes: Uint8Array) {
  return { mediaType, size: bytes.length, digest: sha256Digest(bytes) };
}

/** A repository holding the shared config and layer blobs. */
async function repository(prefix: string): Promise<string> {
  const repositoryName = uniqueName(prefix);
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  await uploadBlob(ecr, repositoryName, CONFIG);
  await uploadBlob(ecr, repositoryName, LAYER);
  return repositoryName;
}

async function put(repositoryName: string, body: object, mediaType: string, tag?: string): Promise<Pushed> {
  const manifest = JSON.stringify(body);
  await putManifest(ecr, {
    repositoryName,
    imageManifest: manifest,
    imageManifestMediaType: mediaType,
    ...(tag === undefined ? {} : { imageTag: tag }),
  });
  return { digest: sha256Digest(manifest), manifest, mediaType };
}

function image(repositoryName: string, name: string, tag?: string): Promise<Pushed> {
  const body = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    config: descriptor(OCI_CONFIG, CONFIG),
    layers: [descriptor(OCI_LAYER, LAYER)],
    annotations: { 'org.example.name': name },
  };
  return put(repositoryName, body, MANIFEST_MEDIA_TYPES.ociManifest, tag);
}

/** `count` images, 16 PutImage in flight; every other one tagged `t<i>` (push order is kept per image). */
async function images(repositoryName: string, count: number, prefix = 'img'): Promise<Pushed[]> {
  const pushed: Pushed[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      pushed[i] = await image(repositoryName, `${prefix}-${i}`, i % 2 === 0 ? `${prefix}-t${i}` : undefined);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return pushed;
}

/** An OCI index of two new untagged child images, tagged `tag`. */
async function indexWithChildren(repositoryName: string, tag: string) {
  const children = [await image(repositoryName, `${tag}-amd64`), await image(repositoryName, `${tag}-arm64`)];
  const index = await put(
    repositoryName,
    {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociIndex,
      manifests: children.map((child, i) => ({
        mediaType: child.mediaType,
        size: Buffer.byteLength(child.manifest),
        digest: child.digest,
        platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
      })),
    },
    MANIFEST_MEDIA_TYPES.ociIndex,
    tag,
  );
  return { index, children };
}

/** An untagged OCI 1.1 signature of `subject`. */
function signatureOf(repositoryName: string, subject: Pushed): Promise<Pushed> {
  return put(
    repositoryName,
    {
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      artifactType: SIGNATURE_TYPE,
      config: descriptor(OCI_CONFIG, CONFIG),
      layers: [descriptor(OCI_LAYER, LAYER)],
      subject: {
        mediaType: subject.mediaType,
        digest: subject.digest,
        size: Buffer.byteLength(subject.manifest),
      },
    },
    MANIFEST_MEDIA_TYPES.ociManifest,
  );
}

async function ecrCalls(): Promise<Record<string, number>> {
  const counts = (await admin('GET', 'requests')) as Record<string, Record<string, number>>;
  return counts.ecr ?? {};
}

async function clearCalls(): Promise<void> {
  await admin('DELETE', 'requests');
}

/** Every digest in the repository, whatever its status (the emulator's own view, through the API). */
async function digestsIn(repositoryName: string): Promise<Set<string>> {
  const digests = new Set<string>();
  const pages = paginateDescribeImages(
    { client: ecr, pageSize: 1000 },
    { repositoryName, filter: { tagStatus: 'ANY', imageStatus: 'ANY' } },
  );
  for await (const page of pages) for (const d of page.imageDetails ?? []) digests.add(d.imageDigest ?? '');
  return digests;
}

describe('ecrRepositoryImages', () => {
  let repositoryName: string;
  let plain: Pushed[];
  let multiArch: Awaited<ReturnType<typeof indexWithChildren>>;
  let signature: Pushed;

  beforeAll(async () => {
    // 2,496 images + an index and its 2 children + 1 signature = 2,500 images.
    repositoryName = await repository('cleanup-list');
    plain = await images(repositoryName, 2_496);
    multiArch = await indexWithChildren(repositoryName, 'multi');
    signature = await signatureOf(repositoryName, plain[0] as Pushed);
  }, 180_000);

  it('lists 2,500 images with 3 DescribeImages and 1 BatchGetImage (the one index), nothing else', async () => {
    // Prepare
    await clearCalls();
    // Act
    const listed = await ecrRepositoryImages(ecr).list(repositoryName);
    // Assess
    expect(await ecrCalls()).toEqual({ DescribeImages: 3, BatchGetImage: 1 });
    expect(listed).toHaveLength(2_500);
    expect(new Set(listed.map((i) => i.digest)).size).toBe(2_500);
  });

  it("finds an index's children, a referrer's subject, and gives untagged images no tags", async () => {
    const listed = await ecrRepositoryImages(ecr).list(repositoryName);
    const byDigest = new Map(listed.map((i) => [i.digest, i]));

    expect(byDigest.get(multiArch.index.digest)).toMatchObject({
      tags: ['multi'],
      manifestMediaType: MANIFEST_MEDIA_TYPES.ociIndex,
      references: multiArch.children.map((c) => c.digest),
    });
    for (const child of multiArch.children) {
      expect(byDigest.get(child.digest)).toMatchObject({ tags: [], storageClass: 'standard' });
      expect(byDigest.get(child.digest)?.references).toBeUndefined();
    }
    expect(byDigest.get(signature.digest)).toMatchObject({
      tags: [],
      subjectDigest: plain[0]?.digest,
      artifactMediaType: SIGNATURE_TYPE,
    });
    expect(byDigest.get((plain[1] as Pushed).digest)?.tags).toEqual([]);
    expect(byDigest.get((plain[2] as Pushed).digest)?.tags).toEqual(['img-t2']);
  });

  it('equals the snapshot read from `aws ecr describe-images`, index references aside', async () => {
    // Prepare: the real CLI (CLI v1 prints epoch seconds), in a child process: the sandbox runs in this one.
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(tmpdir(), 'no-aws-config'),
    };
    const args = [
      'ecr',
      'describe-images',
      '--repository-name',
      repositoryName,
      '--endpoint-url',
      sandbox.url,
    ];
    const { stdout } = await run('aws', args, { env, maxBuffer: 64 * 1024 * 1024 });
    // The same listing with ISO timestamps (CLI v2's default; CLI v1 with cli_timestamp_format = iso8601).
    const isoConfig = join(tmpdir(), `${repositoryName}-iso.cfg`);
    await writeFile(isoConfig, '[default]\ncli_timestamp_format = iso8601\n');
    const iso = await run('aws', args, { env: { ...env, AWS_CONFIG_FILE: isoConfig }, maxBuffer: 64 << 20 });
    // Act
    const listed = await ecrRepositoryImages(ecr).list(repositoryName);
    const snapshot = readSnapshot(stdout, 'describe-images.json');
    const isoSnapshot = readSnapshot(iso.stdout, 'describe-images-iso.json');
    // Assess
    const withoutReferences = listed.map(({ references: _, ...rest }) => rest);
    expect(snapshot.repositoryName).toBe(repositoryName);
    expect(snapshot.registryId).toBe(SANDBOX_ACCOUNT_ID);
    expect(snapshot.indexChildrenUnknown).toBe(true);
    expect(snapshot.images).toEqual(withoutReferences);
    expect(isoSnapshot.images).toEqual(withoutReferences);
  }, 120_000);
});

describe('ecrImageRemover.expire', () => {
  it('deletes 250 digests in 3 BatchDeleteImage calls, an index before its children in the same call', async () => {
    // Prepare: 247 images + index + 2 children, plus 5 images that must stay.
    const repositoryName = await repository('cleanup-expire');
    const doomed = await images(repositoryName, 247);
    const multiArch = await indexWithChildren(repositoryName, 'multi');
    const kept = await images(repositoryName, 5, 'kept');
    const order = [
      ...doomed.slice(0, 150).map((i) => i.digest),
      multiArch.index.digest,
      ...multiArch.children.map((c) => c.digest),
      ...doomed.slice(150).map((i) => i.digest),
    ];
    await clearCalls();
    // Act
    const result = await ecrImageRemover(ecr).expire(repositoryName, order);
    // Assess
    expect(await ecrCalls()).toEqual({ BatchDeleteImage: 3 });
    expect(result).toEqual({ done: order, failures: [] });
    expect(await digestsIn(repositoryName)).toEqual(new Set(kept.map((i) => i.digest)));
  });

  it('retries children refused before their index (in an earlier batch) once, after the other batches', async () => {
    // Prepare: the children in batch 1, their index in batch 2.
    const repositoryName = await repository('cleanup-children-first');
    const multiArch = await indexWithChildren(repositoryName, 'multi');
    const others = await images(repositoryName, 120);
    const order = [
      ...multiArch.children.map((c) => c.digest),
      ...others.map((i) => i.digest),
      multiArch.index.digest,
    ];
    await clearCalls();
    // Act
    const result = await ecrImageRemover(ecr).expire(repositoryName, order);
    // Assess: 2 calls for 123 digests, 1 retry call for the 2 children.
    expect(await ecrCalls()).toEqual({ BatchDeleteImage: 3 });
    expect(result).toEqual({ done: order, failures: [] });
    expect((await digestsIn(repositoryName)).size).toBe(0);
  });

  it('reports a per-item failure after one retry, and counts an image already gone as done', async () => {
    // Prepare: a child of an index that stays (ImageReferencedByManifestList), a digest that is not there.
    const repositoryName = await repository('cleanup-failure');
    const multiArch = await indexWithChildren(repositoryName, 'multi');
    const plain = await images(repositoryName, 2);
    const child = (multiArch.children[0] as Pushed).digest;
    const gone = `sha256:${'0'.repeat(64)}`;
    await clearCalls();
    // Act
    const result = await ecrImageRemover(ecr).expire(repositoryName, [
      child,
      gone,
      ...plain.map((i) => i.digest),
    ]);
    // Assess
    expect(await ecrCalls()).toEqual({ BatchDeleteImage: 2 });
    expect(result.done).toEqual([gone, ...plain.map((i) => i.digest)]);
    expect(result.failures).toEqual([
      { digest: child, code: 'ImageReferencedByManifestList', message: expect.any(String) },
    ]);
    expect(await digestsIn(repositoryName)).toEqual(
      new Set([multiArch.index.digest, ...multiArch.children.map((c) => c.digest)]),
    );
  });

  it('ends with exactly the right images deleted under 20% ThrottlingException and a call past SDK retries', async () => {
    // Prepare: a client that retries (3 attempts, the SDK default); 20% of BatchDeleteImage throttled, and the
    // 2nd call's 3 attempts all throttled so one whole batch fails past the SDK's retries.
    const repositoryName = await repository('cleanup-throttled');
    const doomed = await images(repositoryName, 247);
    const multiArch = await indexWithChildren(repositoryName, 'multi');
    const kept = await images(repositoryName, 5, 'kept');
    const order = [
      ...doomed.slice(0, 120).map((i) => i.digest),
      multiArch.index.digest,
      ...multiArch.children.map((c) => c.digest),
      ...doomed.slice(120).map((i) => i.digest),
    ];
    const retrying = new ECRClient({ ...awsClientConfig(sandbox.url), maxAttempts: 3 });
    const rules = [
      { service: 'ecr', action: 'BatchDeleteImage', error: 'ThrottlingException', nth: 2, times: 3 },
      { service: 'ecr', action: 'BatchDeleteImage', error: 'ThrottlingException', rate: 0.2 },
    ];
    const ids: string[] = [];
    for (const rule of rules) ids.push(((await admin('POST', 'faults', rule)) as { id: string }).id);
    try {
      // Act
      const result = await ecrImageRemover(retrying).expire(repositoryName, order);
      // Assess: every digest is done or failed, never both; the registry lost exactly the done ones.
      const { faults } = (await admin('GET', 'faults')) as { faults: { id: string; fired: number }[] };
      expect(faults.find((f) => f.id === ids[0])?.fired).toBe(3);
      const failed = result.failures.map((f) => f.digest);
      expect([...result.done, ...failed].sort()).toEqual([...order].sort());
      expect(new Set(failed).size + new Set(result.done).size).toBe(order.length);
      for (const failure of result.failures) expect(failure.code).toBe('ThrottlingException');
      expect(await digestsIn(repositoryName)).toEqual(new Set([...kept.map((i) => i.digest), ...failed]));
    } finally {
      for (const id of ids) await admin('DELETE', `faults/${id}`);
      retrying.destroy();
    }
  }, 60_000);
});

describe('ecrImageRemover.archive', () => {
  it('moves images to the archive storage class, one UpdateImageStorageClass each', async () => {
    // Prepare
    const repositoryName = await repository('cleanup-archive');
    const pushed = await images(repositoryName, 3);
    const digests = pushed.slice(0, 2).map((i) => i.digest);
    await clearCalls();
    // Act
    const result = await ecrImageRemover(ecr).archive(repositoryName, digests);
    // Assess
    expect(await ecrCalls()).toEqual({ UpdateImageStorageClass: 2 });
    expect(result).toEqual({ done: digests, failures: [] });
    const listed = await ecrRepositoryImages(ecr).list(repositoryName);
    const classes = Object.fromEntries(listed.map((i) => [i.digest, i.storageClass]));
    expect(classes).toEqual({
      [digests[0] as string]: 'archive',
      [digests[1] as string]: 'archive',
      [(pushed[2] as Pushed).digest]: 'standard',
    });
    expect(listed.find((i) => i.digest === digests[0])?.transitionedAt).toBeTypeOf('number');
    // Default DescribeImages (ACTIVE only) no longer shows them: the adapter's imageStatus ANY is what does.
    const active = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    expect(active.imageDetails?.map((d) => d.imageDigest)).toEqual([(pushed[2] as Pushed).digest]);
  });

  it("lists an archived index without references: its manifest can't be pulled, so its children are unknown", async () => {
    // Prepare
    const repositoryName = await repository('cleanup-archived-index');
    const multiArch = await indexWithChildren(repositoryName, 'multi');
    const archived = await ecrImageRemover(ecr).archive(repositoryName, [multiArch.index.digest]);
    expect(archived.failures).toEqual([]);
    await clearCalls();
    // Act
    const listed = await ecrRepositoryImages(ecr).list(repositoryName);
    // Assess: no BatchGetImage of an index that would only answer ImageNotFound.
    expect(await ecrCalls()).toEqual({ DescribeImages: 1 });
    const index = listed.find((i) => i.digest === multiArch.index.digest);
    expect(index).toMatchObject({ storageClass: 'archive', tags: ['multi'] });
    expect(index?.references).toBeUndefined();
  });
});

describe('ecrRepositoryCatalog', () => {
  it('lists repositories and reads a lifecycle policy, undefined when there is none', async () => {
    // Prepare
    const withPolicy = await repository('cleanup-catalog-a');
    const without = await repository('cleanup-catalog-b');
    const policy = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 14,
          },
          action: { type: 'expire' },
        },
      ],
    });
    await ecr.send(
      new PutLifecyclePolicyCommand({ repositoryName: withPolicy, lifecyclePolicyText: policy }),
    );
    const catalog = ecrRepositoryCatalog(ecr);
    // Act
    const repositories = await catalog.list();
    // Assess
    expect(repositories).toEqual(
      expect.arrayContaining([
        { repositoryName: withPolicy, registryId: SANDBOX_ACCOUNT_ID },
        { repositoryName: without, registryId: SANDBOX_ACCOUNT_ID },
      ]),
    );
    expect(JSON.parse((await catalog.lifecyclePolicy(withPolicy)) ?? 'null')).toEqual(JSON.parse(policy));
    expect(await catalog.lifecyclePolicy(without)).toBeUndefined();
  });
});
