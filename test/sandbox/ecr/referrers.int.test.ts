import { randomBytes } from 'node:crypto';
import {
  CreateRepositoryCommand,
  ECRClient,
  InvalidParameterException,
  ListImageReferrersCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../../src/shared/ecr/digest.ts';
import { MANIFEST_MEDIA_TYPES } from '../../../src/shared/ecr/manifests.ts';
import { adminRequest } from '../../support/admin.ts';
import { pushImage } from '../../support/images.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { uniqueImage } from './lifecycle-fixtures.ts';

/**
 * ListImageReferrers through the real SDK against the shared sandbox: the command's shapes (Date-free, `size` a
 * number, annotations a map), its typed exceptions, paging by hand (the SDK has no paginator for it), and the
 * edge's IAM check, which authorises it as ecr:BatchGetImage.
 */

const ACCOUNT = '123456789012';
const SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SBOM = 'application/spdx+json';
const EMPTY = Buffer.from('{}');

function referrer(
  subject: { digest: string; manifest: string },
  artifactType: string,
  annotations: Record<string, string>,
) {
  const payload = randomBytes(32);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    artifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: sha256Digest(EMPTY) },
    layers: [{ mediaType: 'application/octet-stream', size: payload.length, digest: sha256Digest(payload) }],
    subject: {
      mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
      size: Buffer.byteLength(subject.manifest),
      digest: subject.digest,
    },
    annotations,
  });
  return {
    blobs: [EMPTY, payload],
    manifest,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    digest: sha256Digest(manifest),
  };
}

describe('ListImageReferrers through the AWS SDK', () => {
  const ecr = new ECRClient(awsClientConfig());
  const repositoryName = uniqueName('referrers');
  const subject = uniqueImage();
  const signatures: string[] = [];
  let sbom = '';

  beforeAll(async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    await pushImage(ecr, repositoryName, subject, 'v1');
    for (let i = 0; i < 3; i++) {
      const signature = referrer(subject, SIGNATURE, { 'dev.sigstore.index': String(i) });
      await pushImage(ecr, repositoryName, signature);
      signatures.push(signature.digest);
    }
    const document = referrer(subject, SBOM, { 'org.opencontainers.image.created': '2025-11-17T22:00:33Z' });
    await pushImage(ecr, repositoryName, document);
    sbom = document.digest;
  });

  afterAll(() => ecr.destroy());

  it('lists referrers with digest, media type, artifactType, size and annotations', async () => {
    // Act
    const out = await ecr.send(
      new ListImageReferrersCommand({
        repositoryName,
        subjectId: { imageDigest: subject.digest },
        filter: { artifactTypes: [SBOM] },
      }),
    );

    // Assess
    expect(out.nextToken).toBeUndefined();
    expect(out.referrers).toEqual([
      {
        digest: sbom,
        mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
        artifactType: SBOM,
        size: expect.any(Number),
        annotations: { 'org.opencontainers.image.created': '2025-11-17T22:00:33Z' },
        artifactStatus: 'ACTIVE',
      },
    ]);
  });

  it('pages with maxResults and nextToken until the token is gone', async () => {
    // Act
    const seen: string[] = [];
    let pages = 0;
    let nextToken: string | undefined;
    do {
      const out = await ecr.send(
        new ListImageReferrersCommand({
          repositoryName,
          subjectId: { imageDigest: subject.digest },
          maxResults: 3,
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
      pages++;
      seen.push(...(out.referrers ?? []).map((r) => r.digest ?? '?'));
      nextToken = out.nextToken;
    } while (nextToken !== undefined);

    // Assess
    expect(pages).toBe(2);
    expect(seen).toEqual([...signatures, sbom]);
  });

  it('raises InvalidParameterException and RepositoryNotFoundException as typed errors; an absent subject has none', async () => {
    // Act
    const badDigest = await ecr
      .send(new ListImageReferrersCommand({ repositoryName, subjectId: { imageDigest: 'v1' } }))
      .catch((e: unknown) => e);
    const badMax = await ecr
      .send(
        new ListImageReferrersCommand({
          repositoryName,
          subjectId: { imageDigest: subject.digest },
          maxResults: 51,
        }),
      )
      .catch((e: unknown) => e);
    const missing = await ecr
      .send(
        new ListImageReferrersCommand({
          repositoryName: uniqueName('nowhere'),
          subjectId: { imageDigest: subject.digest },
        }),
      )
      .catch((e: unknown) => e);
    const absent = await ecr.send(
      new ListImageReferrersCommand({
        repositoryName,
        subjectId: { imageDigest: sha256Digest(randomBytes(8)) },
      }),
    );

    // Assess
    expect(badDigest).toBeInstanceOf(InvalidParameterException);
    expect(badMax).toBeInstanceOf(InvalidParameterException);
    expect(missing).toBeInstanceOf(RepositoryNotFoundException);
    expect(absent.referrers).toEqual([]);
  });

  it('is authorised by ecr:BatchGetImage at the edge, not by an ecr:ListImageReferrers grant', async () => {
    // Prepare: two principals, one allowed BatchGetImage on the repository, the other only ListImageReferrers.
    const resource = `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${repositoryName}`;
    const clientFor = async (name: string, action: string) => {
      const key = `ASIATEST${randomBytes(6).toString('hex').toUpperCase()}`;
      const response = await adminRequest(sandboxUrl(), 'POST', 'iam/principals', {
        accessKeyId: key,
        principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/test-role/${name}`,
        accountId: ACCOUNT,
        function: name,
        policies: [
          {
            where: `${name}.policy`,
            document: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
            },
          },
        ],
      });
      expect(response.status).toBe(201);
      return {
        key,
        client: new ECRClient({
          ...awsClientConfig(),
          credentials: { accessKeyId: key, secretAccessKey: 'secret', sessionToken: 'token' },
        }),
      };
    };
    const reader = await clientFor(uniqueName('referrers-reader'), 'ecr:BatchGetImage');
    const lister = await clientFor(uniqueName('referrers-lister'), 'ecr:ListImageReferrers');
    const input = { repositoryName, subjectId: { imageDigest: subject.digest } };

    try {
      // Act
      const allowed = await reader.client.send(new ListImageReferrersCommand(input));
      const denied = await lister.client.send(new ListImageReferrersCommand(input)).catch((e: unknown) => e);

      // Assess
      expect(allowed.referrers).toHaveLength(4);
      expect((denied as Error).name).toBe('AccessDeniedException');
      expect((denied as Error).message).toContain('ecr:BatchGetImage');
    } finally {
      reader.client.destroy();
      lister.client.destroy();
      await adminRequest(sandboxUrl(), 'DELETE', 'iam/principals', {
        accessKeyIds: [reader.key, lister.key],
      });
    }
  });
});
