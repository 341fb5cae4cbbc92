/**
 * `ecr-sentinel report`: the command as `--help` shows it (name, options, help text). What it does is in
 * cli-actions.ts, loaded when it runs, so `--help` and every other command load none of it.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import type { AwsCommandOptions, TableCommandOptions } from '../shared/cli.ts';
import {
  AWS_ACCESS_HELP,
  helpAfter,
  withAwsOptions,
  withConfigOption,
  withTableOptions,
} from '../shared/cli-options.ts';

/** The report's formats: the page for people, the document for programs, tables for a wiki or a ticket. */
export const REPORT_FORMATS = ['html', 'json', 'md'] as const;

/** The options of `report`, as commander parses them. */
export interface ReportOptions extends AwsCommandOptions, TableCommandOptions {
  format: string;
  out: string;
  config: string;
  json?: boolean;
}

const HELP = `
Writes one report for auditors to --out: repositories × compliance checks (pass, drift with the fix, fixed,
unknown), the latest scan verdict per repository, open CVE exceptions (those expiring within 30 days
highlighted), promotions and cleanup savings of the last 30 days, and findings by severity per day.
It reads ECR (as audit does) and the deployed table (verdicts, promotions, cleanup runs); it changes nothing.

  html  one self-contained page: inline CSS and SVG, no script, nothing fetched (opens offline from file://)
  json  the same facts in a documented, versioned shape (src/report/domain/model.ts)
  md    the same facts as Markdown tables

Exit codes: 0 written, 2 bad usage (unknown --format, --out not writable), an invalid or missing config or
an AWS error.

${AWS_ACCESS_HELP}

Examples:
  ecr-sentinel report --out audit.html
  ecr-sentinel report --format md --out audit.md --stage prod
  ecr-sentinel report --format json --out audit.json --json     # prints where it wrote and the counts
`;

/** Register `report`. */
export function registerReportCommand(program: Command): void {
  const report = program
    .command('report')
    .description(
      'Write the audit report (compliance, verdicts, exceptions, promotions, cleanup savings, findings over time)',
    )
    .requiredOption('-o, --out <file>', 'where to write the report')
    .option('-f, --format <format>', `${REPORT_FORMATS.join(', ')}`, 'html');
  withConfigOption(report, 'compliance checks, CVE exceptions, groups', DEFAULT_CONFIG_PATH);
  withAwsOptions(withTableOptions(report))
    .option('--json', 'print where the report was written and its counts as JSON')
    .addHelpText('after', helpAfter(HELP))
    .action(async (options: ReportOptions) => (await import('./cli-actions.ts')).reportCommand(options));
}
