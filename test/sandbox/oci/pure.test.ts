import { describe, expect, it } from 'vitest';
import { EcrError } from '../../../src/sandbox/ecr/errors.ts';
import type { CreationTemplateRecord } from '../../../src/sandbox/ecr/settings-state.ts';
import { templateForPush } from '../../../src/sandbox/oci/create-on-push.ts';
import { OciError, ociErrorOf } from '../../../src/sandbox/oci/errors.ts';
import { acceptedMediaTypes, negotiateManifest } from '../../../src/sandbox/oci/negotiate.ts';
import { isRegistryApiPath, parseRoute, registryOfHost } from '../../../src/sandbox/oci/paths.ts';
import { requiredActions } from '../../../src/sandbox/oci/permissions.ts';
import { parseContentRange, parseRange, uploadedRange } from '../../../src/sandbox/oci/ranges.ts';
import {
  basicCredentials,
  issueToken,
  TOKEN_LIFETIME_MS,
  verifyToken,
} from '../../../src/sandbox/oci/token.ts';
import { sha256 } from '../ecr/fixtures.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const CLAIMS = {
  accountId: '123456789012',
  region: 'us-east-1',
  principalArn: 'arn:aws:iam::123456789012:root',
  expiresAt: NOW + TOKEN_LIFETIME_MS,
};

