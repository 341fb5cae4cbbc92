import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { SentinelError } from '../../shared/errors.ts';
import type { IamPermissions } from '../../shared/iam.ts';
import type { SecretReader } from '../ports.ts';

/** How long a secret is reused before it is read again (a rotated webhook URL is picked up within this). */
export const SECRET_TTL_MS = 5 * 60_000;

/** The parameter does not exist (or was deleted): a configuration problem, named in the message. */
export class SecretNotFoundError extends SentinelError {
  override readonly name = 'SecretNotFoundError';
  constructor(
    readonly parameterName: string,
    options?: { cause?: unknown },
  ) {
    super(`SSM parameter ${parameterName} not found: create it as a SecureString`, {
      retryable: false,
      cause: options?.cause,
    });
  }
}

/**
 * Reading the parameter failed (access denied, throttling, KMS, a response that could not be read…). Named by
 * the parameter and the error's name only, without the SDK error as its cause: an error about a response may
 * quote the response, and that holds the secret value.
 */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
  constructor(
    readonly parameterName: string,
    /** The SDK error's name, e.g. `AccessDeniedException`, `ThrottlingException`. */
    readonly errorName: string,
    /** HTTP status of SSM's answer, when there was one. */
    readonly httpStatus: number | undefined,
  ) {
    super(`could not read SSM parameter ${parameterName}: ${errorName}`);
  }
}

function secretReadError(name: string, error: unknown): SecretReadError {
  const raw = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | undefined;
  const errorName = typeof raw?.name === 'string' && /^\w{1,100}$/.test(raw.name) ? raw.name : 'Error';
  const status = raw?.$metadata?.httpStatusCode;
  return new SecretReadError(name, errorName, typeof status === 'number' ? status : undefined);
}

/**
 * What {@link ssmSecrets} calls: GetParameter on the webhook's parameter, and the decryption SSM asks KMS for on
 * our behalf when it reads a SecureString WithDecryption — of that parameter only (its ARN is the encryption
 * context). With the AWS managed key aws/ssm the key policy already allows it to the account's principals through
 * SSM; a customer managed key needs the grant.
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html
 */
export const ssmSecretsPermissions: IamPermissions = [
  { actions: ['ssm:GetParameter'], resource: 'slack-webhook-parameter' },
  { actions: ['kms:Decrypt'], resource: 'secure-string-key' },
];

/**
 * {@link SecretReader} on SSM Parameter Store: GetParameter WithDecryption, cached per name for `ttlMs` (so a
 * warm container makes one call per TTL), concurrent reads of the same name share one call, failures are not
 * cached. The value is never logged and never part of an error message.
 */
export function ssmSecrets(
  ssm: SSMClient,
  options: { ttlMs?: number; now?: () => number } = {},
): SecretReader {
  const ttlMs = options.ttlMs ?? SECRET_TTL_MS;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; value: Promise<string> }>();

  async function read(name: string): Promise<string> {
    try {
      const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      const value = out.Parameter?.Value;
      if (value === undefined || value === '') throw new SecretNotFoundError(name);
      return value;
    } catch (error) {
      if (error instanceof ParameterNotFound) throw new SecretNotFoundError(name, { cause: error });
      if (error instanceof SecretNotFoundError) throw error;
      throw secretReadError(name, error);
    }
  }

  return {
    get(name) {
      const cached = cache.get(name);
      if (cached && now() - cached.at < ttlMs) return cached.value;
      const value = read(name);
      const entry = { at: now(), value };
      cache.set(name, entry);
      value.catch(() => {
        if (cache.get(name) === entry) cache.delete(name);
      });
      return value;
    },
    invalidate(name) {
      cache.delete(name);
    },
  };
}
