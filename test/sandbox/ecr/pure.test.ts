import { describe, expect, it } from 'vitest';
import { isDigest, isSha256Digest } from '../../../src/sandbox/ecr/digest.ts';
import { EcrError } from '../../../src/sandbox/ecr/errors.ts';
import { validateLifecyclePolicy } from '../../../src/sandbox/ecr/lifecycle.ts';
import { parseManifest } from '../../../src/sandbox/ecr/manifest.ts';
import { decodeToken, encodeToken, lowerBound } from '../../../src/sandbox/ecr/pagination.ts';
import {
  inspectorEventCounts,
  parseCatalogueEntry,
  severityCounts,
} from '../../../src/sandbox/ecr/scanner.ts';
import { isImageTag, maxResultsOf, validateRepositoryName } from '../../../src/sandbox/ecr/validation.ts';
import { sha256Digest } from '../../../src/shared/ecr/digest.ts';
import { wildcardMatch } from '../../../src/shared/wildcard.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof EcrError ? error.code : `not an EcrError: ${String(error)}`;
  }
}

describe('digests', () => {
  it('is sha256 of the exact bytes, so whitespace changes the digest', () => {
    // Prepare
    const compact = '{"a":1}';
    const spaced = '{ "a": 1 }';
    // Act
    const a = sha256Digest(compact);
    const b = sha256Digest(spaced);
    // Assess
    expect(a).toBe('sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
    expect(a).not.toBe(b);
  });

  it.each([
    ['sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234', true, false],
    [`sha256:${'a'.repeat(64)}`, true, true],
    ['sha512:abc', true, false],
    ['sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE', true, false],
    ['sha256', false, false],
    ['', false, false],
    ['SHA256:abc', false, false],
    [42, false, false],
  ])('treats %j as a lenient digest: %s, canonical sha256: %s', (value, lenient, canonical) => {
    expect(isDigest(value)).toBe(lenient);
    expect(isSha256Digest(value)).toBe(canonical);
  });
});

describe('wildcard matching', () => {
  it.each([
    ['prod-*', 'prod-1', true],
    ['prod-*', 'prod-', true],
    ['prod-*', 'dev-1', false],
    ['*', 'anything', true],
    ['v*.*', 'v1.2', true],
    ['v*.*', 'v12', false],
    ['release', 'release', true],
    ['release', 'release-1', false],
    ['a.b', 'axb', false],
    ['team/*', 'team/app', true],
    ['*-rc*', '1.0-rc2', true],
  ])('matches pattern %s against %s: %s', (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });
});

describe('pagination tokens', () => {
  it('round-trips a cursor for the same scope', () => {
    const token = encodeToken({ scope: 'images:app:1:ANY', seq: 1234, sub: 2 });
    expect(decodeToken(token, 'images:app:1:ANY')).toEqual({ scope: 'images:app:1:ANY', seq: 1234, sub: 2 });
  });

  it.each([
    ['garbage', 'not base64 JSON'],
    ['', 'empty'],
    [encodeToken({ scope: 'other', seq: 1, sub: 0 }), 'minted for another listing'],
    [Buffer.from('[1,"s",-1,0]').toString('base64url'), 'negative position'],
    [Buffer.from('{"seq":1}').toString('base64url'), 'wrong shape'],
  ])('rejects %j (%s) with InvalidParameterException', (token) => {
    expect(codeOf(() => decodeToken(token, 's'))).toBe('InvalidParameterException');
  });

  it('finds the resume position by binary search', () => {
    const items = [1, 3, 5, 9, 10].map((seq) => ({ seq }));
    expect([0, 1, 2, 3, 9, 11].map((seq) => lowerBound(items, seq))).toEqual([0, 0, 1, 1, 3, 5]);
  });
});

describe('names, tags and maxResults', () => {
  it.each([
    ['ab', true],
    ['my-app', true],
    ['team/app.web_1', true],
    ['a/b/c', true],
    ['a', false],
    ['MyApp', false],
    ['app-', false],
    ['-app', false],
    ['a//b', false],
    ['app/', false],
    ['x'.repeat(257), false],
  ])('repository name %j is valid: %s', (name, valid) => {
    expect(codeOf(() => validateRepositoryName(name))).toBe(valid ? undefined : 'InvalidParameterException');
  });

  it.each([
    ['latest', true],
    ['v1.2.3', true],
    ['_x', true],
    ['1.0-rc.1', true],
    ['A_b-C.d', true],
    ['.hidden', false],
    ['-dash', false],
    ['has space', false],
    ['a:b', false],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
  ])('image tag %j is valid: %s', (tag, valid) => {
    expect(isImageTag(tag)).toBe(valid);
  });

  it.each([
    [undefined, 100],
    [1, 1],
    [1000, 1000],
  ])('maxResults %j gives a page of %d', (maxResults, expected) => {
    expect(maxResultsOf(maxResults === undefined ? {} : { maxResults })).toBe(expected);
  });

  it.each([0, 1001, -5, 2.5, '10'])('rejects maxResults %j with InvalidParameterException', (maxResults) => {
    expect(codeOf(() => maxResultsOf({ maxResults }))).toBe('InvalidParameterException');
  });
});

describe('manifest parsing', () => {
  const config = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: `sha256:${'c'.repeat(64)}`,
    size: 10,
  };
  const layer = (n: string, size: number) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: `sha256:${n.repeat(64)}`,
    size,
  });

  it('reads config and layers of an OCI manifest and sums layer sizes', () => {
    // Prepare
    const text = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: [layer('1', 100), layer('2', 50)],
    });
    // Act
    const parsed = parseManifest(text);
    // Assess
    expect(parsed.kind).toBe('manifest');
    expect(parsed.blobs.map((b) => b.digest)).toEqual([
      config.digest,
      layer('1', 0).digest,
      layer('2', 0).digest,
    ]);
    expect(parsed.layerBytes).toBe(150);
    expect(parsed.artifactMediaType).toBe('application/vnd.oci.image.config.v1+json');
  });

  it('takes the media type from imageManifestMediaType when the OCI manifest has none', () => {
    const text = JSON.stringify({ schemaVersion: 2, config, layers: [] });
    expect(parseManifest(text, 'application/vnd.oci.image.manifest.v1+json').mediaType).toBe(
      'application/vnd.oci.image.manifest.v1+json',
    );
  });

  it.each([
    [
      'OCI manifest without any media type',
      JSON.stringify({ schemaVersion: 2, config, layers: [] }),
      undefined,
    ],
    ['invalid JSON', '{not json', undefined],
    ['a JSON array', '[]', undefined],
    [
      'a layer without size',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [{ digest: config.digest }],
      }),
      undefined,
    ],
    [
      'an unknown media type',
      JSON.stringify({ schemaVersion: 2, mediaType: 'text/plain', config, layers: [] }),
      undefined,
    ],
    [
      'a declared type contradicting the manifest',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [],
      }),
      'application/vnd.docker.distribution.manifest.v2+json',
    ],
  ])('rejects %s with InvalidParameterException', (_what, text, declared) => {
    expect(codeOf(() => parseManifest(text, declared))).toBe('InvalidParameterException');
  });

  it('lists the children of an index and keeps subject and artifactType of a referrer', () => {
    // Prepare
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [layer('a', 1), layer('b', 2)],
    });
    const referrer = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${'e'.repeat(64)}`, size: 2 },
      layers: [layer('f', 5)],
      subject: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${'5'.repeat(64)}`,
        size: 9,
      },
    });
    // Act
    const parsedIndex = parseManifest(index);
    const parsedReferrer = parseManifest(referrer);
    // Assess
    expect(parsedIndex.kind).toBe('index');
    expect(parsedIndex.children).toEqual([`sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`]);
    expect(parsedIndex.blobs).toEqual([]);
    expect(parsedReferrer.subject).toBe(`sha256:${'5'.repeat(64)}`);
    expect(parsedReferrer.artifactMediaType).toBe('application/vnd.dev.cosign.artifact.sig.v1+json');
  });

  it('does not require foreign layers to be in the registry', () => {
    const text = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { ...config, mediaType: 'application/vnd.docker.container.image.v1+json' },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
          digest: `sha256:${'9'.repeat(64)}`,
          size: 7,
        },
      ],
    });
    expect(parseManifest(text).blobs.map((b) => b.digest)).toEqual([config.digest]);
  });
});

