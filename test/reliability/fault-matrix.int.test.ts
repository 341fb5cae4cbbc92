import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellLabel, type FaultCell, type FaultMatrix, startFaultMatrix } from '../support/fault-matrix.ts';

/**
 * The fault matrix, small (`npm run bench:fault-matrix` runs it whole): a sandbox of its own with on-scan-completed
 * and notify-slack on the example sentinel.config.yml (`*-prod` repositories enforce `untag latest`). Per cell, three
 * images (failing with `latest` alone, failing with `v1` + `latest`, passing) are scanned under the fault, every
 * event ends handled or on the onFailure queue, the fault goes and the onFailure records are replayed. Promises:
 * no image deleted, no event lost (each judged or on the onFailure queue with its event), exactly one verdict alert
 * per verdict change (one Slack post per email), the right verdict stored and enforced after recovery.
 */

/** A cell, and how many of its three events end on the onFailure queue (rate 1: known; rate 0.2: any). */
const CELLS: Array<{ cell: FaultCell; onFailure?: number }> = [
  // No findings can be read: nothing is judged until the replay.
  {
    cell: { service: 'ecr', action: 'DescribeImageScanFindings', rate: 1, status: 503 },
    onFailure: 3,
  },
  // Every attempt's untag of the two failing images fails after the alert: stored, the change alerted once.
  {
    cell: { service: 'ecr', action: 'BatchDeleteImage', rate: 1, status: 503 },
    onFailure: 2,
  },
  // The quarantine tag (`latest` is the image's last tag) cannot be added: the image must not be deleted.
  { cell: { service: 'ecr', action: 'PutImage', rate: 1, status: 503 }, onFailure: 1 },
  // Storing the verdict fails on every attempt, after the alert.
  { cell: { service: 'dynamodb', action: 'BatchWriteItem', rate: 1, status: 503 }, onFailure: 3 },
  // The alert claim is throttled now and then (the SDK's own retries included; the bench has both errors
  // at both rates for every action).
  { cell: { service: 'dynamodb', action: 'UpdateItem', rate: 0.2, error: 'ThrottlingException' } },
  // SNS refuses every publish: stored and enforced, alerted once on the replay.
  { cell: { service: 'sns', action: 'Publish', rate: 1, status: 503 }, onFailure: 2 },
];

describe('fault matrix: each fault keeps the promises', () => {
  let matrix: FaultMatrix;

  beforeAll(async () => {
    matrix = await startFaultMatrix({ settleTimeoutMs: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await matrix?.stop();
  }, 30_000);

  it.each(CELLS.map((c) => [cellLabel(c.cell), c] as const))(
    '%s',
    async (_label, { cell, onFailure }) => {
      // Act
      const { counts } = await matrix.run(cell, 3);

      // Assess: the fault was in the way…
      expect(counts.faultedCalls).toBeGreaterThan(0);
      if (onFailure !== undefined) expect(counts.onFailure).toBe(onFailure);
      // …and every promise held.
      expect(counts.deleted).toBe(0);
      expect(counts.lost).toBe(0);
      expect(counts.onFailureWithPayload).toBe(counts.onFailure);
      expect(counts.replayedOk).toBe(counts.onFailure);
      expect(counts.changes).toBe(2);
      expect(counts.verdictEmails).toBe(counts.changes);
      expect(counts.duplicated).toBe(0);
      expect(counts.slackMismatch).toBe(0);
      expect(counts.enforcementEmails).toBeLessThanOrEqual(counts.changes);
      expect(counts.verdictsRight).toBe(counts.images);
      expect(counts.notEnforced).toBe(0);
    },
    60_000,
  );
});
