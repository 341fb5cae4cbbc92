import { beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, ociIndex, REGION, sha256 } from '../ecr/fixtures.ts';
import { makeRegistry } from './api.ts';

/**
 * The registry API (`/v2/…`) over the real emulator in-process: the OCI distribution protocol (uploads, mounts,
 * manifests, tags, referrers, errors) and one store with the ECR API. Auth and access: registry-api-access.test.ts.
 */

const CONFIG = Buffer.from('{"architecture":"amd64","os":"linux"}');
const LAYER = Buffer.from('layer-bytes-0123456789');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** An OCI manifest of CONFIG and LAYER, unique by `variant`; spacing kept odd on purpose (digest of the bytes). */
function manifestOf(variant: string, extra: Record<string, unknown> = {}): string {
  return `{ "schemaVersion": 2, "mediaType": "${OCI_MANIFEST}",\n  "config": {"mediaType":"application/vnd.oci.image.config.v1+json","size":${CONFIG.length},"digest":"${sha256(CONFIG)}"},\n  "layers": [{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":${LAYER.length},"digest":"${sha256(LAYER)}"}],\n  "annotations": {"variant":"${variant}"}${Object.keys(extra).length > 0 ? `, ${JSON.stringify(extra).slice(1, -1)}` : ''} }`;
}

let r: Awaited<ReturnType<typeof makeRegistry>>;
beforeEach(async () => {
  r = await makeRegistry();
  await r.ok('CreateRepository', { repositoryName: 'team/app' });
});

async function pushBlob(name: string, data: Buffer): Promise<void> {
  const response = await r.send('POST', `/v2/${name}/blobs/uploads/?digest=${sha256(data)}`, { body: data });
  expect(response.status).toBe(201);
}

async function pushManifest(name: string, reference: string, manifest: string, type = OCI_MANIFEST) {
  return r.send('PUT', `/v2/${name}/manifests/${reference}`, {
    body: manifest,
    headers: { 'content-type': type },
  });
}

