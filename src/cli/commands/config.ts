/**
 * `ecr-sentinel config validate|schema`: the commands as `--help` shows them. What they do is in
 * config-actions.ts, loaded when one runs (the configuration schema: every capability's fragment).
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/default-path.ts';
import { usageError } from '../../shared/cli.ts';

/** `ecr-sentinel config validate [FILE | --config FILE] [--json] [--strict] [--now ISO]` and `config schema [--out FILE]`. */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('Work with sentinel.config.yml');
  config
    .command('validate')
    .description(
      // One paragraph: commander wraps it to the terminal's width.
      'Check a configuration file. Prints every problem, sorted by line, with its line and key path ' +
        '(a misspelt key with the key it probably meant) and exits 1 when there is any (2 when the file ' +
        'cannot be read). Warns about what is legal but surely wrong: a repository pattern that can never ' +
        'match an ECR name, a group or CVE exception matching no managed repository, an exception expired ' +
        'or expiring within 14 days; warnings exit 0 unless --strict. Files over 1 MB are refused.',
    )
    .argument('[file]', `configuration file (default: ${DEFAULT_CONFIG_PATH})`)
    // The option every other command names its configuration with; FILE stays the short form.
    .option('-c, --config <file>', 'configuration file (the same as FILE)')
    .option(
      '--json',
      'print {valid, file, errors: [{line, column, path, message}], warnings: [...]} (and the config when valid)',
    )
    .option('--strict', 'exit 1 on warnings too')
    .option('--now <iso>', 'judge exception expiry as of this time (ISO 8601; default: now)')
    .action(
      async (
        file: string | undefined,
        options: { config?: string; json?: boolean; strict?: boolean; now?: string },
      ) => {
        if (file !== undefined && options.config !== undefined && file !== options.config)
          return usageError(`give the file once: FILE "${file}" or --config "${options.config}"`, options);
        return (await import('./config-actions.ts')).validateCommand(
          file ?? options.config ?? DEFAULT_CONFIG_PATH,
          options,
        );
      },
    );
  config
    .command('schema')
    .description(
      'Print the JSON Schema (draft 2020-12) of sentinel.config.yml, generated from the schema\n' +
        '`config validate` uses, for editors: with the YAML language server, start the file with\n' +
        '# yaml-language-server: $schema=./sentinel.config.schema.json',
    )
    .option('--out <file>', 'write it to this file instead of stdout')
    .action(async (options: { out?: string }) =>
      (await import('./config-actions.ts')).schemaCommand(options),
    );
}
