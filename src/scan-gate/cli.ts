/**
 * `ecr-sentinel scan-gate`: the command as `--help` shows it. What it does is in cli-actions.ts, loaded when it
 * runs, so `--help` and every other command load none of it (no SDK client, no configuration schema).
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import { AWS_ACCESS_HELP, awsOption, helpAfter, tableOption } from '../shared/cli-options.ts';
import { GATE_FORMATS, THRESHOLD_SEVERITIES } from './domain/ci-gate.ts';

/** The options of `scan-gate`, as commander parses them. */
export interface ScanGateOptions {
  repository: string;
  tag?: string;
  digest?: string;
  threshold?: string;
  wait: string;
  json?: boolean;
  format?: string;
  /** Undefined when not given: sentinel.config.yml when it exists, else --threshold alone. */
  config?: string;
  stage: string;
  table?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

const HELP = `
Exit codes: 0 PASS, 1 FAIL, 2 ERROR (failed or unsupported scan, no scan coming, image not found, bad arguments)
or timeout.

The verdict stored by the deployed pipeline (on-scan-completed) for the image's digest is used when there is
one; otherwise the gate waits for the scan (polling with backoff up to --wait seconds, one line on stderr per
change of the scan's status) and judges it itself with the same policy: thresholds, CVE exceptions and
fixableOnly from the configuration. --threshold replaces the configured thresholds: no finding of that severity
or worse is allowed (and always re-evaluates). An image nothing will scan (no scan on push, no registry rule
covering it, no deployed pipeline to start one) is an ERROR at once, saying what to run.

Without --config and without ${DEFAULT_CONFIG_PATH} here, the gate needs --threshold and applies no exceptions.

--format json (or --json) prints the result as JSON; --format sarif as a SARIF 2.1.0 log for code scanning.
Under GitHub Actions (GITHUB_ACTIONS=true) it also writes ::error annotations and a Markdown step summary
(GITHUB_STEP_SUMMARY).

${AWS_ACCESS_HELP}

Examples:
  ecr-sentinel scan-gate --repository orders-api-dev --tag 1.4.2 --wait 300
  ecr-sentinel scan-gate --repository orders-api-dev --digest sha256:… --threshold HIGH --json
  ecr-sentinel scan-gate --repository orders-api-dev --tag 1.4.2 --format sarif > scan-gate.sarif`;

/** `ecr-sentinel scan-gate`: the CI gate on an image's scan. */
export function registerScanGateCommand(program: Command): void {
  program
    .command('scan-gate')
    .description("Pass or fail a CI pipeline on an image's vulnerability scan")
    .requiredOption('-r, --repository <name>', 'ECR repository name')
    .option('-t, --tag <tag>', 'image tag (or --digest)')
    .option('-d, --digest <digest>', 'image digest sha256:… (or --tag)')
    .option(
      '--threshold <severity>',
      `fail on any finding this severe or worse: ${THRESHOLD_SEVERITIES.join('|')} (any case)`,
      // ECR reports severities in upper case; people type `high`.
      (value: string) => value.toUpperCase(),
    )
    .option('--wait <seconds>', 'how long to wait for the scan to finish', '0')
    .option(
      '-c, --config <file>',
      `configuration file (policy and exceptions; default ${DEFAULT_CONFIG_PATH} if present)`,
    )
    .addOption(tableOption('stage'))
    .addOption(tableOption('table'))
    // --region, --profile, --endpoint-url: declared once for every AWS-facing command (src/shared/cli-options.ts).
    .addOption(awsOption('region'))
    .addOption(awsOption('profile'))
    .addOption(awsOption('endpointUrl'))
    .option('--format <format>', `output: ${GATE_FORMATS.join('|')} (default text)`)
    .option('--json', 'print the result as JSON (same as --format json)')
    .addHelpText('after', helpAfter(HELP))
    .action(async (options: ScanGateOptions) => (await import('./cli-actions.ts')).scanGateCommand(options));
}
