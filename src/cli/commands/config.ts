/**
 * `ecr-sentinel config validate`: the command as `--help` shows it. What it does is in config-actions.ts, loaded
 * when it runs (the configuration schema: every capability's fragment).
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/default-path.ts';

/** `ecr-sentinel config validate [FILE] [--json]`. */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('Work with sentinel.config.yml');
  config
    .command('validate')
    .description(
      'Check a configuration file. Prints every problem with its line and key path and exits 1 when\n' +
        'there is any (2 when the file cannot be read); exits 0 and prints a summary (environments,\n' +
        'repositories) when the file is valid. Files over 1 MB are refused.',
    )
    .argument('[file]', 'configuration file', DEFAULT_CONFIG_PATH)
    .option(
      '--json',
      'print the result as JSON: {valid, file, problems, omittedProblems} or {valid, file, config, repositories}',
    )
    .action(async (file: string, options: { json?: boolean }) =>
      (await import('./config-actions.ts')).validateCommand(file, options),
    );
}
