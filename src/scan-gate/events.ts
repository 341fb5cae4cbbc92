import * as z from 'zod';
import { imageDigestSchema } from '../shared/ecr/names.ts';
import { completeCounts, type SeverityCounts } from '../shared/severity.ts';

/**
 * The two "scan completed" events on-scan-completed handles, validated leniently (AWS's own samples carry
 * digests that are not 64 hex characters and ids that are not UUIDs):
 * - `ECR Image Scan` (source `aws.ecr`, basic scanning): `finding-severity-counts` lists only severities
 *   that occur; `scan-status` COMPLETE, FAILED, UNSUPPORTED_IMAGE, …
 * - `Inspector2 Scan` (source `aws.inspector2`, enhanced scanning): `repository-name` is the repository ARN,
 *   status `INITIAL_SCAN_COMPLETE`, counts include `TOTAL` (not a severity, not even the sum of the others).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 * https://docs.aws.amazon.com/inspector/latest/user/eventbridge-integration.html
 */

const severityCountsSchema = z.record(z.string(), z.number().nonnegative()).default({});

/** `detail` of an `ECR Image Scan` event (basic scanning). */
export const basicScanDetailSchema = z.object({
  'scan-status': z.string().min(1),
  'repository-name': z.string().min(1),
  'image-digest': imageDigestSchema,
  'image-tags': z.array(z.string()).default([]),
  'finding-severity-counts': severityCountsSchema,
});

/** `detail` of an `Inspector2 Scan` event (enhanced scanning); `repository-name` is an ARN. */
export const enhancedScanDetailSchema = z.object({
  'scan-status': z.string().min(1),
  'repository-name': z.string().min(1),
  'image-digest': imageDigestSchema,
  'image-tags': z.array(z.string()).default([]),
  'finding-severity-counts': severityCountsSchema,
  version: z.string().optional(),
});

const envelope = {
  id: z.string().optional(),
  account: z.string().min(1),
  region: z.string().min(1),
  time: z.string().optional(),
};

export const basicScanEventSchema = z.object({
  ...envelope,
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Scan'),
  detail: basicScanDetailSchema,
});

export const enhancedScanEventSchema = z.object({
  ...envelope,
  source: z.literal('aws.inspector2'),
  'detail-type': z.literal('Inspector2 Scan'),
  detail: enhancedScanDetailSchema,
});

/** Either scan-completed event; tell them apart by `source`. */
export const scanCompletedEventSchema = z.discriminatedUnion('source', [
  basicScanEventSchema,
  enhancedScanEventSchema,
]);

export type BasicScanEvent = z.infer<typeof basicScanEventSchema>;
export type EnhancedScanEvent = z.infer<typeof enhancedScanEventSchema>;
export type ScanCompletedEvent = z.infer<typeof scanCompletedEventSchema>;

/** A completed (or failed) scan, whichever scanner reported it. */
export interface ScanCompleted {
  repositoryName: string;
  imageDigest: string;
  imageTags: string[];
  scanStatus: string;
  source: 'basic' | 'enhanced';
  /** Every known severity present (missing means 0), unknown severities kept, `TOTAL` dropped. */
  severityCounts: SeverityCounts;
  /** Registry account and region: from the repository ARN when there is one, else from the event. */
  accountId: string;
  region: string;
}

const REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;

/** `amazon/amazon-ecs-sample` from `arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample`. */
export function parseRepositoryArn(
  value: string,
): { repositoryName: string; region: string; accountId: string } | undefined {
  const match = REPOSITORY_ARN.exec(value);
  if (!match) return undefined;
  const [, region = '', accountId = '', repositoryName = ''] = match;
  return { repositoryName, region, accountId };
}

/** Normalise either event into one {@link ScanCompleted}. */
export function normaliseScanEvent(event: ScanCompletedEvent): ScanCompleted {
  const detail = event.detail;
  const arn = parseRepositoryArn(detail['repository-name']);
  return {
    repositoryName: arn?.repositoryName ?? detail['repository-name'],
    imageDigest: detail['image-digest'],
    imageTags: [...new Set(detail['image-tags'])],
    scanStatus: detail['scan-status'].trim().toUpperCase(),
    source: event.source === 'aws.ecr' ? 'basic' : 'enhanced',
    severityCounts: completeCounts(detail['finding-severity-counts']),
    accountId: arn?.accountId ?? event.account,
    region: arn?.region ?? event.region,
  };
}
