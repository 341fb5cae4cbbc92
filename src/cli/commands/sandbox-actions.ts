/** What `ecr-sentinel sandbox` does (declared in sandbox.ts): the sandbox in the foreground until a signal. */
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../../config/load.ts';
import { unreadableConfigMessage } from '../../config/load-or-report.ts';
import { ignoreBrokenPipes, watchParent } from '../../sandbox/lifeline.ts';
import { MotoUnavailableError } from '../../sandbox/moto/launcher.ts';
import { ServerlessConfigError } from '../../sandbox/runtime/index.ts';
import { type Sandbox, SandboxListenError, startSandbox } from '../../sandbox/server.ts';
import { EXIT, usageError } from '../../shared/cli.ts';
import { colourEnabled, isTerminal } from '../../shared/cli-terminal.ts';
import { loadTypeScript } from '../typescript.ts';
import {
  exposureWarning,
  parseHost,
  parseLogFormat,
  parsePort,
  type SandboxCommandOptions,
} from './sandbox.ts';

/** How long stopping may take once the parent is gone before the process exits anyway (moto follows it). */
const ORPHAN_STOP_MS = 10_000;

/**
 * `sandbox`: runs until SIGINT or SIGTERM (or, with --exit-with-parent, until the process that started it is
 * gone), then stops moto and exits 0.
 */
export async function sandboxCommand(options: SandboxCommandOptions): Promise<void> {
  const port = parsePort(options.port);
  if (typeof port === 'string') return usageError(port);
  const host = parseHost(options.host);
  if (typeof host !== 'string') return usageError(host.error);
  if (!/^\d+$/.test(options.scanDelayMs)) {
    return usageError(`--scan-delay-ms must be a whole number of milliseconds, got "${options.scanDelayMs}"`);
  }
  const logFormat = parseLogFormat(options.logFormat, isTerminal(process.stderr));
  if (typeof logFormat !== 'string') return usageError(logFormat.error);

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
              logFormat,
              logColor: logFormat === 'pretty' && colourEnabled(process.stderr),
            },
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError && error.unreadable) return usageError(unreadableConfigMessage(error));
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

  let stopWatching: (() => void) | undefined;
  let orphaned = false;
  const reason = await new Promise<string>((resolve) => {
    const onSignal = (received: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(`${received} received`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (options.exitWithParent) {
      // Nobody reads stdout/stderr once the parent is gone: a failed write must not end us before moto.
      ignoreBrokenPipes();
      stopWatching = watchParent({
        onParentGone: (why) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          orphaned = true;
          setTimeout(() => process.exit(EXIT.ok), ORPHAN_STOP_MS).unref();
          resolve(`${why} (--exit-with-parent)`);
        },
      });
    }
    const functions = sandbox.runtime()?.functions ?? [];
    for (const fn of functions)
      process.stderr.write(`sandbox: function ${fn.name} <- ${fn.events.join('; ')}\n`);
    process.stdout.write(`sandbox ready on ${sandbox.url}\n`);
  });
  // A second signal while stopping ends at once (moto is killed by the exit handler).
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  stopWatching?.();
  process.stderr.write(`sandbox: ${reason}, stopping\n`);
  await sandbox.stop();
  process.off('SIGINT', force);
  process.off('SIGTERM', force);
  process.exitCode = EXIT.ok;
  // Nobody waits for this process: exit now rather than on whatever handle the loop still holds.
  if (orphaned) process.exit(EXIT.ok);
}