describe('findings catalogue entries', () => {
  it('accepts a well-formed entry', () => {
    const entry = parseCatalogueEntry({
      repositoryName: 'app',
      imageTag: 'v1',
      findings: [
        { name: 'CVE-2024-1', severity: 'HIGH', package: 'openssl', version: '3.0.1', fixedIn: '3.0.2' },
      ],
    });
    expect(entry.findings[0]?.package).toBe('openssl');
  });

  it.each([
    [{ imageTag: 'v1', findings: [] }, /repositoryName/],
    [{ repositoryName: 'app', findings: [] }, /imageTag or imageDigest/],
    [
      { repositoryName: 'app', imageTag: 'v1', findings: [{ name: 'x', severity: 'SEVERE' }] },
      /findings\[0\]\.severity/,
    ],
    [{ repositoryName: 'app', imageTag: 'v1', status: 'DONE', findings: [] }, /status/],
    [{ repositoryName: 'app', imageDigest: 'nope', findings: [] }, /imageDigest/],
  ])('rejects %j naming the bad field', (entry, message) => {
    expect(() => parseCatalogueEntry(entry)).toThrow(message);
  });

  it('counts only the severities that occur, and Inspector counts include TOTAL', () => {
    const findings = [
      { name: 'a', severity: 'CRITICAL' as const },
      { name: 'b', severity: 'LOW' as const },
      { name: 'c', severity: 'CRITICAL' as const },
    ];
    expect(severityCounts(findings)).toEqual({ CRITICAL: 2, LOW: 1 });
    expect(inspectorEventCounts(findings)).toEqual({ CRITICAL: 2, HIGH: 0, MEDIUM: 0, TOTAL: 3 });
  });
});

