import { describe, expect, it } from 'vitest';
import {
  type RepositorySnapshot,
  readSnapshot,
  readSnapshotBytes,
  SnapshotError,
} from '../../src/cleanup/snapshot.ts';
import { MANIFEST_MEDIA_TYPES } from '../../src/shared/ecr/manifests.ts';
import { bytesReader } from './snapshot-fixtures.ts';

/**
 * The offline snapshot reader. The first sample is verbatim what `aws ecr describe-images` (AWS CLI 1.45.11,
 * default settings) printed against the sandbox: CLI v1 prints the wire's epoch seconds. The second is the
 * same listing as AWS CLI v2 prints it (ISO 8601 with offset, its default `cli_timestamp_format`).
 * test/cleanup/ecr-adapters.int.test.ts checks a live CLI listing equals the adapter's.
 */

const CLI_V1_OUTPUT = `{
    "imageDetails": [
        {
            "registryId": "123456789012",
            "repositoryName": "cli-test",
            "imageDigest": "sha256:1f6da2d0402ca6651dd860ffdb02ae60d635172f884d105be702070bac4723e3",
            "imageTags": [
                "v1"
            ],
            "imageSizeInBytes": 48,
            "imagePushedAt": 1795820167.8,
            "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "artifactMediaType": "application/vnd.docker.container.image.v1+json",
            "imageStatus": "ACTIVE"
        },
        {
            "registryId": "123456789012",
            "repositoryName": "cli-test",
            "imageDigest": "sha256:305d1a1e39e210ab670b2580ea2d57af0dc00080f13ba72fdfc08f13770cf795",
            "imageSizeInBytes": 48,
            "imagePushedAt": 1795820168.073,
            "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "artifactMediaType": "application/vnd.docker.container.image.v1+json",
            "imageStatus": "ACTIVE"
        }
    ]
}
`;

const D1 = 'sha256:1f6da2d0402ca6651dd860ffdb02ae60d635172f884d105be702070bac4723e3';
const D2 = 'sha256:305d1a1e39e210ab670b2580ea2d57af0dc00080f13ba72fdfc08f13770cf795';
const INDEX = `sha256:${'c'.repeat(64)}`;

function v2(details: Record<string, unknown>[]): string {
  return JSON.stringify({ imageDetails: details }, null, 4);
}

function entry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    registryId: '123456789012',
    repositoryName: 'orders-api',
    imageDigest: D1,
    imageTags: ['v1'],
    imageSizeInBytes: 48,
    imagePushedAt: '2026-11-20T10:00:00+00:00',
    imageManifestMediaType: MANIFEST_MEDIA_TYPES.dockerManifest,
    artifactMediaType: 'application/vnd.docker.container.image.v1+json',
    imageStatus: 'ACTIVE',
    ...overrides,
  };
}

/**
 * Reads `text` both ways — as text, and as the file's bytes (scanned when it is the usual listing) — and checks
 * they agree: the same snapshot, or the same error.
 */
function read(text: string, source: string): RepositorySnapshot {
  const outcome = (reader: () => RepositorySnapshot) => {
    try {
      return { snapshot: reader() };
    } catch (error) {
      expect(error).toBeInstanceOf(SnapshotError);
      return { error: error as SnapshotError };
    }
  };
  const asText = outcome(() => readSnapshot(text, source));
  const asBytes = outcome(() => readSnapshotBytes(bytesReader(Buffer.from(text)), source));
  expect(asBytes.snapshot).toEqual(asText.snapshot);
  expect(asBytes.error?.message).toBe(asText.error?.message);
  if (asText.error !== undefined) throw asText.error;
  return asText.snapshot as RepositorySnapshot;
}

function errorOf(text: string, source = 'snapshot.json'): string {
  try {
    read(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotError);
    return (error as Error).message;
  }
  throw new Error('expected readSnapshot to throw');
}

