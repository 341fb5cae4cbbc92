import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { EXIT, usageError } from '../../shared/cli.ts';
import { SANDBOX_ENDPOINT_EXAMPLE } from '../../shared/cli-options.ts';

interface InvokeOptions {
  event?: string;
  endpointUrl?: string;
  /** The old name of --endpoint-url, still taken (hidden from --help). */
  endpoint?: string;
  async?: boolean;
  json?: boolean;
}

/** `ecr-sentinel invoke FUNCTION [--event FILE] [--endpoint-url URL] [--async] [--json]`. */
export function registerInvokeCommand(program: Command): void {
  program
    .command('invoke')
    .description(
      'Invoke a function of serverless.yml on a running sandbox (`ecr-sentinel sandbox`), the way Lambda\n' +
        'would: with the event in FILE (`-` for standard input), or for a scheduled function with no event,\n' +
        'its scheduled event. Prints the result; exits 1 when the function fails.',
    )
    .argument('<function>', 'function name as in serverless.yml, e.g. onImagePushed')
    .option('-e, --event <file>', 'JSON event to invoke with (`-` reads standard input)')
    .option(
      '--endpoint-url <url>',
      `the sandbox's endpoint (default: AWS_ENDPOINT_URL, else ${SANDBOX_ENDPOINT_EXAMPLE})`,
    )
    .addOption(new Option('--endpoint <url>', 'the old name of --endpoint-url').hideHelp())
    .option('--async', 'invoke asynchronously (retries, then the onFailure destination) and return at once')
    .option('--json', 'print the whole outcome as JSON')
    .action(async (name: string, options: InvokeOptions) => {
      const endpoint =
        options.endpointUrl ?? options.endpoint ?? process.env.AWS_ENDPOINT_URL ?? SANDBOX_ENDPOINT_EXAMPLE;
      let event: unknown;
      if (options.event !== undefined) {
        const source = options.event === '-' ? 'standard input' : options.event;
        let text: string;
        try {
          text = options.event === '-' ? await readStdin() : await readFile(options.event, 'utf8');
        } catch (error) {
          return usageError(`--event: cannot read ${source}: ${(error as Error).message}`, options);
        }
        try {
          event = JSON.parse(text);
        } catch (error) {
          return usageError(`--event: ${source} is not JSON: ${(error as Error).message}`, options);
        }
      }
      let response: Response;
      try {
        response = await fetch(`${endpoint.replace(/\/$/, '')}/_sandbox/invoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ function: name, event, async: options.async === true }),
        });
      } catch (error) {
        return usageError(
          `no sandbox answers on ${endpoint} (${(error as Error).message}); start one with: npx ecr-sentinel sandbox`,
          options,
        );
      }
      const body = (await response.json()) as {
        ok?: boolean;
        result?: unknown;
        error?: unknown;
        message?: string;
      };
      if (!response.ok)
        return usageError(body.message ?? `sandbox answered HTTP ${response.status}`, options);
      if (options.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      else if (body.ok) process.stdout.write(`${JSON.stringify(body.result ?? null, null, 2)}\n`);
      else process.stderr.write(`${name} failed: ${JSON.stringify(body.error)}\n`);
      process.exitCode = body.ok ? EXIT.ok : EXIT.failed;
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
