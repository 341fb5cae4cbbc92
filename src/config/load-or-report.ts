import { ConfigError, formatProblems, loadConfig } from './load.ts';
import type { SentinelConfig } from './schema.ts';

/**
 * Load the configuration a command runs with. An invalid or missing file is reported on stderr with every
 * problem and sets `exitCode`; the command then gets undefined and stops.
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
    process.exitCode = exitCode;
    return undefined;
  }
}
