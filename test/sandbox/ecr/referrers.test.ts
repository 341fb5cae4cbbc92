import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcrError } from '../../../src/sandbox/ecr/errors.ts';
import {
  annotationsOf,
  matchesReferrersFilter,
  referrerOf,
  referrersFilterOf,
  referrersScope,
  subjectDigestOf,
} from '../../../src/sandbox/ecr/referrers.ts';
import type { ImageRecord } from '../../../src/sandbox/ecr/state.ts';
import { makeEmulator, sha256, type TestEmulator } from './fixtures.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
const SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SBOM = 'application/spdx+json';
const SBOM_CONFIG = 'application/vnd.example.sbom.config.v1+json';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof EcrError
      ? `${error.code}: ${error.message}`
      : `not an EcrError: ${String(error)}`;
  }
}

function image(fields: Partial<ImageRecord> & { manifest: string }): ImageRecord {
  return {
    seq: 1,
    digest: sha256(fields.manifest),
    mediaType: OCI_MANIFEST,
    children: [],
    blobs: [],
    size: 0,
    tags: [],
    pushedAt: 0,
    storageClass: 'STANDARD',
    imageStatus: 'ACTIVE',
    ...fields,
  };
}

describe('ListImageReferrers request parts', () => {
  const digest = sha256('subject');

  it('reads subjectId.imageDigest, refusing a missing or malformed one with InvalidParameterException', () => {
    expect(subjectDigestOf({ subjectId: { imageDigest: digest } })).toBe(digest);
    expect(codeOf(() => subjectDigestOf({}))).toMatch(/^InvalidParameterException: .*'subjectId'/);
    expect(codeOf(() => subjectDigestOf({ subjectId: {} }))).toMatch(
      /^InvalidParameterException: .*'subjectId.imageDigest'.*must not be null/,
    );
    expect(codeOf(() => subjectDigestOf({ subjectId: { imageDigest: 'latest' } }))).toMatch(
      /^InvalidParameterException: .*'subjectId.imageDigest'.*valid digest/,
    );
    expect(codeOf(() => subjectDigestOf({ subjectId: 'sha256:abc' }))).toMatch(/^InvalidParameterException/);
  });

  it('defaults the filter to ACTIVE artifacts of every type; an empty artifactTypes list filters nothing', () => {
    expect(referrersFilterOf({})).toEqual({ artifactStatus: 'ACTIVE' });
    expect(referrersFilterOf({ filter: { artifactTypes: [] } })).toEqual({ artifactStatus: 'ACTIVE' });
    expect(
      referrersFilterOf({ filter: { artifactTypes: [SBOM, SIGNATURE], artifactStatus: 'ANY' } }),
    ).toEqual({
      artifactStatus: 'ANY',
      artifactTypes: new Set([SBOM, SIGNATURE]),
    });
  });

  it.each([
    [{ artifactTypes: ['a', 'b', 'c', 'd', 'e', 'f'] }, /'filter.artifactTypes'.*less than or equal to 5/],
    [{ artifactTypes: [''] }, /'filter.artifactTypes\[0\]'.*between 1 and 255/],
    [{ artifactTypes: ['x'.repeat(256)] }, /'filter.artifactTypes\[0\]'/],
    [{ artifactTypes: 'x' }, /'filter.artifactTypes'.*list/],
    [{ artifactStatus: 'DELETED' }, /'filter.artifactStatus'.*ACTIVE, ARCHIVED, ACTIVATING, ANY/],
  ])('refuses filter %j with InvalidParameterException naming the field', (filter, message) => {
    const error = codeOf(() => referrersFilterOf({ filter }));
    expect(error).toMatch(/^InvalidParameterException: /);
    expect(error).toMatch(message);
  });

  it('matches by artifact type, and never for ARCHIVED or ACTIVATING (the emulator archives nothing)', () => {
    const signature = image({ manifest: '{"s":1}', artifactMediaType: SIGNATURE });
    const untyped = image({ manifest: '{"s":2}' });
    const only = (types: string[], status = 'ACTIVE') =>
      referrersFilterOf({ filter: { artifactTypes: types, artifactStatus: status } });
    expect(matchesReferrersFilter(signature, only([SBOM, SIGNATURE]))).toBe(true);
    expect(matchesReferrersFilter(signature, only([SBOM]))).toBe(false);
    expect(matchesReferrersFilter(untyped, only([SBOM]))).toBe(false);
    expect(matchesReferrersFilter(untyped, only([]))).toBe(true);
    expect(matchesReferrersFilter(signature, only([], 'ANY'))).toBe(true);
    expect(matchesReferrersFilter(signature, only([], 'ARCHIVED'))).toBe(false);
    expect(matchesReferrersFilter(signature, only([], 'ACTIVATING'))).toBe(false);
  });

  it('binds tokens to the repository, subject and filter, whatever order artifactTypes come in', () => {
    const filter = referrersFilterOf({ filter: { artifactTypes: [SBOM, SIGNATURE] } });
    const scope = referrersScope(3, digest, filter);
    expect(
      referrersScope(3, digest, referrersFilterOf({ filter: { artifactTypes: [SIGNATURE, SBOM] } })),
    ).toBe(scope);
    expect(referrersScope(4, digest, filter)).not.toBe(scope);
    expect(referrersScope(3, sha256('other'), filter)).not.toBe(scope);
    expect(referrersScope(3, digest, referrersFilterOf({}))).not.toBe(scope);
    expect(referrersScope(3, digest, referrersFilterOf({ filter: { artifactStatus: 'ANY' } }))).not.toBe(
      referrersScope(3, digest, referrersFilterOf({})),
    );
  });

  it('describes a referrer by its manifest: digest, media type, byte size, artifactType, string annotations', () => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      annotations: { 'org.opencontainers.image.created': '2025-11-17T22:00:33Z', 'not-a-string': 7 },
      note: 'é',
    });
    const referrer = image({ manifest, artifactMediaType: SIGNATURE });

    expect(referrerOf(referrer)).toEqual({
      digest: sha256(manifest),
      mediaType: OCI_MANIFEST,
      artifactType: SIGNATURE,
      size: Buffer.byteLength(manifest),
      annotations: { 'org.opencontainers.image.created': '2025-11-17T22:00:33Z' },
      artifactStatus: 'ACTIVE',
    });
    expect(Buffer.byteLength(manifest)).toBe(manifest.length + 1);
    expect(referrerOf(image({ manifest: '{"schemaVersion":2}' }))).toEqual({
      digest: sha256('{"schemaVersion":2}'),
      mediaType: OCI_MANIFEST,
      size: 19,
      artifactStatus: 'ACTIVE',
    });
    expect(annotationsOf(image({ manifest: '{"annotations":[]}' }))).toBeUndefined();
  });
});