describe('registry API tokens', () => {
  it('verifies a token it issued until the 12 hours are up, and names who asked', () => {
    // Prepare
    const token = issueToken(CLAIMS);
    // Act / Assess
    expect(verifyToken(token, NOW)).toEqual({ ok: true, claims: CLAIMS });
    expect(verifyToken(token, NOW + TOKEN_LIFETIME_MS - 1).ok).toBe(true);
    expect(verifyToken(token, NOW + TOKEN_LIFETIME_MS)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it.each([
    ['a tampered claim', (t: string) => t.replace(/\.([^.]+)\./, (_m, p: string) => `.${p.slice(0, -2)}xx.`)],
    ['another signature', (t: string) => `${t.slice(0, t.lastIndexOf('.'))}.AAAA`],
    ['not a token at all', () => 'hello'],
    ['a token of another secret', () => issueToken(CLAIMS, Buffer.alloc(32, 7))],
  ])('refuses %s', (_name, forge) => {
    // Act
    const check = verifyToken(forge(issueToken(CLAIMS)), NOW);
    // Assess
    expect(check.ok).toBe(false);
  });

  it('reads Basic credentials (the password may hold colons) and ignores other schemes', () => {
    const header = `Basic ${Buffer.from('AWS:a:b:c').toString('base64')}`;
    expect(basicCredentials(header)).toEqual({ user: 'AWS', password: 'a:b:c' });
    expect(basicCredentials('Bearer xyz')).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
  });
});

describe('byte ranges', () => {
  it.each([
    ['0-99', { start: 0, end: 99 }],
    ['bytes 100-199/*', { start: 100, end: 199 }],
    ['bytes=5-5', { start: 5, end: 5 }],
    ['9-3', undefined],
    ['abc', undefined],
    [undefined, undefined],
  ])('Content-Range %s of a chunk → %j', (header, range) => {
    expect(parseContentRange(header)).toEqual(range);
  });

  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=95-500', 100, { start: 95, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['items=0-1', 100, undefined],
    [undefined, 100, undefined],
  ])('Range %s of a %d-byte blob → %j', (header, size, range) => {
    expect(parseRange(header, size)).toEqual(range);
  });

  it('reports an upload standing at 0 bytes as 0-0 and at n bytes as 0-(n-1)', () => {
    expect(uploadedRange(0)).toBe('0-0');
    expect(uploadedRange(10)).toBe('0-9');
  });
});

describe('routes', () => {
  it.each([
    ['/v2/', { kind: 'base' }],
    ['/v2', { kind: 'base' }],
    ['/v2/team/app/blobs/uploads/', { kind: 'uploads', name: 'team/app' }],
    ['/v2/team/app/blobs/uploads/abc-1', { kind: 'upload', name: 'team/app', id: 'abc-1' }],
    ['/v2/a/b/c/blobs/sha256%3Aff', { kind: 'blob', name: 'a/b/c', digest: 'sha256:ff' }],
    ['/v2/app/manifests/latest', { kind: 'manifest', name: 'app', reference: 'latest' }],
    ['/v2/app/tags/list', { kind: 'tags', name: 'app' }],
    ['/v2/app/referrers/sha256:ab', { kind: 'referrers', name: 'app', digest: 'sha256:ab' }],
    ['/v2/app/unknown', undefined],
  ])('%s → %j', (path, route) => {
    expect(parseRoute(path)).toEqual(route);
  });

  it('claims /v2 and everything under /v2/ only', () => {
    expect(['/v2', '/v2/', '/v2/x'].map(isRegistryApiPath)).toEqual([true, true, true]);
    expect(['/v20', '/_sandbox/v2/', '/'].map(isRegistryApiPath)).toEqual([false, false, false]);
  });

  it.each([
    ['210987654321.dkr.ecr.eu-west-1.amazonaws.com', { accountId: '210987654321', region: 'eu-west-1' }],
    ['210987654321.dkr.ecr.eu-west-1.localhost:4566', { accountId: '210987654321', region: 'eu-west-1' }],
    ['127.0.0.1:4566', undefined],
    ['example.com', undefined],
  ])('Host %s names registry %j', (host, registry) => {
    expect(registryOfHost(host)).toEqual(registry);
  });
});

describe('errors', () => {
  it.each([
    ['BLOB_UNKNOWN', 404],
    ['BLOB_UPLOAD_UNKNOWN', 404],
    ['DIGEST_INVALID', 400],
    ['MANIFEST_BLOB_UNKNOWN', 400],
    ['MANIFEST_INVALID', 400],
    ['MANIFEST_UNKNOWN', 404],
    ['NAME_UNKNOWN', 404],
    ['TAG_INVALID', 400],
    ['UNAUTHORIZED', 401],
    ['DENIED', 403],
    ['UNSUPPORTED', 405],
  ] as const)('%s answers %d with the standard body', (code, status) => {
    const error = new OciError(code, 'why', { digest: 'sha256:1' });
    expect(error.status).toBe(status);
    expect(JSON.parse(error.body())).toEqual({
      errors: [{ code, message: 'why', detail: { digest: 'sha256:1' } }],
    });
  });

  it.each([
    ['RepositoryNotFoundException', 'NAME_UNKNOWN'],
    ['LayersNotFoundException', 'MANIFEST_BLOB_UNKNOWN'],
    ['ReferencedImagesNotFoundException', 'MANIFEST_BLOB_UNKNOWN'],
    ['ImageTagAlreadyExistsException', 'TAG_INVALID'],
    ['ImageDigestDoesNotMatchException', 'DIGEST_INVALID'],
    ['InvalidParameterException', 'MANIFEST_INVALID'],
  ])('an ECR %s is the registry API’s %s, with ECR’s message', (ecrCode, ociCode) => {
    const error = ociErrorOf(new EcrError(ecrCode, 'the message'));
    expect([error.code, error.message]).toEqual([ociCode, 'the message']);
  });
});

describe('manifest negotiation', () => {
  const docker = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: sha256('{}') },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1, digest: sha256('x') },
    ],
  });
  const stored = {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    manifest: docker,
    digest: sha256(docker),
  };

  it('serves the stored format when the client accepts it or names nothing', () => {
    expect(negotiateManifest(stored, undefined, true)).toBe(stored);
    expect(
      negotiateManifest(stored, [stored.mediaType, 'application/vnd.oci.image.manifest.v1+json'], true),
    ).toBe(stored);
  });

  it('converts Docker schema 2 to OCI for an OCI-only client pulling by tag, with the new bytes’ digest', () => {
    // Act
    const served = negotiateManifest(stored, ['application/vnd.oci.image.manifest.v1+json'], true);
    // Assess
    const doc = JSON.parse(served.manifest);
    expect(served.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(served.digest).toBe(sha256(served.manifest));
    expect(doc.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(doc.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(doc.layers[0].digest).toBe(sha256('x'));
  });

  it('never converts a pull by digest', () => {
    expect(negotiateManifest(stored, ['application/vnd.oci.image.manifest.v1+json'], false)).toBe(stored);
  });

  it('reads every Accept value, without parameters', () => {
    expect(acceptedMediaTypes({ accept: 'application/a+json; q=0.5, application/b+json' })).toEqual([
      'application/a+json',
      'application/b+json',
    ]);
    expect(acceptedMediaTypes({ accept: '*/*' })).toBeUndefined();
    expect(acceptedMediaTypes({})).toBeUndefined();
  });
});

describe('create-on-push templates', () => {
  const template = (
    prefix: string,
    appliedFor: CreationTemplateRecord['appliedFor'],
  ): CreationTemplateRecord => ({
    seq: 1,
    prefix,
    encryption: { encryptionType: 'AES256' },
    resourceTags: [],
    imageTagMutability: 'MUTABLE',
    exclusionFilters: [],
    appliedFor,
    createdAt: 0,
    updatedAt: 0,
  });

  it('picks the longest CREATE_ON_PUSH prefix covering the name, then ROOT', () => {
    const templates = [
      template('ROOT', ['CREATE_ON_PUSH']),
      template('prod', ['CREATE_ON_PUSH']),
      template('prod/team/', ['CREATE_ON_PUSH']),
      template('prod/team/app', ['REPLICATION']),
    ];
    expect(templateForPush(templates, 'prod/team/app')?.prefix).toBe('prod/team/');
    expect(templateForPush(templates, 'prod/other')?.prefix).toBe('prod');
    expect(templateForPush(templates, 'production')?.prefix).toBe('ROOT');
    expect(templateForPush(templates.slice(1), 'production')).toBeUndefined();
  });
});

describe('IAM actions of registry API requests', () => {
  it.each([
    ['GET', '/v2/', '', []],
    ['GET', '/v2/app/manifests/v1', '', ['ecr:BatchGetImage app']],
    ['HEAD', '/v2/app/manifests/v1', '', ['ecr:BatchGetImage app']],
    ['PUT', '/v2/app/manifests/v1', '', ['ecr:PutImage app']],
    ['DELETE', '/v2/app/manifests/v1', '', ['ecr:BatchDeleteImage app']],
    ['GET', '/v2/app/blobs/sha256:1', '', ['ecr:GetDownloadUrlForLayer app']],
    ['HEAD', '/v2/app/blobs/sha256:1', '', ['ecr:BatchCheckLayerAvailability app']],
    ['POST', '/v2/app/blobs/uploads/', '', ['ecr:InitiateLayerUpload app']],
    [
      'POST',
      '/v2/app/blobs/uploads/',
      'digest=sha256:1',
      ['ecr:InitiateLayerUpload app', 'ecr:UploadLayerPart app', 'ecr:CompleteLayerUpload app'],
    ],
    [
      'POST',
      '/v2/app/blobs/uploads/',
      'mount=sha256:1&from=src',
      ['ecr:InitiateLayerUpload app', 'ecr:GetDownloadUrlForLayer src'],
    ],
    ['PATCH', '/v2/app/blobs/uploads/u1', '', ['ecr:UploadLayerPart app']],
    [
      'PUT',
      '/v2/app/blobs/uploads/u1',
      'digest=sha256:1',
      ['ecr:UploadLayerPart app', 'ecr:CompleteLayerUpload app'],
    ],
    ['GET', '/v2/app/tags/list', '', ['ecr:ListImages app']],
    ['GET', '/v2/app/referrers/sha256:1', '', ['ecr:BatchGetImage app']],
  ])('%s %s?%s needs %j', (method, path, query, actions) => {
    const route = parseRoute(path);
    if (!route) throw new Error(`no route for ${path}`);
    const needed = requiredActions(route, method, new URLSearchParams(query));
    expect(needed.map((n) => `${n.action} ${n.repositoryName}`)).toEqual(actions);
  });
});
