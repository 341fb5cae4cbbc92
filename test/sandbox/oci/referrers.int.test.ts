import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxUrl, uniqueName } from '../../support/sandbox.ts';
import { awsEcr } from '../ecr/aws-cli.ts';
import {
  clientSandbox,
  loginPassword,
  ociLayout,
  registryHost,
  requireTool,
  run,
  skopeoPush,
} from './clients.ts';
import { artifactLayout } from './registries.ts';

/**
 * Referrer artifacts pushed by a real client. Debian has no oras and podman 4.3 no `podman artifact`, but
 * skopeo 1.9.3 copies an OCI layout whose manifest carries `subject` (and `artifactType`, or only a custom
 * config media type) byte for byte: nothing in it needs converting, so it writes the manifest it read. The
 * registry API's referrers endpoint and ECR's ListImageReferrers (the AWS CLI) then list what it pushed.
 */
describe('referrers pushed by skopeo', { timeout: 120_000 }, () => {
  const endpoint = sandboxUrl();
  const host = registryHost(endpoint);
  const name = uniqueName('referrers');
  let client: Awaited<ReturnType<typeof clientSandbox>>;
  let creds: string;
  let subject: { mediaType: string; digest: string; size: number };
  const skopeo = (...args: string[]) => run('skopeo', args, { env: client.env });

  beforeAll(async () => {
    client = await clientSandbox();
    await awsEcr(endpoint, ['create-repository', '--repository-name', name]);
    creds = `AWS:${await loginPassword(endpoint)}`;
  });

  afterAll(async () => {
    await client?.cleanup();
  });

  it('keeps the manifests’ bytes and lists them by subject, filtered by artifact type, on /v2/ and in ListImageReferrers', async () => {
    requireTool('skopeo');
    // Prepare: the subject image, then an SBOM (artifactType) and a signature (config media type only)
    const image = await ociLayout(client.dir, 'the subject image\n', 'v1');
    await skopeoPush(client.env, creds, `${image.path}:v1`, `${host}/${name}:v1`);
    const raw = (
      await skopeo('inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${host}/${name}:v1`)
    ).stdout;
    subject = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: image.digest,
      size: Buffer.byteLength(raw),
    };
    const sbom = await artifactLayout(
      client.dir,
      subject,
      {
        artifactType: 'application/spdx+json',
        layerMediaType: 'application/spdx+json',
        content: '{"spdxVersion":"SPDX-2.3"}',
      },
      'sbom',
    );
    const signature = await artifactLayout(
      client.dir,
      subject,
      {
        configMediaType: 'application/vnd.example.signature.config.v1+json',
        layerMediaType: 'application/vnd.example.signature.v1+json',
        content: 'signed',
      },
      'sig',
    );
    // Act: untagged, by digest, as referrers are pushed
    for (const [layout, ref] of [
      [sbom, 'sbom'],
      [signature, 'sig'],
    ] as const) {
      await skopeoPush(client.env, creds, `${layout.path}:${ref}`, `${host}/${name}@${layout.digest}`);
    }
    // Assess: the registry holds the bytes skopeo read
    for (const layout of [sbom, signature]) {
      const stored = (
        await skopeo(
          'inspect',
          '--raw',
          '--tls-verify=false',
          '--creds',
          creds,
          `docker://${host}/${name}@${layout.digest}`,
        )
      ).stdout;
      expect(`sha256:${createHash('sha256').update(stored).digest('hex')}`).toBe(layout.digest);
    }
    const referrers = async (query: string) => {
      const response = await fetch(`${endpoint}/v2/${name}/referrers/${subject.digest}${query}`, {
        headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` },
      });
      const index = (await response.json()) as { manifests: Array<{ digest: string; artifactType: string }> };
      return { filters: response.headers.get('oci-filters-applied'), manifests: index.manifests };
    };
    const all = await referrers('');
    const sboms = await referrers('?artifactType=application%2Fspdx%2Bjson');
    expect(all.manifests).toHaveLength(2);
    expect(all.manifests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ digest: sbom.digest, artifactType: 'application/spdx+json' }),
        expect.objectContaining({
          digest: signature.digest,
          artifactType: 'application/vnd.example.signature.config.v1+json',
        }),
      ]),
    );
    expect(sboms).toEqual({
      filters: 'artifactType',
      manifests: [expect.objectContaining({ digest: sbom.digest, size: sbom.size })],
    });
    // ECR's own API agrees
    const listed = await awsEcr(endpoint, [
      'list-image-referrers',
      '--repository-name',
      name,
      '--subject-id',
      `imageDigest=${subject.digest}`,
    ]);
    const filtered = await awsEcr(endpoint, [
      'list-image-referrers',
      '--repository-name',
      name,
      '--subject-id',
      `imageDigest=${subject.digest}`,
      '--filter',
      'artifactTypes=application/spdx+json',
    ]);
    const digests = (body: Record<string, unknown>) =>
      (body.referrers as Array<{ digest: string }>).map((r) => r.digest).sort();
    expect(digests(listed)).toEqual([sbom.digest, signature.digest].sort());
    expect(filtered.referrers).toEqual([
      expect.objectContaining({
        digest: sbom.digest,
        artifactType: 'application/spdx+json',
        artifactStatus: 'ACTIVE',
      }),
    ]);
  });
});