let t: TestEmulator;
beforeEach(async () => {
  t = await makeEmulator();
});

const uploaded = new WeakMap<TestEmulator, Map<string, Promise<Record<string, string>>>>();

/** Blobs every referrer of these tests uses, uploaded into `repositoryName` once per emulator. */
function referrerBlobs(em: TestEmulator, repositoryName: string): Promise<Record<string, string>> {
  let byRepository = uploaded.get(em);
  if (!byRepository) {
    byRepository = new Map();
    uploaded.set(em, byRepository);
  }
  let blobs = byRepository.get(repositoryName);
  if (!blobs) {
    blobs = (async () => ({
      empty: await em.uploadBlob(repositoryName, '{}'),
      payload: await em.uploadBlob(repositoryName, 'signature-bytes'),
      sbomConfig: await em.uploadBlob(repositoryName, '{"sbom":true}'),
    }))();
    byRepository.set(repositoryName, blobs);
  }
  return blobs;
}

interface ReferrerSpec {
  subject: string;
  /** Makes the manifest unique. */
  nonce: string;
  artifactType?: string;
  /** Config media type (the artifact type when `artifactType` is absent). */
  config?: 'empty' | 'sbom';
  annotations?: Record<string, string>;
}

/** Push an untagged OCI 1.1 referrer of `spec.subject`; returns its digest and manifest. */
async function pushReferrer(em: TestEmulator, repositoryName: string, spec: ReferrerSpec) {
  const blobs = await referrerBlobs(em, repositoryName);
  const config =
    spec.config === 'sbom'
      ? { mediaType: SBOM_CONFIG, digest: blobs.sbomConfig as string, size: 13 }
      : { mediaType: OCI_EMPTY, digest: blobs.empty, size: 2 };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(spec.artifactType === undefined ? {} : { artifactType: spec.artifactType }),
    config,
    layers: [{ mediaType: 'application/octet-stream', digest: blobs.payload, size: 15 }],
    subject: { mediaType: OCI_MANIFEST, digest: spec.subject, size: 100 },
    annotations: { nonce: spec.nonce, ...spec.annotations },
  });
  const put = await em.ok('PutImage', { repositoryName, imageManifest: manifest });
  return { digest: put.image.imageId.imageDigest as string, manifest };
}