describe('lifecycle policy validation', () => {
  const rule = (priority: number, selection: Record<string, unknown>) => ({
    rulePriority: priority,
    description: 'a rule with enough words to pass the minimum length',
    selection,
    action: { type: 'expire' },
  });

  it('accepts a valid policy', () => {
    const text = JSON.stringify({
      rules: [
        rule(1, {
          tagStatus: 'tagged',
          tagPatternList: ['prod*'],
          countType: 'imageCountMoreThan',
          countNumber: 10,
        }),
        rule(2, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }),
      ],
    });
    expect(codeOf(() => validateLifecyclePolicy(text))).toBeUndefined();
  });

  it.each([
    ['no rules', { rules: [] }],
    [
      'duplicate priorities',
      {
        rules: [
          rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }),
          rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 2 }),
        ],
      },
    ],
    [
      'any not last',
      {
        rules: [
          rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
          rule(2, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 2 }),
        ],
      },
    ],
    [
      'both tag lists',
      {
        rules: [
          rule(1, {
            tagStatus: 'tagged',
            tagPrefixList: ['a'],
            tagPatternList: ['b*'],
            countType: 'imageCountMoreThan',
            countNumber: 1,
          }),
        ],
      },
    ],
    [
      'tagged without a list',
      { rules: [rule(1, { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 })] },
    ],
    [
      'days missing',
      { rules: [rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 })] },
    ],
  ])('rejects a policy with %s', (_what, policy) => {
    expect(codeOf(() => validateLifecyclePolicy(JSON.stringify(policy).padEnd(120, ' ')))).toBe(
      'InvalidParameterException',
    );
  });
});
