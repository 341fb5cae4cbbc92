import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Credentials the CLI signs with (the sandbox's own account when absent). */
export interface CliCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Run `aws ecr ARGS…` against `endpoint`; resolves the parsed JSON output, rejects with stderr on failure. */
export async function awsEcr(
  endpoint: string,
  args: string[],
  credentials: CliCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' },
): Promise<Record<string, unknown>> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
  if (credentials.sessionToken !== undefined) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  else delete env.AWS_SESSION_TOKEN;
  const { stdout } = await run('aws', ['ecr', ...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env,
  });
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
}

/** The error code and message the CLI printed for a call that must fail. */
export async function awsEcrError(
  endpoint: string,
  args: string[],
  credentials?: CliCredentials,
): Promise<{ code: string; message: string }> {
  try {
    await awsEcr(endpoint, args, credentials);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr);
    const match = /\((\w+)\)[^:]*:\s*([\s\S]*)$/.exec(stderr.trim());
    return { code: match?.[1] ?? stderr, message: match?.[2] ?? stderr };
  }
  throw new Error(`aws ecr ${args.join(' ')} unexpectedly succeeded`);
}