const list = (input: Record<string, unknown>) =>
  t.ok('ListImageReferrers', { repositoryName: 'app', ...input });

describe('ListImageReferrers', () => {
  it('lists the referrers of a subject in push order, described as the API returns them', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    const other = await t.pushImage('app', 'b', 'v2');
    const signature = await pushReferrer(t, 'app', {
      subject,
      nonce: '1',
      artifactType: SIGNATURE,
      annotations: { 'org.opencontainers.image.created': '2025-11-17T22:00:33Z' },
    });
    const sbom = await pushReferrer(t, 'app', { subject, nonce: '2', config: 'sbom' });
    const elsewhere = await pushReferrer(t, 'app', { subject: other, nonce: '3', artifactType: SIGNATURE });
    // A signature of the SBOM refers to the SBOM, not to the image.
    const nested = await pushReferrer(t, 'app', {
      subject: sbom.digest,
      nonce: '4',
      artifactType: SIGNATURE,
    });

    // Act
    const ofSubject = await list({ subjectId: { imageDigest: subject } });
    const ofOther = await list({ subjectId: { imageDigest: other } });
    const ofSbom = await list({ subjectId: { imageDigest: sbom.digest } });

    // Assess
    expect(ofSubject).toEqual({
      referrers: [
        {
          digest: signature.digest,
          mediaType: OCI_MANIFEST,
          artifactType: SIGNATURE,
          size: Buffer.byteLength(signature.manifest),
          annotations: { nonce: '1', 'org.opencontainers.image.created': '2025-11-17T22:00:33Z' },
          artifactStatus: 'ACTIVE',
        },
        {
          digest: sbom.digest,
          mediaType: OCI_MANIFEST,
          artifactType: SBOM_CONFIG,
          size: Buffer.byteLength(sbom.manifest),
          annotations: { nonce: '2' },
          artifactStatus: 'ACTIVE',
        },
      ],
    });
    expect(ofOther.referrers.map((r: { digest: string }) => r.digest)).toEqual([elsewhere.digest]);
    expect(ofSbom.referrers.map((r: { digest: string }) => r.digest)).toEqual([nested.digest]);
  });

  it('filters by artifactTypes and artifactStatus', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    const signature = await pushReferrer(t, 'app', { subject, nonce: '1', artifactType: SIGNATURE });
    const sbom = await pushReferrer(t, 'app', { subject, nonce: '2', artifactType: SBOM });
    const digests = async (filter: unknown) =>
      (await list({ subjectId: { imageDigest: subject }, filter })).referrers.map(
        (r: { digest: string }) => r.digest,
      );

    // Act / Assess
    expect(await digests({ artifactTypes: [SBOM] })).toEqual([sbom.digest]);
    expect(await digests({ artifactTypes: [SIGNATURE, SBOM] })).toEqual([signature.digest, sbom.digest]);
    expect(await digests({ artifactTypes: ['application/vnd.other'] })).toEqual([]);
    expect(await digests({ artifactStatus: 'ANY' })).toEqual([signature.digest, sbom.digest]);
    expect(await digests({ artifactStatus: 'ARCHIVED' })).toEqual([]);
  });

  it('pages with maxResults and an opaque token, keeping its place when referrers go between pages', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    const pushed: string[] = [];
    for (let i = 0; i < 5; i++) {
      pushed.push(
        (await pushReferrer(t, 'app', { subject, nonce: String(i), artifactType: SIGNATURE })).digest,
      );
    }
    const subjectId = { imageDigest: subject };

    // Act
    const first = await list({ subjectId, maxResults: 2 });
    // The next page starts at pushed[2]; deleting pushed[1] (already listed) and pushed[3] must not shift it.
    await t.ok('BatchDeleteImage', {
      repositoryName: 'app',
      imageIds: [{ imageDigest: pushed[1] }, { imageDigest: pushed[3] }],
    });
    const second = await list({ subjectId, maxResults: 2, nextToken: first.nextToken });

    // Assess
    expect(first.referrers.map((r: { digest: string }) => r.digest)).toEqual(pushed.slice(0, 2));
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.referrers.map((r: { digest: string }) => r.digest)).toEqual([pushed[2], pushed[4]]);
    expect(second.nextToken).toBeUndefined();
    expect((await list({ subjectId })).referrers).toHaveLength(3);
  });

  it('answers up to 20 referrers without maxResults, and 50 at most', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    for (let i = 0; i < 21; i++) await pushReferrer(t, 'app', { subject, nonce: String(i) });
    const subjectId = { imageDigest: subject };

    // Act
    const page = await list({ subjectId });
    const next = await list({ subjectId, nextToken: page.nextToken });
    const big = await list({ subjectId, maxResults: 50 });

    // Assess
    expect(page.referrers).toHaveLength(20);
    expect(next.referrers).toHaveLength(1);
    expect(next.nextToken).toBeUndefined();
    expect(big.referrers).toHaveLength(21);
    expect(big.nextToken).toBeUndefined();
  });

  it('refuses a token minted for another subject or filter', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    const other = await t.pushImage('app', 'b', 'v2');
    for (let i = 0; i < 2; i++) await pushReferrer(t, 'app', { subject, nonce: String(i) });
    const { nextToken } = await list({ subjectId: { imageDigest: subject }, maxResults: 1 });

    // Act
    const otherSubject = await t.fail('ListImageReferrers', {
      repositoryName: 'app',
      subjectId: { imageDigest: other },
      nextToken,
    });
    const otherFilter = await t.fail('ListImageReferrers', {
      repositoryName: 'app',
      subjectId: { imageDigest: subject },
      filter: { artifactStatus: 'ANY' },
      nextToken,
    });

    // Assess
    for (const error of [otherSubject, otherFilter]) {
      expect(error.type).toBe('InvalidParameterException');
      expect(error.message).toContain('nextToken');
    }
  });

  it.each([
    [{ subjectId: { imageDigest: 'v1' } }, /subjectId.imageDigest/],
    [{ subjectId: null }, /'subjectId'.*must not be null/],
    [{ maxResults: 0 }, /maxResults.*between 1 and 50/],
    [{ maxResults: 51 }, /maxResults.*between 1 and 50/],
    [{ filter: { artifactTypes: ['1', '2', '3', '4', '5', '6'] } }, /filter.artifactTypes/],
    [{ repositoryName: 'Bad_Name' }, /repositoryName/],
  ])('refuses %j with InvalidParameterException naming the field', async (input, field) => {
    await t.createRepoWithBlobs('app');
    const error = await t.fail('ListImageReferrers', {
      repositoryName: 'app',
      subjectId: { imageDigest: sha256('x') },
      ...input,
    });
    expect(error.type).toBe('InvalidParameterException');
    expect(error.message).toMatch(field);
  });

  it('answers RepositoryNotFoundException for an unknown repository and an empty list for an absent subject', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');

    // Act
    const missing = await t.fail('ListImageReferrers', {
      repositoryName: 'nowhere',
      subjectId: { imageDigest: sha256('x') },
    });
    const absent = await list({ subjectId: { imageDigest: sha256('never pushed') } });

    // Assess
    expect(missing.type).toBe('RepositoryNotFoundException');
    expect(missing.message).toContain("'nowhere'");
    expect(absent).toEqual({ referrers: [] });
  });

  it('forgets a deleted referrer and lists a pushed-again one after the others', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    const a = await pushReferrer(t, 'app', { subject, nonce: 'a' });
    const b = await pushReferrer(t, 'app', { subject, nonce: 'b' });

    // Act
    await t.ok('BatchDeleteImage', { repositoryName: 'app', imageIds: [{ imageDigest: a.digest }] });
    const afterDelete = await list({ subjectId: { imageDigest: subject } });
    await t.ok('PutImage', { repositoryName: 'app', imageManifest: a.manifest });
    const afterRepush = await list({ subjectId: { imageDigest: subject } });

    // Assess
    expect(afterDelete.referrers.map((r: { digest: string }) => r.digest)).toEqual([b.digest]);
    expect(afterRepush.referrers.map((r: { digest: string }) => r.digest)).toEqual([b.digest, a.digest]);
  });

  it('keeps the index per repository: a referrer in another repository is not listed', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    await t.createRepoWithBlobs('mirror');
    const subject = await t.pushImage('app', 'a', 'v1');
    await t.pushImage('mirror', 'a', 'v1');
    await pushReferrer(t, 'mirror', { subject, nonce: '1' });

    // Act
    const here = await list({ subjectId: { imageDigest: subject } });
    const there = await t.ok('ListImageReferrers', {
      repositoryName: 'mirror',
      subjectId: { imageDigest: subject },
    });

    // Assess
    expect(here.referrers).toEqual([]);
    expect(there.referrers).toHaveLength(1);
  });

  it('rebuilds the index when state is loaded from stateDir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecr-referrers-'));
    try {
      // Prepare
      const first = await makeEmulator({ stateDir: dir });
      await first.createRepoWithBlobs('app');
      const subject = await first.pushImage('app', 'a', 'v1');
      const kept = await pushReferrer(first, 'app', { subject, nonce: '1', artifactType: SIGNATURE });
      const gone = await pushReferrer(first, 'app', { subject, nonce: '2', artifactType: SIGNATURE });
      await first.ok('BatchDeleteImage', { repositoryName: 'app', imageIds: [{ imageDigest: gone.digest }] });
      const later = await pushReferrer(first, 'app', { subject, nonce: '3', artifactType: SBOM });
      const before = await first.ok('ListImageReferrers', {
        repositoryName: 'app',
        subjectId: { imageDigest: subject },
        maxResults: 1,
      });
      await first.emulator.close();

      // Act
      const second = await makeEmulator({ stateDir: dir });
      const listed = await second.ok('ListImageReferrers', {
        repositoryName: 'app',
        subjectId: { imageDigest: subject },
      });
      // A token from before the restart still resumes where it was.
      const resumed = await second.ok('ListImageReferrers', {
        repositoryName: 'app',
        subjectId: { imageDigest: subject },
        maxResults: 1,
        nextToken: before.nextToken,
      });
      await second.emulator.close();

      // Assess
      expect(listed.referrers.map((r: { digest: string }) => r.digest)).toEqual([kept.digest, later.digest]);
      expect(listed.referrers[1]).toMatchObject({ artifactType: SBOM, annotations: { nonce: '3' } });
      expect(resumed.referrers.map((r: { digest: string }) => r.digest)).toEqual([later.digest]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ListImageReferrers across accounts', () => {
  const OTHER = '210987654321';
  const policy = (action: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: action }],
    });
  const fromOther = async (input: Record<string, unknown>) => {
    const response = await t.emulator.serve('ListImageReferrers', JSON.stringify(input), {
      accountId: OTHER,
      region: 'us-east-1',
    });
    return { status: response.status, body: JSON.parse(String(response.body)) };
  };

  it('needs ecr:BatchGetImage in the repository policy, as the API reference says', async () => {
    // Prepare
    await t.createRepoWithBlobs('app');
    const subject = await t.pushImage('app', 'a', 'v1');
    const signature = await pushReferrer(t, 'app', { subject, nonce: '1', artifactType: SIGNATURE });
    const input = { registryId: '123456789012', repositoryName: 'app', subjectId: { imageDigest: subject } };

    // Act
    await t.ok('SetRepositoryPolicy', {
      repositoryName: 'app',
      policyText: policy('ecr:ListImageReferrers'),
    });
    const denied = await fromOther(input);
    await t.ok('SetRepositoryPolicy', { repositoryName: 'app', policyText: policy('ecr:BatchGetImage') });
    const allowed = await fromOther(input);

    // Assess
    expect(denied.status).toBe(400);
    expect(denied.body.__type).toBe('AccessDeniedException');
    expect(denied.body.message).toContain('ecr:BatchGetImage');
    expect(allowed.status).toBe(200);
    expect(allowed.body.referrers.map((r: { digest: string }) => r.digest)).toEqual([signature.digest]);
  });
});
