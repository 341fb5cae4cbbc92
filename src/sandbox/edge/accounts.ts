/**
 * Which account a request's credentials belong to, for the ECR emulator (moto works it out itself for the
 * services behind it). The edge learns it from two places:
 * - moto's STS: an `AssumeRole` (or `AssumeRoleWithWebIdentity`/`WithSAML`) answer passing through the edge's
 *   proxy names the new `AccessKeyId` and the assumed role's ARN, whose account moto then acts in as well
 *   (measured with moto 5.2.1: SQS, EventBridge and `GetCallerIdentity` answer in the role's account);
 * - the principals the local Lambda runtime registers with the IAM enforcer (iam.ts), through a lookup.
 * Any other key (`testing`, the CLI's) is the sandbox's own account, as moto treats unknown keys.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EcrCaller } from '../contracts.ts';

/** A known key's account and the principal it stands for. */
export interface KeyOwner {
  accountId: string;
  principalArn: string;
}

const CREDENTIAL = /Credential=([A-Za-z0-9]+)\/\d{8}\/([a-z0-9-]+)\//;

/** The access key id and Region of a SigV4 `Authorization` header, if it has a credential scope. */
export function credentialScope(
  headers: IncomingHttpHeaders,
): { accessKeyId: string; region: string } | undefined {
  const authorization = headers.authorization;
  const text = Array.isArray(authorization) ? authorization[0] : authorization;
  if (!text) return undefined;
  const match = CREDENTIAL.exec(text);
  return match ? { accessKeyId: match[1] as string, region: match[2] as string } : undefined;
}

/** STS actions whose answer carries new credentials of an assumed role. */
const ASSUME_ACTIONS = new Set(['AssumeRole', 'AssumeRoleWithWebIdentity', 'AssumeRoleWithSAML']);

export function isAssumeRole(action: string): boolean {
  return ASSUME_ACTIONS.has(action);
}

/**
 * The key and owner an STS AssumeRole* answer (query protocol XML) hands out, or undefined when the answer is
 * not one (an error, another shape).
 */
export function assumedRoleOf(xml: string): { accessKeyId: string; owner: KeyOwner } | undefined {
  const accessKeyId = /<AccessKeyId>\s*([A-Za-z0-9]+)\s*<\/AccessKeyId>/.exec(xml)?.[1];
  const arn = /<AssumedRoleUser>[\s\S]*?<Arn>\s*([^<\s]+)\s*<\/Arn>/.exec(xml)?.[1];
  const accountId = arn ? /^arn:[^:]+:sts::(\d{12}):/.exec(arn)?.[1] : undefined;
  if (!accessKeyId || !arn || !accountId) return undefined;
  return { accessKeyId, owner: { accountId, principalArn: arn } };
}

/** Access key id → account, for the callers of the ECR emulator. */
export class AccountDirectory {
  private readonly assumed = new Map<string, KeyOwner>();
  private readonly home: EcrCaller;

  constructor(
    private readonly options: {
      /** The sandbox's account and Region: unknown keys and unsigned requests. */
      accountId: string;
      region: string;
      /** Keys registered elsewhere (the IAM enforcer's function principals). */
      registered?: (accessKeyId: string) => KeyOwner | undefined;
    },
  ) {
    this.home = { accountId: options.accountId, region: options.region };
  }

  /** Remember a key STS handed out. */
  record(accessKeyId: string, owner: KeyOwner): void {
    this.assumed.set(accessKeyId, owner);
  }

  /** The owner of a key the directory knows (assumed or registered). */
  ownerOf(accessKeyId: string): KeyOwner | undefined {
    return this.assumed.get(accessKeyId) ?? this.options.registered?.(accessKeyId);
  }

  /** The account of a key: its owner's, else the sandbox's. */
  accountOf(accessKeyId: string): string {
    return this.ownerOf(accessKeyId)?.accountId ?? this.options.accountId;
  }

  /** Who sends a request: its key's account and the Region of its credential scope (unsigned: the sandbox's). */
  callerOf(headers: IncomingHttpHeaders): EcrCaller {
    const scope = credentialScope(headers);
    if (!scope) return this.home;
    const owner = this.ownerOf(scope.accessKeyId);
    if (!owner) {
      return scope.region === this.home.region
        ? this.home
        : { accountId: this.home.accountId, region: scope.region };
    }
    return { accountId: owner.accountId, region: scope.region, principalArn: owner.principalArn };
  }

  /** Forget the keys STS handed out (moto's reset forgets them too). */
  clear(): void {
    this.assumed.clear();
  }

  /** `{"<key>": {"accountId", "principalArn"}}` of the keys learnt from STS. */
  list(): Record<string, KeyOwner> {
    return Object.fromEntries(this.assumed);
  }
}
