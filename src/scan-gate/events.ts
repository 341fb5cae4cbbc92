import * as z from 'zod';
import {
  ACCOUNT_ID_PATTERN,
  imageDigestSchema,
  imageTagSchema,
  REPOSITORY_NAME_MAX_LENGTH,
  repositoryNameSchema,
} from '../shared/ecr/names.ts';
import { SentinelError } from '../shared/errors.ts';
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

/**
 * Severity keys as ECR and Inspector spell them (`CRITICAL`, `UNDEFINED`, `TOTAL`, …), bounded in length and
 * number so that a hostile event cannot carry a huge map into the verdict and the alert.
 */
const SEVERITY_KEY_PATTERN = /^[A-Za-z_]{1,32}$/;
const SEVERITY_KEYS_MAX = 16;

const severityCountsSchema = z
  .record(z.string(), z.unknown())
  .refine((counts) => Object.keys(counts).length <= SEVERITY_KEYS_MAX, {
    message: `expected at most ${SEVERITY_KEYS_MAX} severities`,
    abort: true,
  })
  // Keys checked here rather than by the record's key schema, whose issue would quote a hostile key in its
  // path.
  .refine((counts) => Object.keys(counts).every((key) => SEVERITY_KEY_PATTERN.test(key)), {
    message: 'expected severities such as HIGH (letters and _, at most 32)',
    abort: true,
  })
  .pipe(z.record(z.string(), z.number().int().nonnegative()))
  .default({});

/** A scan status (`COMPLETE`, `FAILED`, `INITIAL_SCAN_COMPLETE`, …): letters and `_`; case, spaces forgiven. */
const scanStatusSchema = z
  .string()
  .max(64, { abort: true })
  .regex(/^\s*[A-Za-z][A-Za-z_]*\s*$/, 'expected a scan status such as COMPLETE');

/** ECR's quota of tags per image: https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html */
const IMAGE_TAGS_MAX = 1000;

const imageTagsSchema = z.array(imageTagSchema).max(IMAGE_TAGS_MAX).default([]);

/** An AWS Region code: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1. */
const AWS_REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$/;
const AWS_REGION_EXPECTED = 'expected an AWS Region such as us-east-1';

const REPOSITORY_ARN = /^arn:(aws[a-z-]*):ecr:([a-z0-9-]+):([0-9]+):repository\/(.+)$/;

/** The longest repository ARN: `arn:aws-iso-b:ecr:<region>:<account>:repository/` and a 256-character name. */
const REPOSITORY_ARN_MAX_LENGTH = 80 + REPOSITORY_NAME_MAX_LENGTH;

/**
 * A repository ARN (`arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample`): partition,
 * Region, 12-digit account and an ECR repository name, each checked, so that the name judged is one ECR could
 * hold.
 */
const repositoryArnSchema = z
  .string()
  .max(REPOSITORY_ARN_MAX_LENGTH, { abort: true })
  .superRefine((value, ctx) => {
    const match = REPOSITORY_ARN.exec(value);
    const [, , region = '', accountId = '', name = ''] = match ?? [];
    const problem = !match
      ? 'expected a repository ARN such as arn:aws:ecr:us-east-1:123456789012:repository/name'
      : !AWS_REGION_PATTERN.test(region)
        ? `expected a repository ARN whose Region is an AWS Region, got ${JSON.stringify(region)}`
        : !ACCOUNT_ID_PATTERN.test(accountId)
          ? 'expected a repository ARN whose account is a 12-digit AWS account id'
          : !repositoryNameSchema.safeParse(name).success
            ? 'expected a repository ARN ending in an ECR repository name (lower case, digits, . _ - /)'
            : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** `detail` of an `ECR Image Scan` event (basic scanning). */
export const basicScanDetailSchema = z.object({
  'scan-status': scanStatusSchema,
  'repository-name': repositoryNameSchema,
  'image-digest': imageDigestSchema,
  'image-tags': imageTagsSchema,
  'finding-severity-counts': severityCountsSchema,
});

/** `detail` of an `Inspector2 Scan` event (enhanced scanning); `repository-name` is an ARN. */
export const enhancedScanDetailSchema = z.object({
  'scan-status': scanStatusSchema,
  'repository-name': repositoryArnSchema,
  'image-digest': imageDigestSchema,
  'image-tags': imageTagsSchema,
  'finding-severity-counts': severityCountsSchema,
  version: z.string().max(16).optional(),
});

/** EventBridge event ids are UUIDs (AWS's own samples carry ids that are not): any short string is taken. */
const EVENT_ID_MAX_LENGTH = 128;

const envelope = {
  version: z.string().max(16).optional(),
  id: z.string().min(1).max(EVENT_ID_MAX_LENGTH).optional(),
  account: z.string().regex(ACCOUNT_ID_PATTERN, 'expected a 12-digit AWS account id'),
  region: z.string().max(32, { abort: true }).regex(AWS_REGION_PATTERN, AWS_REGION_EXPECTED),
  time: z.iso.datetime().optional(),
  resources: z.array(z.string().max(REPOSITORY_ARN_MAX_LENGTH)).max(16).optional(),
  'replay-name': z.string().max(256).optional(),
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

/** `amazon/amazon-ecs-sample` from `arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample`. */
export function parseRepositoryArn(
  value: string,
): { repositoryName: string; region: string; accountId: string } | undefined {
  const match = REPOSITORY_ARN.exec(value);
  if (!match) return undefined;
  const [, , region = '', accountId = '', repositoryName = ''] = match;
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

/** The account and Region a function runs in: the only registry whose scans it judges. */
export interface HomeRegistry {
  accountId: string;
  region: string;
}

/**
 * A scan of another account's or Region's registry: judging it would judge the local repository of the same
 * name.
 * Final (retrying cannot help): after Lambda's retries the event reaches the onFailure queue.
 */
export class ForeignRegistryError extends SentinelError {
  override readonly name = 'ForeignRegistryError';

  constructor(message: string) {
    super(message, { retryable: false });
  }
}

/**
 * Refuse a scan of a registry other than `home`. No account is trusted besides the function's own (there is no
 * configuration of foreign accounts).
 * @throws {ForeignRegistryError} naming the scan's account and Region and the function's
 */
export function assertHomeRegistry(scan: ScanCompleted, home: HomeRegistry): void {
  if (scan.accountId === home.accountId && scan.region === home.region) return;
  throw new ForeignRegistryError(
    `scan of ${scan.repositoryName} in account ${scan.accountId} region ${scan.region} refused: this function ` +
      `judges only its own registry, account ${home.accountId} region ${home.region}`,
  );
}
