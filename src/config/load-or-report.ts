import { ConfigReported, EXIT } from '../shared/cli.ts';
import { ConfigError, formatProblems, loadConfig } from './load.ts';
import type { SentinelConfig } from './schema.ts';

/**
 * Load the configuration a command runs with. An invalid or missing file is reported on stderr with its problems
 * and sets `exitCode` (a file that cannot be read always sets {@link EXIT.usage}: a missing prerequisite); the
 * command then gets undefined and stops.
 */
export async function loadConfigOrReport(
  file: string,
  exitCode: number,
): Promise<SentinelConfig | undefined> {
  try {
    return await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${file} is not valid:\n${formatProblems(error.problems)}\n`);
    process.exitCode = error.unreadable ? EXIT.usage : exitCode;
    return undefined;
  }
}

/**
 * {@link loadConfigOrReport} for commands run through `runCommand`: an invalid file, already reported on stderr,
 * ends the command with {@link ConfigReported} (exit code as set).
 */
export async function loadConfigOrThrow(file: string): Promise<SentinelConfig> {
  const config = await loadConfigOrReport(file, EXIT.usage);
  if (!config) throw new ConfigReported(`${file} is not valid (see stderr)`);
  return config;
}
