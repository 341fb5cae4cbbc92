import { createHash, randomUUID } from 'node:crypto';
import type { EcrCaller, EventEntry, RegistryRef } from '../contracts.ts';

/**
 * CloudTrail records of ECR API calls, as EventBridge delivers them: `detail-type` "AWS API Call via CloudTrail",
 * `source` "aws.ecr", the CloudTrail record as `detail`. EventBridge gets write (management) calls only; read-only
 * ones (Describe*, Get*, List*, BatchGet*) are not delivered, and a call that fails is not either here.
 *
 * Shaped after the ECR guide's records (https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html)
 * and CloudTrail's record reference (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
 * `requestParameters` is the request as sent, `responseElements` the response with ECR's timestamps written
 * the way CloudTrail records them for ECR ("Jul 11, 2018 10:17:44 PM", UTC), and null when the response is
 * empty; `requestID` is the `x-amzn-RequestId` the caller got.
 *
 * What the sandbox can't know is inferred: the edge passes the emulator the caller's account and principal but not
 * its access key, address or user agent, so `accessKeyId` is absent, `sourceIPAddress` is the loopback address
 * and `userAgent` names the sandbox; principal ids are derived from the ARN (stable, not AWS's). A caller the edge
 * knows no principal of is moto's default identity, the IAM user `moto`.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */

/** The ECR actions whose successful calls put a CloudTrail event on the bus (control plane writes). */
export const CLOUDTRAIL_ACTIONS: ReadonlySet<string> = new Set([
  'CreateRepository',
  'DeleteRepository',
  'PutImageTagMutability',
  'PutImageScanningConfiguration',
  'SetRepositoryPolicy',
  'DeleteRepositoryPolicy',
  'PutLifecyclePolicy',
  'DeleteLifecyclePolicy',
  'PutRegistryScanningConfiguration',
  'PutReplicationConfiguration',
  'PutRegistryPolicy',
  'DeleteRegistryPolicy',
  'CreateRepositoryCreationTemplate',
  'UpdateRepositoryCreationTemplate',
  'DeleteRepositoryCreationTemplate',
  'TagResource',
  'UntagResource',
  'CreatePullThroughCacheRule',
  'UpdatePullThroughCacheRule',
  'DeletePullThroughCacheRule',
  'PutSigningConfiguration',
  'DeleteSigningConfiguration',
  'RegisterPullTimeUpdateExclusion',
  'DeregisterPullTimeUpdateExclusion',
]);

/** Response members that are timestamps in ECR's API (epoch seconds on the wire). */
const TIMESTAMP_KEYS = new Set(['createdAt', 'updatedAt', 'lastEvaluatedAt', 'imagePushedAt']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** One API call, as the emulator saw it. */
export interface ApiCall {
  action: string;
  request: Record<string, unknown>;
  /** The wire response body (timestamps in epoch seconds). */
  response: unknown;
  caller: EcrCaller;
  /** The registry the call acted on: the record's account and Region. */
  registry: RegistryRef;
  requestId: string;
  time: Date;
  /**
   * The AWS service that made the call on the caller's behalf (`ecr.amazonaws.com` for a repository created on
   * push): CloudTrail names it as `userIdentity.invokedBy`, and as `sourceIPAddress` and `userAgent` ("for
   * services in AWS, only the DNS name is displayed").
   */
  invokedBy?: string;
}

/** A timestamp the way CloudTrail writes ECR's: `Jul 11, 2018 10:17:44 PM` (UTC, 12-hour clock). */
export function cloudTrailTimestamp(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  const hours = date.getUTCHours();
  const two = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${hours % 12 === 0 ? 12 : hours % 12}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

function withCloudTrailTimestamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withCloudTrailTimestamps);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    out[key] =
      TIMESTAMP_KEYS.has(key) && typeof member === 'number'
        ? cloudTrailTimestamp(member)
        : withCloudTrailTimestamps(member);
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** A stable stand-in for AWS's unique ids (`AROA…`, `AIDA…`): 17 characters derived from the ARN. */
function uniqueId(kind: 'AROA' | 'AIDA', arn: string): string {
  const digest = createHash('sha256').update(arn).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return kind + Array.from(digest.subarray(0, 17), (byte) => alphabet[byte % 32]).join('');
}

/**
 * The `userIdentity` of a caller: an assumed-role session (`AssumedRole` with its role as `sessionIssuer`), an
 * IAM user, or the account's root.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 */
export function userIdentityOf(caller: EcrCaller): Record<string, unknown> {
  const accountId = caller.accountId;
  const arn = caller.principalArn ?? `arn:aws:iam::${accountId}:user/moto`;
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (session) {
    const [, partition, roleAccount, roleName, sessionName] = session as unknown as string[];
    const roleArn = `arn:${partition}:iam::${roleAccount}:role/${roleName}`;
    const roleId = uniqueId('AROA', roleArn);
    return {
      type: 'AssumedRole',
      principalId: `${roleId}:${sessionName}`,
      arn,
      accountId,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn, accountId, userName: roleName },
        attributes: { mfaAuthenticated: 'false' },
      },
    };
  }
  const user = /^arn:[^:]+:(?:iam|sts)::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (user) {
    return { type: 'IAMUser', principalId: uniqueId('AIDA', arn), arn, accountId, userName: user[1] };
  }
  if (/^arn:[^:]+:iam::\d{12}:root$/.test(arn))
    return { type: 'Root', principalId: accountId, arn, accountId };
  return { type: 'Unknown', principalId: arn, arn, accountId };
}

/** The repository a request acts on, for the record's `resources`. */
function resourcesOf(call: ApiCall): Array<Record<string, string>> | undefined {
  const { request, registry } = call;
  const arn =
    typeof request.resourceArn === 'string'
      ? request.resourceArn
      : typeof request.repositoryName === 'string'
        ? `arn:aws:ecr:${registry.region}:${registry.accountId}:repository/${request.repositoryName}`
        : undefined;
  return arn === undefined
    ? undefined
    : [{ accountId: registry.accountId, type: 'AWS::ECR::Repository', ARN: arn }];
}

/**
 * The EventBridge entry for one successful ECR API call.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */
export function cloudTrailEvent(call: ApiCall): EventEntry {
  const resources = resourcesOf(call);
  const detail = {
    eventVersion: '1.09',
    userIdentity: {
      ...userIdentityOf(call.caller),
      ...(call.invokedBy === undefined ? {} : { invokedBy: call.invokedBy }),
    },
    eventTime: call.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'ecr.amazonaws.com',
    eventName: call.action,
    awsRegion: call.registry.region,
    sourceIPAddress: call.invokedBy ?? '127.0.0.1',
    userAgent: call.invokedBy ?? 'ecr-sentinel-sandbox',
    requestParameters: isEmpty(call.request) ? null : call.request,
    responseElements: isEmpty(call.response) ? null : withCloudTrailTimestamps(call.response),
    requestID: call.requestId,
    eventID: randomUUID(),
    readOnly: false,
    ...(resources !== undefined ? { resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: call.registry.accountId,
    eventCategory: 'Management',
  };
  return {
    Source: 'aws.ecr',
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(detail),
    Resources: [],
    Time: call.time,
  };
}