describe('readSnapshot of real CLI output', () => {
  it('reads AWS CLI v1 output (epoch seconds) into the repository and its images', () => {
    const snapshot = read(CLI_V1_OUTPUT, 'cli-test.json');
    expect(snapshot).toEqual({
      repositoryName: 'cli-test',
      registryId: '123456789012',
      indexChildrenUnknown: false,
      images: [
        {
          digest: D1,
          tags: ['v1'],
          pushedAt: Date.parse('2026-11-27T22:56:07.800Z'),
          storageClass: 'standard',
          sizeBytes: 48,
          manifestMediaType: MANIFEST_MEDIA_TYPES.dockerManifest,
          artifactMediaType: 'application/vnd.docker.container.image.v1+json',
        },
        {
          digest: D2,
          tags: [],
          pushedAt: Date.parse('2026-11-27T22:56:08.073Z'),
          storageClass: 'standard',
          sizeBytes: 48,
          manifestMediaType: MANIFEST_MEDIA_TYPES.dockerManifest,
          artifactMediaType: 'application/vnd.docker.container.image.v1+json',
        },
      ],
    });
  });

  it.each([
    ['CLI v2 (ISO with offset)', '2026-11-20T10:00:00+00:00'],
    ['CLI v1 iso8601 (microseconds)', '2026-11-20T10:00:00.000000+00:00'],
    ['another offset', '2026-11-20T11:00:00+01:00'],
    ['Z', '2026-11-20T10:00:00Z'],
    ['epoch seconds', 1795168800],
  ])('reads a %s timestamp', (_label, imagePushedAt) => {
    const [image] = read(v2([entry({ imagePushedAt })]), 's.json').images;
    expect(image?.pushedAt).toBe(Date.parse('2026-11-20T10:00:00.000Z'));
  });

  it('reads archive fields: ARCHIVED is the archive class, lastArchivedAt the transition time', () => {
    const [image] = read(
      v2([
        entry({
          imageStatus: 'ARCHIVED',
          lastArchivedAt: '2026-11-21T00:00:00+00:00',
          lastActivatedAt: '2026-11-01T00:00:00+00:00',
          lastRecordedPullTime: '2026-11-02T00:00:00+00:00',
        }),
      ]),
      's.json',
    ).images;
    expect(image).toMatchObject({
      storageClass: 'archive',
      transitionedAt: Date.parse('2026-11-21T00:00:00Z'),
      lastActivatedAt: Date.parse('2026-11-01T00:00:00Z'),
      lastPulledAt: Date.parse('2026-11-02T00:00:00Z'),
    });
  });

  it('reads a referrer subject and says an index has unknown children', () => {
    const snapshot = read(
      v2([
        entry({ imageDigest: INDEX, imageManifestMediaType: MANIFEST_MEDIA_TYPES.ociIndex }),
        entry({ imageDigest: D2, imageTags: undefined, subjectManifestDigest: INDEX }),
      ]),
      's.json',
    );
    expect(snapshot.indexChildrenUnknown).toBe(true);
    expect(snapshot.images[0]?.references).toBeUndefined();
    expect(snapshot.images[1]?.subjectDigest).toBe(INDEX);
  });
});

describe('readSnapshot of several documents', () => {
  it('merges pages written one after another, an image listed twice identically once', () => {
    const text = `${v2([entry()])}\n${v2([entry(), entry({ imageDigest: D2, imageTags: ['v2'] })])}\n`;
    const snapshot = read(text, 'pages.json');
    expect(snapshot.images.map((i) => i.digest)).toEqual([D1, D2]);
  });

  it('reads the imageDetails array alone (--query imageDetails)', () => {
    expect(read(JSON.stringify([entry()]), 'q.json').images).toHaveLength(1);
  });
});

describe('readSnapshot errors name the file and the JSON path', () => {
  it.each([
    [
      'a timestamp that is not a date',
      v2([entry(), entry(), entry(), entry({ imageDigest: D2, imagePushedAt: 'yesterday' })]),
      'snapshot.json: imageDetails[3].imagePushedAt: expected a date',
    ],
    [
      'a timestamp without a zone',
      v2([entry({ lastRecordedPullTime: '2026-11-20T10:00:00' })]),
      'snapshot.json: imageDetails[0].lastRecordedPullTime: expected a date',
    ],
    [
      'a missing digest',
      v2([entry({ imageDigest: undefined })]),
      'snapshot.json: imageDetails[0].imageDigest:',
    ],
    [
      'a digest that is not one',
      v2([entry({ imageDigest: 'latest' })]),
      'snapshot.json: imageDetails[0].imageDigest: expected a digest',
    ],
    [
      'tags that are not a list',
      v2([entry({ imageTags: 'v1' })]),
      'snapshot.json: imageDetails[0].imageTags:',
    ],
    ['an unknown image status', v2([entry({ imageStatus: 'FROZEN' })]), 'imageDetails[0].imageStatus:'],
    ['no imageDetails', '{"images": []}', 'snapshot.json: imageDetails:'],
    ['not JSON', '{"imageDetails": [', 'snapshot.json: not JSON:'],
    ['no images', '{"imageDetails": []}', 'snapshot.json: imageDetails: no images'],
    [
      'a listing the CLI truncated (--max-items)',
      JSON.stringify({ imageDetails: [entry()], NextToken: 'eyJ9' }),
      'snapshot.json: NextToken: the listing is truncated',
    ],
    [
      'images of two repositories',
      v2([entry(), entry({ imageDigest: D2, repositoryName: 'payments-api' })]),
      'snapshot.json: imageDetails[1].repositoryName: "payments-api" but imageDetails[0] has "orders-api"',
    ],
    [
      'the same digest with different details',
      `${v2([entry()])}${v2([entry({ imageTags: ['v9'] })])}`,
      `snapshot.json: document 2: imageDetails[0]: ${D1} is already listed at document 1: imageDetails[0]`,
    ],
    [
      'a bad field in a later document',
      `${v2([entry()])}\n${v2([entry({ imageDigest: D2, imageSizeInBytes: -1 })])}`,
      'snapshot.json: document 2: imageDetails[0].imageSizeInBytes:',
    ],
  ])('for %s', (_label, text, expected) => {
    expect(errorOf(text)).toContain(expected);
  });

  it('uses the name it is given for the file', () => {
    expect(errorOf('[', 'snapshots/orders-api.json')).toMatch(/^snapshots\/orders-api\.json: not JSON/);
  });
});
