import type { Command } from 'commander';
import { boundedProblems } from '../../config/limits.ts';
import { ConfigError, DEFAULT_CONFIG_PATH, formatProblems, loadConfig } from '../../config/load.ts';
import { EXIT } from '../../shared/cli.ts';
import { applicationRepositories } from '../../shared/environments.ts';

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
    .action(async (file: string, options: { json?: boolean }) => {
      try {
        const parsed = await loadConfig(file);
        const repositories = applicationRepositories(parsed.environments, parsed.applications);
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ valid: true, file, config: parsed, repositories }, null, 2)}\n`,
          );
        } else {
          const order = parsed.environments
            .map((e) => `${e.name}${e.requiresApproval ? ' (approval)' : ''}`)
            .join(' -> ');
          process.stdout.write(
            `${file} is valid.\n  environments: ${order}\n  repositories: ${repositories.length}` +
              `${repositories.length ? ` (${repositories.map((r) => r.repositoryName).join(', ')})` : ''}\n`,
          );
        }
        process.exitCode = EXIT.ok;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        if (options.json) {
          const { shown, omitted } = boundedProblems(error.problems);
          process.stdout.write(
            `${JSON.stringify({ valid: false, file, problems: shown, omittedProblems: omitted }, null, 2)}\n`,
          );
        } else {
          process.stderr.write(`${file} is not valid:\n${formatProblems(error.problems)}\n`);
        }
        // A file that is not there was never checked: a missing prerequisite, as README's exit codes say.
        process.exitCode = error.unreadable ? EXIT.usage : EXIT.failed;
      }
    });
}
