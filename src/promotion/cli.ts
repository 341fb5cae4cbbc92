/**
 * `ecr-sentinel promote | approve | reject | promotions | status`: the commands as `--help` shows them. What they
 * do is in cli-actions.ts, loaded when one runs, so `--help` and every other command load none of it.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import type { AwsCommandOptions, TableCommandOptions } from '../shared/cli.ts';
import { helpAfter, withAwsOptions, withConfigOption, withTableOptions } from '../shared/cli-options.ts';
import {
  APPROVE_HELP,
  LIMIT_DEFAULT,
  LIMIT_MAX,
  LIST_HELP,
  PROMOTE_HELP,
  REJECT_HELP,
  STATUS_HELP,
} from './cli-help.ts';

/** Options every promotion command takes: where the config, the table and AWS are, and the output format. */
export interface CommonOptions extends AwsCommandOptions, TableCommandOptions {
  config: string;
  json?: boolean;
}

/** Options of the commands that change a promotion (and so announce it). */
export interface ChangeOptions extends CommonOptions {
  alertsTopic?: string;
}

/** The options of `promote`. */
export interface PromoteOptions extends ChangeOptions {
  from?: string;
  by?: string;
  wait?: string;
}

/** The options of `approve` and `reject`. */
export interface DecisionOptions extends ChangeOptions {
  by: string;
  reason?: string;
}

/** The options of `promotions`. */
export interface ListOptions extends CommonOptions {
  app?: string;
  digest?: string;
  env?: string;
  limit: string;
}

/** Register `promote`, `approve`, `reject`, `promotions` and `status`. */
export function registerPromotionCommands(program: Command): void {
  withChange(
    program
      .command('promote')
      .description('Promote an image by digest to the next environment: gate, approval, layer-correct copy')
      .argument('<app>', 'application (repositories follow the environments’ templates, e.g. APP-dev)')
      .argument('<version>', 'the image tag in the source environment')
      .argument('<env>', 'target environment (configured in environments[])')
      .option('--from <env>', 'source environment (default: the one before ENV)')
      .option('--by <name>', 'who requests it (default: your AWS identity, STS GetCallerIdentity ARN)')
      .option(
        '--wait <seconds>',
        'when it waits for approval: keep waiting (up to SECONDS) until it is approved and copied, or ends',
      ),
  )
    .addHelpText('after', helpAfter(PROMOTE_HELP))
    .action(async (app: string, version: string, env: string, options: PromoteOptions) =>
      (await import('./cli-actions.ts')).promoteCommand(app, version, env, options),
    );

  withChange(
    program
      .command('approve')
      .description('Approve a promotion pending approval (not its requester) and copy the image')
      .argument('<id>', 'promotion id (26 characters, printed by promote and promotions)')
      .requiredOption('--by <name>', 'who approves (recorded; must differ from the requester)'),
  )
    .addHelpText('after', helpAfter(APPROVE_HELP))
    .action(async (id: string, options: DecisionOptions) =>
      (await import('./cli-actions.ts')).approveCommand(id, options),
    );

  withChange(
    program
      .command('reject')
      .description('Reject a promotion pending approval')
      .argument('<id>', 'promotion id (26 characters)')
      .requiredOption('--by <name>', 'who rejects (recorded)')
      .requiredOption('--reason <text>', 'why (recorded and announced)'),
  )
    .addHelpText('after', helpAfter(REJECT_HELP))
    .action(async (id: string, options: DecisionOptions) =>
      (await import('./cli-actions.ts')).rejectCommand(id, options),
    );

  withCommon(
    program
      .command('promotions')
      .description('List promotions, newest first')
      .option('--app <app>', 'only this application')
      .option('--digest <digest>', 'only this image digest (sha256:…)')
      .option('--env <env>', 'only promotions into this environment')
      .option('--limit <n>', `at most this many (1–${LIMIT_MAX})`, String(LIMIT_DEFAULT)),
  )
    .addHelpText('after', helpAfter(LIST_HELP))
    .action(async (options: ListOptions) => (await import('./cli-actions.ts')).promotionsCommand(options));

  withCommon(
    program
      .command('status')
      .description("What runs where: an application's version in each environment")
      .argument('<app>', 'application'),
  )
    .addHelpText('after', helpAfter(STATUS_HELP))
    .action(async (app: string, options: CommonOptions) =>
      (await import('./cli-actions.ts')).statusCommand(app, options),
    );
}

/** The options of promote, approve and reject: the common ones and where alerts go. */
function withChange(command: Command): Command {
  return withCommon(command).option(
    '--alerts-topic <arn>',
    'SNS topic for alerts to people (the deployed ecr-sentinel-STAGE-alerts); default: events on the default bus only',
  );
}

/** The options every promotion command shares. */
function withCommon(command: Command): Command {
  withConfigOption(command, 'environments, policy, promotion rules', DEFAULT_CONFIG_PATH);
  return withAwsOptions(withTableOptions(command)).option('--json', 'print the result as JSON');
}
