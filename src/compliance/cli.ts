/**
 * `ecr-sentinel audit` and `ecr-sentinel repo ensure`: the commands as `--help` shows them (names, options, help
 * text). What they do is in cli-actions.ts, loaded when one runs, so `--help` and every other command load none
 * of it.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import type { AwsCommandOptions } from '../shared/cli.ts';
import { helpAfter, withAwsOptions, withConfigOption } from '../shared/cli-options.ts';
import { AUDIT_HELP, REPO_ENSURE_HELP } from './cli-help.ts';

/** The options of `audit`, as commander parses them. */
export interface AuditOptions extends AwsCommandOptions {
  config: string;
  repository: string[];
  json?: boolean;
  enforce?: boolean;
  /** Audit ecr-sentinel's own stack of this stage instead (own-stack/). */
  stack?: string;
}

/** The options of `repo ensure`, as commander parses them. */
export interface RepoEnsureOptions extends AwsCommandOptions {
  config: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Register `audit` and `repo ensure`. */
export function registerComplianceCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description(
      'Check repositories and the registry against the compliance section of the config; with --enforce, fix ' +
        'the drift of checks in enforce mode',
    );
  withConfigOption(audit, 'the desired state: compliance', DEFAULT_CONFIG_PATH)
    .option(
      '--repository <name>',
      'only this repository (repeat for more; default: every repository)',
      collect,
      [],
    )
    .option('--enforce', 'apply the fixes of checks whose mode is enforce, then audit again')
    .option(
      '--stack <stage>',
      "audit ecr-sentinel's own deployed stack of this stage instead (alarms, roles)",
    );
  withAwsOptions(audit)
    .option('--json', 'print the audit report (and with --enforce the actions and their outcome) as JSON')
    .addHelpText('after', helpAfter(AUDIT_HELP))
    .action(async (options: AuditOptions) => (await import('./cli-actions.ts')).auditCommand(options));

  const repo = program.command('repo').description('Repositories held at their desired state');
  const ensure = repo
    .command('ensure')
    .argument('<name>', 'the repository')
    .description(
      "Create the repository compliant with its group's desired state, or bring an existing one to it; " +
        'a no-op when it already is',
    );
  withAwsOptions(withConfigOption(ensure, 'the desired state: compliance', DEFAULT_CONFIG_PATH))
    .option('--json', 'print what was done and the resulting checks as JSON')
    .addHelpText('after', helpAfter(REPO_ENSURE_HELP))
    .action(async (name: string, options: RepoEnsureOptions) =>
      (await import('./cli-actions.ts')).repoEnsureCommand(name, options),
    );
}
