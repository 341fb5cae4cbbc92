import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';

/** Where AWS is and who calls: what every client of a command is built with. */
export interface ClientBase {
  region: string;
  endpoint?: string | undefined;
  credentials?: STSClientConfig['credentials'];
  maxAttempts?: number | undefined;
}

/**
 * Who is calling: their account (the registry a command acts on when none is named) and ARN (recorded as who
 * did it). GetCallerIdentity needs no permission.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
export async function callerIdentity(base: ClientBase): Promise<{ accountId: string; arn: string }> {
  const sts = new STSClient({
    region: base.region,
    ...(base.endpoint ? { endpoint: base.endpoint } : {}),
    ...(base.credentials ? { credentials: base.credentials } : {}),
  });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Account || !out.Arn) throw new Error('STS GetCallerIdentity answered without an account');
    return { accountId: out.Account, arn: out.Arn };
  } finally {
    sts.destroy();
  }
}
