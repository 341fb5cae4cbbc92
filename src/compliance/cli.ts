/**
 * `ecr-sentinel audit`: the command as `--help` shows it (name, options, help text). What it does is in
 * cli-actions.ts, loaded when it runs, so `--help` and every other command load none of it.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import { AUDIT_HELP } from './cli-help.ts';

/** The options of `audit`, as commander parses them. */
export interface AuditOptions {
  config: string;
  repository: string[];
  region?: string;
  endpointUrl?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Register `audit`. */
export function registerComplianceCommands(program: Command): void {
  program
    .command('audit')
    .description(
      'Check repositories and the registry against the compliance section of the config; read-only',
    )
    .option('-c, --config <file>', 'configuration file (the desired state: compliance)', DEFAULT_CONFIG_PATH)
    .option(
      '--repository <name>',
      'only this repository (repeat for more; default: every repository)',
      collect,
      [],
    )
    .option('--region <region>', 'AWS region (default: AWS_REGION or us-east-1)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. the sandbox http://127.0.0.1:4566')
    .option('--json', 'print the audit report as JSON')
    .addHelpText('after', AUDIT_HELP)
    .action(async (options: AuditOptions) => (await import('./cli-actions.ts')).auditCommand(options));
}
