import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as ecrModule from '@aws-sdk/client-ecr';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AccountClientConfig, accountCredentials } from '../../support/accounts.ts';
import { sandboxUrl } from '../../support/sandbox.ts';

const run = promisify(execFile);

// Calls with an empty body delete and reset registry settings: this file works in an account of its own.
const ACCOUNT = '777788889999';
/** What a service answers for an action it doesn't have, or a crash while serving one. */
const NOT_ANSWERED = new Set([
  'UnknownOperationException',
  'NotImplemented',
  'ServerException',
  'InternalFailure',
]);

/** Every operation of ECR's API model, as botocore (the AWS CLI's model) lists it. */
async function botocoreOperations(): Promise<string[]> {
  const { stdout } = await run('python3', [
    '-c',
    "import botocore.session as s; print('\\n'.join(s.get_session().get_service_model('ecr').operation_names))",
  ]);
  return stdout.split('\n').filter((name) => name !== '');
}

let config: AccountClientConfig;
beforeAll(async () => {
  config = await accountCredentials(sandboxUrl(), ACCOUNT);
});

describe("every operation of ECR's API model", { timeout: 120_000 }, () => {
  it('is answered by the emulator (a result or a validation error, never an unknown operation)', async () => {
    // Prepare
    const operations = await botocoreOperations();
    const client = new ecrModule.ECRClient(config);
    type AnyCommand = Parameters<ecrModule.ECRClient['send']>[0];
    const commands = ecrModule as unknown as Record<string, (new (input: object) => AnyCommand) | undefined>;
    // Act
    const unanswered: string[] = [];
    for (const operation of operations) {
      const Command = commands[`${operation}Command`];
      if (Command === undefined) {
        unanswered.push(`${operation} (no command in @aws-sdk/client-ecr)`);
        continue;
      }
      try {
        await client.send(new Command({}));
      } catch (error) {
        const name = (error as { name?: string }).name ?? String(error);
        if (NOT_ANSWERED.has(name)) unanswered.push(`${operation} (${name}: ${(error as Error).message})`);
      }
    }
    client.destroy();
    // Assess
    expect(operations.length).toBeGreaterThanOrEqual(58);
    expect(unanswered, `operations the emulator does not answer:\n${unanswered.join('\n')}`).toEqual([]);
  });
});
