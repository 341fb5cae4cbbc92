import { ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import {
  SecretNotFoundError,
  SecretReadError,
  ssmSecrets,
} from '../../src/notifications/adapters/ssm-secrets.ts';

const SECRET = 'https://hooks.slack.com/services/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';

/** A stand-in for the client (not an SDK mock): it fails every GetParameter with `error`. */
function failingSsm(error: Error): SSMClient {
  return {
    send: async () => {
      throw error;
    },
  } as unknown as SSMClient;
}

function everythingShown(error: Error): string {
  return JSON.stringify({
    own: { ...error },
    message: error.message,
    stack: error.stack,
    cause: String(error.cause),
  });
}

describe('SSM secrets keep the webhook URL out of their errors', () => {
  it('reports a failed read by parameter name and error name only, even when the SDK error quotes the value', async () => {
    // E.g. a response the SDK could not deserialise, whose message and $response quote the body with the value.
    const sdkError = Object.assign(
      new SyntaxError(`Unexpected token in JSON: {"Parameter":{"Value":"${SECRET}"}}`),
      {
        $response: { body: `{"Parameter":{"Value":"${SECRET}"}}` },
      },
    );
    const error = (await ssmSecrets(failingSsm(sdkError))
      .get('/ecr-sentinel/slack-webhook')
      .catch((e: unknown) => e)) as Error;

    expect(error).toBeInstanceOf(SecretReadError);
    expect(error.message).toBe('could not read SSM parameter /ecr-sentinel/slack-webhook: SyntaxError');
    expect(everythingShown(error)).not.toContain('SECRET');
  });

  it('still says a missing parameter is missing', async () => {
    const missing = new ParameterNotFound({ message: 'not found', $metadata: {} });
    const error = await ssmSecrets(failingSsm(missing))
      .get('/p')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretNotFoundError);
  });
});
