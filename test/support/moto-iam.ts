import { sandboxUrl } from './sandbox.ts';

/**
 * moto checks that a function's role exists in its IAM. The sandbox proxies IAM's query protocol to moto, which
 * does not verify signatures: a credential scope naming `iam` is enough to route the call.
 */
export async function createRole(arn: string): Promise<void> {
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  });
  const response = await fetch(sandboxUrl(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: name,
      AssumeRolePolicyDocument: trust,
    }).toString(),
  });
  if (!response.ok) throw new Error(`CreateRole: ${response.status} ${await response.text()}`);
}