describe('blob uploads', () => {
  it('takes chunks in order, answers 416 with the current Range to one out of order, and closes with the digest', async () => {
    // Prepare
    const data = Buffer.from('0123456789abcdef');
    const started = await r.send('POST', '/v2/team/app/blobs/uploads/');
    expect(started.status).toBe(202);
    expect(started.headers.range).toBe('0-0');
    const location = started.headers.location as string;
    // Act
    const first = await r.send('PATCH', location, {
      body: data.subarray(0, 5),
      headers: { 'content-range': '0-4' },
    });
    const outOfOrder = await r.send('PATCH', location, {
      body: data.subarray(10, 16),
      headers: { 'content-range': '10-15' },
    });
    const status = await r.send('GET', location);
    const second = await r.send('PATCH', location, { body: data.subarray(5, 10) });
    const closed = await r.send('PUT', `${location}?digest=${sha256(data)}`, {
      body: data.subarray(10),
      headers: { 'content-range': '10-15' },
    });
    // Assess
    expect([first.status, first.headers.range]).toEqual([202, '0-4']);
    expect([outOfOrder.status, r.errorCode(outOfOrder), outOfOrder.headers.range]).toEqual([
      416,
      'RANGE_INVALID',
      '0-4',
    ]);
    expect([status.status, status.headers.range]).toEqual([204, '0-4']);
    expect(second.headers.range).toBe('0-9');
    expect(closed.status).toBe(201);
    expect(closed.headers['docker-content-digest']).toBe(sha256(data));
    expect(closed.headers.location).toBe(`/v2/team/app/blobs/${sha256(data)}`);
    // One store: the ECR API sees the blob the registry API uploaded
    const availability = await r.ok('BatchCheckLayerAvailability', {
      repositoryName: 'team/app',
      layerDigests: [sha256(data)],
    });
    expect(availability.layers).toEqual([
      { layerDigest: sha256(data), layerAvailability: 'AVAILABLE', layerSize: data.length },
    ]);
  });

  it('refuses a closing digest that is not the content’s with DIGEST_INVALID, and forgets the session', async () => {
    const started = await r.send('POST', '/v2/team/app/blobs/uploads/');
    const location = started.headers.location as string;
    const closed = await r.send('PUT', `${location}?digest=${sha256('other')}`, { body: 'content' });
    const after = await r.send('GET', location);
    expect([closed.status, r.errorCode(closed)]).toEqual([400, 'DIGEST_INVALID']);
    expect([after.status, r.errorCode(after)]).toEqual([404, 'BLOB_UPLOAD_UNKNOWN']);
  });

  it('cancels an upload with DELETE', async () => {
    const location = (await r.send('POST', '/v2/team/app/blobs/uploads/')).headers.location as string;
    expect((await r.send('DELETE', location)).status).toBe(204);
    expect(r.errorCode(await r.send('PATCH', location, { body: 'x' }))).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('serves a blob pushed in one POST: HEAD with its length and digest, GET whole or by Range', async () => {
    // Prepare
    await pushBlob('team/app', LAYER);
    // Act
    const head = await r.send('HEAD', `/v2/team/app/blobs/${sha256(LAYER)}`);
    const whole = await r.send('GET', `/v2/team/app/blobs/${sha256(LAYER)}`);
    const part = await r.send('GET', `/v2/team/app/blobs/${sha256(LAYER)}`, {
      headers: { range: 'bytes=6-10' },
    });
    const missing = await r.send('GET', `/v2/team/app/blobs/${sha256('nothing')}`);
    // Assess
    expect([
      head.status,
      head.headers['content-length'],
      head.headers['docker-content-digest'],
      head.text,
    ]).toEqual([200, String(LAYER.length), sha256(LAYER), '']);
    expect(whole.text).toBe(LAYER.toString());
    expect([part.status, part.text, part.headers['content-range']]).toEqual([
      206,
      'bytes',
      `bytes 6-10/${LAYER.length}`,
    ]);
    expect([missing.status, r.errorCode(missing)]).toEqual([404, 'BLOB_UNKNOWN']);
  });

  it('answers NAME_UNKNOWN for a repository that does not exist and no template creates', async () => {
    const response = await r.send('POST', '/v2/nowhere/app/blobs/uploads/');
    expect([response.status, r.errorCode(response)]).toEqual([404, 'NAME_UNKNOWN']);
  });
});

describe('cross-repository mount', () => {
  beforeEach(async () => {
    await r.ok('CreateRepository', { repositoryName: 'team/copy' });
    await pushBlob('team/app', CONFIG);
    await pushBlob('team/app', LAYER);
    expect((await pushManifest('team/app', 'v1', manifestOf('a'))).status).toBe(201);
  });

  const mount = (digest: string, from = 'team/app') =>
    r.send('POST', `/v2/team/copy/blobs/uploads/?mount=${digest}&from=${from}`);

  it('starts an upload (202) while BLOB_MOUNTING is DISABLED, its default', async () => {
    expect(await r.ok('GetAccountSetting', { name: 'BLOB_MOUNTING' })).toEqual({
      name: 'BLOB_MOUNTING',
      value: 'DISABLED',
    });
    const response = await mount(sha256(LAYER));
    expect(response.status).toBe(202);
    expect(response.headers.location).toMatch(/^\/v2\/team\/copy\/blobs\/uploads\/.+/);
  });

  it('mounts without copying (201) once BLOB_MOUNTING is ENABLED, when an image of the source uses the blob', async () => {
    // Prepare
    await r.ok('PutAccountSetting', { name: 'BLOB_MOUNTING', value: 'ENABLED' });
    await pushBlob('team/app', Buffer.from('loose blob, in no image'));
    // Act
    const mounted = await mount(sha256(LAYER));
    const loose = await mount(sha256(Buffer.from('loose blob, in no image')));
    const fromNowhere = await mount(sha256(LAYER), 'team/none');
    // Assess
    expect([mounted.status, mounted.headers['docker-content-digest']]).toEqual([201, sha256(LAYER)]);
    expect((await r.send('HEAD', `/v2/team/copy/blobs/${sha256(LAYER)}`)).status).toBe(200);
    expect(loose.status).toBe(202);
    expect(fromNowhere.status).toBe(202);
  });
});

describe('manifests', () => {
  beforeEach(async () => {
    await pushBlob('team/app', CONFIG);
    await pushBlob('team/app', LAYER);
  });

  it('stores the exact bytes through PutImage’s code: the digest, size, tag and PUSH event the ECR API reports', async () => {
    // Prepare
    const manifest = manifestOf('one');
    // Act
    const pushed = await pushManifest('team/app', 'v1', manifest);
    // Assess
    expect(pushed.status).toBe(201);
    expect(pushed.headers['docker-content-digest']).toBe(sha256(manifest));
    expect(pushed.headers.location).toBe(`/v2/team/app/manifests/${sha256(manifest)}`);
    const { imageDetails } = await r.ok('DescribeImages', { repositoryName: 'team/app' });
    expect(imageDetails).toEqual([
      expect.objectContaining({
        imageDigest: sha256(manifest),
        imageTags: ['v1'],
        imageSizeInBytes: LAYER.length,
        imagePushedAt: r.clock.now().getTime() / 1000,
        imageManifestMediaType: OCI_MANIFEST,
      }),
    ]);
    const push = r.events.filter((e) => e.DetailType === 'ECR Image Action').map((e) => JSON.parse(e.Detail));
    expect(push).toEqual([
      expect.objectContaining({
        'action-type': 'PUSH',
        result: 'SUCCESS',
        'repository-name': 'team/app',
        'image-digest': sha256(manifest),
        'image-tag': 'v1',
      }),
    ]);
  });

  it('serves a pull by tag and by digest with the stored bytes, records the pull time, and HEAD is no pull', async () => {
    // Prepare
    const manifest = manifestOf('two');
    await pushManifest('team/app', 'v2', manifest);
    // Act
    const head = await r.send('HEAD', '/v2/team/app/manifests/v2');
    const afterHead = await r.ok('DescribeImages', { repositoryName: 'team/app' });
    r.clock.advance(60_000);
    const byTag = await r.send('GET', '/v2/team/app/manifests/v2', { headers: { accept: OCI_MANIFEST } });
    const byDigest = await r.send('GET', `/v2/team/app/manifests/${sha256(manifest)}`);
    // Assess
    expect([head.status, head.headers['content-length'], head.headers['docker-content-digest']]).toEqual([
      200,
      String(Buffer.byteLength(manifest)),
      sha256(manifest),
    ]);
    expect(afterHead.imageDetails[0].lastRecordedPullTime).toBeUndefined();
    expect([byTag.text, byTag.headers['content-type']]).toEqual([manifest, OCI_MANIFEST]);
    expect(byDigest.text).toBe(manifest);
    const { imageDetails } = await r.ok('DescribeImages', { repositoryName: 'team/app' });
    expect(imageDetails[0].lastRecordedPullTime).toBe(r.clock.now().getTime() / 1000);
  });

  it('records no pull time for a principal excluded from pull time updates, as BatchGetImage does', async () => {
    // Prepare
    const role = `arn:aws:iam::${ACCOUNT}:role/scanner`;
    await r.ok('RegisterPullTimeUpdateExclusion', { principalArn: role });
    const issued = await r.emulator.serve('GetAuthorizationToken', '{}', {
      accountId: ACCOUNT,
      region: REGION,
      principalArn: role,
    });
    const token = JSON.parse(String(issued.body)).authorizationData[0].authorizationToken as string;
    const auth = `Basic ${token}`;
    await pushManifest('team/app', 'v3', manifestOf('three'));
    // Act
    const byScanner = await r.send('GET', '/v2/team/app/manifests/v3', { auth });
    const afterScanner = await r.ok('DescribeImages', { repositoryName: 'team/app' });
    const byOther = await r.send('GET', '/v2/team/app/manifests/v3');
    // Assess
    expect([byScanner.status, byOther.status]).toEqual([200, 200]);
    expect(afterScanner.imageDetails[0].lastRecordedPullTime).toBeUndefined();
    const { imageDetails } = await r.ok('DescribeImages', { repositoryName: 'team/app' });
    expect(imageDetails[0].lastRecordedPullTime).toBe(r.clock.now().getTime() / 1000);
  });

  it('answers a pull under a pull through cache rule with NAME_UNKNOWN saying the upstream is unreachable offline', async () => {
    // Prepare
    await r.ok('CreatePullThroughCacheRule', { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' });
    // Act
    const pulled = await r.send('GET', '/v2/quay/coreos/etcd/manifests/v3.5.0');
    // Assess
    expect([pulled.status, r.errorCode(pulled)]).toEqual([404, 'NAME_UNKNOWN']);
    expect(pulled.text).toMatch(/upstream unreachable.*quay\.io/);
  });

  it('answers a manifest whose blobs the repository lacks with MANIFEST_BLOB_UNKNOWN and ECR’s message', async () => {
    await r.ok('CreateRepository', { repositoryName: 'team/empty' });
    const response = await pushManifest('team/empty', 'v1', manifestOf('x'));
    expect([response.status, r.errorCode(response)]).toEqual([400, 'MANIFEST_BLOB_UNKNOWN']);
    expect(response.text).toContain(`Layers with digests '[${sha256(CONFIG)}, ${sha256(LAYER)}]'`);
  });

  it.each([
    ['not JSON', 'team/app', 'v1', '{oops', 400, 'MANIFEST_INVALID'],
    [
      'a digest reference that is not the bytes’ digest',
      'team/app',
      sha256('x'),
      manifestOf('d'),
      400,
      'DIGEST_INVALID',
    ],
    ['an invalid tag', 'team/app', 'bad tag!', manifestOf('t'), 400, 'TAG_INVALID'],
    ['a missing repository', 'team/none', 'v1', manifestOf('n'), 404, 'NAME_UNKNOWN'],
  ])('refuses %s', async (_name, repo, reference, manifest, status, code) => {
    const response = await pushManifest(repo, encodeURIComponent(reference), manifest);
    expect([response.status, r.errorCode(response)]).toEqual([status, code]);
  });

  it('takes the same manifest and tag again as success, but refuses to move an immutable tag with TAG_INVALID', async () => {
    // Prepare
    await r.ok('PutImageTagMutability', { repositoryName: 'team/app', imageTagMutability: 'IMMUTABLE' });
    await pushManifest('team/app', 'v1', manifestOf('first'));
    // Act
    const again = await pushManifest('team/app', 'v1', manifestOf('first'));
    const moved = await pushManifest('team/app', 'v1', manifestOf('second'));
    // Assess
    expect(again.status).toBe(201);
    expect([moved.status, r.errorCode(moved)]).toEqual([400, 'TAG_INVALID']);
    expect(moved.text).toContain('cannot be overwritten because the tag is immutable');
  });

  it('refuses to pull an archived image (404 MANIFEST_UNKNOWN), as ECR does', async () => {
    await pushManifest('team/app', 'old', manifestOf('old'));
    await r.ok('UpdateImageStorageClass', {
      repositoryName: 'team/app',
      imageId: { imageTag: 'old' },
      targetStorageClass: 'ARCHIVE',
    });
    const response = await r.send('GET', '/v2/team/app/manifests/old');
    expect([response.status, r.errorCode(response)]).toEqual([404, 'MANIFEST_UNKNOWN']);
    expect(response.text).toContain('archived');
  });

  it('converts Docker schema 2 to OCI for a client that accepts only OCI, by tag only', async () => {
    // Prepare
    const docker = JSON.stringify({
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
    });
    await pushManifest('team/app', 'docker', docker, 'application/vnd.docker.distribution.manifest.v2+json');
    // Act
    const byTag = await r.send('GET', '/v2/team/app/manifests/docker', { headers: { accept: OCI_MANIFEST } });
    const byDigest = await r.send('GET', `/v2/team/app/manifests/${sha256(docker)}`, {
      headers: { accept: OCI_MANIFEST },
    });
    // Assess
    expect(byTag.headers['content-type']).toBe(OCI_MANIFEST);
    expect(byTag.headers['docker-content-digest']).toBe(sha256(byTag.text));
    expect(byDigest.text).toBe(docker);
  });

  it('deletes a tag (the image stays under its other tag) and an image by digest', async () => {
    // Prepare
    const manifest = manifestOf('del');
    await pushManifest('team/app', 'a', manifest);
    await pushManifest('team/app', 'b', manifest);
    // Act
    const byTag = await r.send('DELETE', '/v2/team/app/manifests/a');
    const tagsAfter = await r.send('GET', '/v2/team/app/tags/list');
    const byDigest = await r.send('DELETE', `/v2/team/app/manifests/${sha256(manifest)}`);
    const gone = await r.send('GET', `/v2/team/app/manifests/${sha256(manifest)}`);
    // Assess
    expect(byTag.status).toBe(202);
    expect(tagsAfter.json).toEqual({ name: 'team/app', tags: ['b'] });
    expect(byDigest.status).toBe(202);
    expect([gone.status, r.errorCode(gone)]).toEqual([404, 'MANIFEST_UNKNOWN']);
  });

  it('pushes an index whose children are there, and refuses one whose children are not', async () => {
    const child = manifestOf('child');
    await pushManifest('team/app', sha256(child), child);
    const index = ociIndex([{ digest: sha256(child), size: Buffer.byteLength(child) }]);
    const missing = ociIndex([{ digest: sha256('absent'), size: 10 }]);
    const pushed = await pushManifest('team/app', 'multi', index, 'application/vnd.oci.image.index.v1+json');
    const refused = await pushManifest(
      'team/app',
      'broken',
      missing,
      'application/vnd.oci.image.index.v1+json',
    );
    expect(pushed.status).toBe(201);
    expect([refused.status, r.errorCode(refused)]).toEqual([400, 'MANIFEST_BLOB_UNKNOWN']);
  });
});

describe('tags and referrers', () => {
  beforeEach(async () => {
    await pushBlob('team/app', CONFIG);
    await pushBlob('team/app', LAYER);
  });

  it('lists tags in order, n per page after last, with a Link to the next page', async () => {
    // Prepare
    for (const tag of ['c', 'a', 'B', 'b']) await pushManifest('team/app', tag, manifestOf(tag));
    // Act
    const first = await r.send('GET', '/v2/team/app/tags/list?n=2');
    const next = await r.send('GET', '/v2/team/app/tags/list?n=2&last=a');
    const none = await r.send('GET', '/v2/team/app/tags/list?n=0');
    // Assess
    expect(first.json).toEqual({ name: 'team/app', tags: ['B', 'a'] });
    expect(first.headers.link).toBe('</v2/team/app/tags/list?n=2&last=a>; rel="next"');
    expect(next.json).toEqual({ name: 'team/app', tags: ['b', 'c'] });
    expect(next.headers.link).toBeUndefined();
    expect([none.json, none.headers.link]).toEqual([{ name: 'team/app', tags: [] }, undefined]);
  });

  it('answers the referrers of a manifest as an OCI index, filtered by artifactType on request', async () => {
    // Prepare
    const subject = manifestOf('subject');
    await pushManifest('team/app', 'v1', subject);
    const sbom = manifestOf('sbom', {
      artifactType: 'application/spdx+json',
      subject: { mediaType: OCI_MANIFEST, digest: sha256(subject), size: Buffer.byteLength(subject) },
    });
    // Act
    const pushed = await pushManifest('team/app', sha256(sbom), sbom);
    const all = await r.send('GET', `/v2/team/app/referrers/${sha256(subject)}`);
    const filtered = await r.send('GET', `/v2/team/app/referrers/${sha256(subject)}?artifactType=text/other`);
    const nothing = await r.send('GET', `/v2/team/app/referrers/${sha256('nobody')}`);
    // Assess
    expect(pushed.headers['oci-subject']).toBe(sha256(subject));
    expect(all.headers['content-type']).toBe('application/vnd.oci.image.index.v1+json');
    expect(all.json).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: OCI_MANIFEST,
          digest: sha256(sbom),
          size: Buffer.byteLength(sbom),
          artifactType: 'application/spdx+json',
          annotations: { variant: 'sbom' },
        },
      ],
    });
    expect([
      filtered.headers['oci-filters-applied'],
      (filtered.json as { manifests: unknown[] }).manifests,
    ]).toEqual(['artifactType', []]);
    expect([nothing.status, (nothing.json as { manifests: unknown[] }).manifests]).toEqual([200, []]);
  });
});
