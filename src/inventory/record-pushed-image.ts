import type { Clock } from '../shared/clock.ts';
import { scanDecision } from '../shared/ecr/scan-settings.ts';
import type { ImageRegistry, InventoryStore } from './ports.ts';

/** A successful ECR push, as the handler extracted it from the event. */
export interface PushedImage {
  eventId: string;
  repositoryName: string;
  imageDigest: string;
  /** The tag the event names; only reported against the registry's tags, never recorded from the event. */
  imageTag?: string;
}

/** What happened, returned by the handler (and kept by Powertools idempotency for duplicates). */
export interface PushedImageSummary {
  repositoryName: string;
  imageDigest: string;
  outcome: 'recorded' | 'image-gone';
  /** The image's tags as ECR reports them (DescribeImages). */
  tags: string[];
  /**
   * The event's `image-tag` against ECR's answer: `not-on-image` when the image lacks it (the tag moved or was
   * deleted since the push, or the event is not genuine); `none` for an untagged push or an image gone.
   */
  eventTag: 'on-image' | 'not-on-image' | 'none';
  scan: 'scans-on-push' | 'started' | 'already-scanned' | 'unsupported' | 'not-scannable' | 'skipped';
}

/**
 * Record a pushed image in the inventory and make sure it gets scanned.
 * An image deleted between the push and this event is not recorded (nothing to inventory, nothing to scan).
 */
export function recordPushedImage(deps: {
  registry: ImageRegistry;
  inventory: InventoryStore;
  clock: Clock;
}) {
  return async (pushed: PushedImage): Promise<PushedImageSummary> => {
    const { repositoryName, imageDigest } = pushed;
    const facts = await deps.registry.describeImage(repositoryName, imageDigest);
    if (!facts) {
      return {
        repositoryName,
        imageDigest,
        outcome: 'image-gone',
        tags: [],
        eventTag: 'none',
        scan: 'skipped',
      };
    }

    // Tags come from ECR only: an event's tag may be stale (moved since) or made up, and the inventory must not
    // claim an image carries a tag it doesn't.
    const tags = facts.tags;
    const eventTag =
      pushed.imageTag === undefined ? 'none' : tags.includes(pushed.imageTag) ? 'on-image' : 'not-on-image';
    await deps.inventory.recordImage({
      repositoryName,
      imageDigest,
      tags,
      pushedAt: facts.pushedAt,
      sizeInBytes: facts.sizeInBytes,
      mediaType: facts.manifestMediaType,
      artifactMediaType: facts.artifactMediaType,
      sourceEventId: pushed.eventId,
      recordedAt: deps.clock.now(),
    });

    const decision = scanDecision(await deps.registry.scanSettings(repositoryName), repositoryName);
    const scan =
      decision === 'start-scan' ? await deps.registry.startScan(repositoryName, imageDigest) : decision;
    return { repositoryName, imageDigest, outcome: 'recorded', tags, eventTag, scan };
  };
}
