import type { Clock } from '../shared/clock.ts';
import type { ImageRegistry, InventoryStore } from './ports.ts';
import { scanDecision } from './scanning.ts';

/** A successful ECR push, as the handler extracted it from the event. */
export interface PushedImage {
  eventId: string;
  repositoryName: string;
  imageDigest: string;
  imageTag?: string;
}

/** What happened, returned by the handler (and kept by Powertools idempotency for duplicates). */
export interface PushedImageSummary {
  repositoryName: string;
  imageDigest: string;
  outcome: 'recorded' | 'image-gone';
  tags: string[];
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
    if (!facts) return { repositoryName, imageDigest, outcome: 'image-gone', tags: [], scan: 'skipped' };

    // The event names one tag; the registry may know more (pushed earlier or since). Merge both.
    const tags = [...new Set([...(pushed.imageTag ? [pushed.imageTag] : []), ...facts.tags])];
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
    return { repositoryName, imageDigest, outcome: 'recorded', tags, scan };
  };
}
