import { describe, expect, it } from 'vitest';
import type { ImageRegistry, InventoryImage } from '../../src/inventory/ports.ts';
import { recordPushedImage } from '../../src/inventory/record-pushed-image.ts';
import type { ImageFacts } from '../../src/shared/ecr/image-lookup.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const NOW = new Date('2026-11-27T10:00:00Z');

/** The use case on in-memory ports: ECR holds `facts` for {@link DIGEST} (or nothing), scans on push. */
function setup(facts: ImageFacts | undefined) {
  const recorded: InventoryImage[] = [];
  const registry: ImageRegistry = {
    resolveTag: async () => undefined,
    describeImage: async (_repositoryName, imageDigest) => (imageDigest === DIGEST ? facts : undefined),
    scanSettings: async () => ({ repositoryScanOnPush: true, registryScanType: 'BASIC', registryRules: [] }),
    startScan: async () => 'started',
  };
  const record = recordPushedImage({
    registry,
    inventory: { recordImage: async (image) => void recorded.push(image) },
    clock: { now: () => NOW },
  });
  return { record, recorded };
}

describe('recording a pushed image', () => {
  it.each([
    ['a tag the image never had', 'forged', ['v1'], 'not-on-image'],
    ['a tag moved to another image since the push', 'latest', ['v1'], 'not-on-image'],
    ['one of several tags the image has', 'v1', ['v1', 'latest'], 'on-image'],
    ['no tag (an untagged push)', undefined, ['v1'], 'none'],
    ['a tag of an image ECR now has untagged', 'v1', [], 'not-on-image'],
  ] as const)(
    'records the tags ECR reports for an event naming %s',
    async (_case, imageTag, tags, eventTag) => {
      const { record, recorded } = setup({ tags: [...tags] });

      const summary = await record({
        eventId: 'e1',
        repositoryName: 'shop-dev',
        imageDigest: DIGEST,
        imageTag,
      });

      expect(recorded.map((image) => image.tags)).toEqual([tags]);
      expect(summary).toMatchObject({ outcome: 'recorded', tags, eventTag });
    },
  );

  it('records nothing for an image ECR no longer has', async () => {
    const { record, recorded } = setup(undefined);

    const summary = await record({
      eventId: 'e1',
      repositoryName: 'shop-dev',
      imageDigest: DIGEST,
      imageTag: 'v1',
    });

    expect(recorded).toEqual([]);
    expect(summary).toEqual({
      repositoryName: 'shop-dev',
      imageDigest: DIGEST,
      outcome: 'image-gone',
      tags: [],
      eventTag: 'none',
      scan: 'skipped',
    });
  });
});
