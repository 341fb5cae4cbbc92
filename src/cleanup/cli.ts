/**
 * `ecr-sentinel cleanup plan | apply`: the commands as `--help` shows them (names, options, help texts). What
 * they do is in cli-actions.ts, loaded when one runs, so `--help` and every other command load none of it.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import type { AwsCommandOptions, TableCommandOptions } from '../shared/cli.ts';
import { helpAfter, withAwsOptions, withConfigOption, withTableOptions } from '../shared/cli-options.ts';
import { APPLY_HELP, PLAN_HELP } from './cli-help.ts';

/** The options of `cleanup plan`, as commander parses them. */
export interface PlanOptions extends AwsCommandOptions, TableCommandOptions {
  config: string;
  repository: string[];
  policy?: string;
  snapshot: string[];
  now?: string;
  limit: string;
  json?: boolean;
}

/** The options of `cleanup apply`: plan's and the answer to its question. */
export interface ApplyOptions extends PlanOptions {
  yes?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Register `cleanup plan` and `cleanup apply`. */
export function registerCleanupCommands(program: Command): void {
  const cleanup = program
    .command('cleanup')
    .description(
      'Plan and apply image cleanup: ECR lifecycle rules plus what runs, what is promoted, what indexes need',
    );

  withCommon(
    cleanup
      .command('plan')
      .description(
        'Show what a cleanup would delete and keep (and why), with bytes and dollars; changes nothing',
      ),
  )
    .addHelpText('after', helpAfter(PLAN_HELP))
    .action(async (options: PlanOptions) => (await import('./cli-actions.ts')).planCommand(options));

  withCommon(
    cleanup
      .command('apply')
      .description(
        'Delete what the plan expires (asks first on a terminal); records the run when the table exists',
      )
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', helpAfter(APPLY_HELP))
    .action(async (options: ApplyOptions) => (await import('./cli-actions.ts')).applyCommand(options));
}

function withCommon(command: Command): Command {
  withConfigOption(command, 'cleanup policies and protections', DEFAULT_CONFIG_PATH)
    .option(
      '--repository <name>',
      'only this repository (repeat for more; default: every repository)',
      collect,
      [],
    )
    .option(
      '--policy <file>',
      'lifecycle policy JSON (as put-lifecycle-policy takes it); overrides config and repository',
    )
    .option(
      '--snapshot <file>',
      '`aws ecr describe-images` output of one repository (repeat); plan runs offline',
      collect,
      [],
    )
    .option('--now <iso>', 'evaluate as of this time (ISO 8601), e.g. to see next week’s cleanup')
    .option('--limit <n>', 'images listed per repository in the text output', '50');
  // Promotion records (what is promoted is kept) and, for apply, the run's record.
  return withAwsOptions(withTableOptions(command)).option(
    '--json',
    'print the plan as JSON (GetLifecyclePolicyPreview field names plus bytes and dollars)',
  );
}
