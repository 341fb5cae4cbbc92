/**
 * Credentials of another AWS account on the sandbox, for tests and benches (no vitest import): moto's STS
 * hands out keys of an assumed role, moto then acts in the role's account, and the sandbox edge remembers the
 * key's account for the ECR emulator. A sandbox reset forgets them: ask again after one.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/** Client settings for any AWS SDK v3 client acting as `accountId` in `region` on the sandbox at `endpoint`. */
export interface AccountClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  maxAttempts: number;
}

/**
 * Assume `arn:aws:iam::<accountId>:role/<roleName>` through the sandbox and return SDK client settings that act
 * in that account (the caller's Region is the one the clients sign for).
 * @throws Error when STS answers without credentials
 */
export async function accountCredentials(
  endpoint: string,
  accountId: string,
  options: { region?: string; roleName?: string } = {},
): Promise<AccountClientConfig> {
  const region = options.region ?? 'us-east-1';
  const sts = new STSClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  try {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${options.roleName ?? 'sandbox-test'}`,
        RoleSessionName: 'sandbox-test',
      }),
    );
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) {
      throw new Error(`STS AssumeRole into ${accountId} answered without credentials`);
    }
    return {
      endpoint,
      region,
      credentials: {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        sessionToken: Credentials.SessionToken,
      },
      maxAttempts: 1,
    };
  } finally {
    sts.destroy();
  }
}
