/** What `ecr-sentinel sandbox` does (declared in sandbox.ts): the sandbox in the foreground until a signal. */
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../../config/load.ts';
import { MotoUnavailableError } from '../../sandbox/moto/launcher.ts';
import { ServerlessConfigError } from '../../sandbox/runtime/index.ts';
import { type Sandbox, SandboxListenError, startSandbox } from '../../sandbox/server.ts';
import { EXIT, usageError } from '../../shared/cli.ts';
import { loadTypeScript } from '../typescript.ts';
import { exposureWarning, parseHost, parsePort, type SandboxCommandOptions } from './sandbox.ts';

/** `sandbox`: runs until SIGINT or SIGTERM, then stops moto and exits 0. */
export async function sandboxCommand(options: SandboxCommandOptions): Promise<void> {
  const port = parsePort(options.port);
  if (typeof port === 'string') return usageError(port);
  const host = parseHost(options.host);
  if (typeof host !== 'string') return usageError(host.error);
  if (!/^\d+$/.test(options.scanDelayMs)) {
    return usageError(`--scan-delay-ms must be a whole number of milliseconds, got "${options.scanDelayMs}"`);
  }

  // The local Lambda runtime imports handlers/*.ts.
  if (options.runtime) await loadTypeScript();
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      host,
      port,
      scanDelayMs: Number(options.scanDelayMs),
      verbose: options.verbose === true,
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      ...(options.runtime
        ? {
            runtime: {
              serverlessFile: resolve(options.serverlessFile),
              projectRoot: dirname(resolve(options.serverlessFile)),
              stage: options.stage,
              iam: options.iam,
              configFile: resolve(options.config),
            },
          }
        : {}),
    });
  } catch (error) {
    if (
      error instanceof MotoUnavailableError ||
      error instanceof SandboxListenError ||
      error instanceof ServerlessConfigError ||
      error instanceof ConfigError
    ) {
      return usageError(error.message);
    }
    throw error;
  }

  const warning = exposureWarning(host, sandbox.port);
  if (warning) process.stderr.write(`${warning}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (received: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(received);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const functions = sandbox.runtime()?.functions ?? [];
    for (const fn of functions)
      process.stderr.write(`sandbox: function ${fn.name} <- ${fn.events.join('; ')}\n`);
    process.stdout.write(`sandbox ready on ${sandbox.url}\n`);
  });
  // A second signal while stopping ends at once (moto is killed by the exit handler).
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  process.stderr.write(`sandbox: ${signal} received, stopping\n`);
  await sandbox.stop();
  process.off('SIGINT', force);
  process.off('SIGTERM', force);
  process.exitCode = EXIT.ok;
}
