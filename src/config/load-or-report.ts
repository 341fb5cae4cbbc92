import { ConfigReported, EXIT, UsageError } from '../shared/cli.ts';
import { ConfigError, formatProblems, loadConfig } from './load.ts';
import type { SentinelConfig } from './schema.ts';

/**
 * The one line a command prints for a configuration file it cannot read: `--config FILE: not found` (or why it
 * cannot be read). A file that is not there was never checked, so it is not "not valid": a missing
 * prerequisite, exit {@link EXIT.usage}, as README's exit codes say.
 */
export function unreadableConfigMessage(error: ConfigError): string {
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  const why =
    cause?.code === 'ENOENT'
      ? 'not found'
      : `cannot be read (${cause instanceof Error ? cause.message : (error.problems[0]?.message ?? 'unknown error')})`;
  return `--config ${error.file}: ${why}`;
}

/**
 * Load the configuration a command runs with. A missing or unreadable file is one line on stderr
 * (`ecr-sentinel: --config FILE: not found`) and exit {@link EXIT.usage}; an invalid one is reported with its
 * located problems and sets `exitCode`. The command then gets undefined and stops.
 */
export async function loadConfigOrReport(
  file: string,
  exitCode: number,
): Promise<SentinelConfig | undefined> {
  try {
    return await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.unreadable) {
      process.stderr.write(`ecr-sentinel: ${unreadableConfigMessage(error)}\n`);
      process.exitCode = EXIT.usage;
    } else {
      process.stderr.write(`${file} is not valid:\n${formatProblems(error.problems)}\n`);
      process.exitCode = exitCode;
    }
    return undefined;
  }
}

/**
 * Load the configuration for commands run through `runCommand`: a missing or unreadable file is a
 * {@link UsageError} (`--config FILE: not found`, exit 2, also as the `--json` error); an invalid one, reported on
 * stderr with its located problems, ends the command with {@link ConfigReported} (exit 2).
 */
export async function loadConfigOrThrow(file: string): Promise<SentinelConfig> {
  try {
    return await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.unreadable) throw new UsageError(unreadableConfigMessage(error));
    process.stderr.write(`${file} is not valid:\n${formatProblems(error.problems)}\n`);
    process.exitCode = EXIT.usage;
    throw new ConfigReported(`${file} is not valid (see stderr)`);
  }
}
