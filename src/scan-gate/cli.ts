/**
 * `ecr-sentinel scan-gate`: the command as `--help` shows it. What it does is in cli-actions.ts, loaded when it
 * runs, so `--help` and every other command load none of it (no SDK client, no configuration schema).
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/default-path.ts';
import { THRESHOLD_SEVERITIES } from './domain/ci-gate.ts';

/** The options of `scan-gate`, as commander parses them. */
export interface ScanGateOptions {
  repository: string;
  tag?: string;
  digest?: string;
  threshold?: string;
  wait: string;
  json?: boolean;
  config: string;
  stage: string;
  table?: string;
  region?: string;
  endpointUrl?: string;
}

const HELP = `
Exit codes: 0 PASS, 1 FAIL, 2 ERROR (failed or unsupported scan, image not found, bad arguments) or timeout.

The verdict stored by the deployed pipeline (on-scan-completed) for the image's digest is used when there is
one; otherwise the gate waits for the scan (polling with backoff up to --wait seconds) and judges it itself
with the same policy: thresholds, CVE exceptions and fixableOnly from the configuration. --threshold replaces
the configured thresholds: no finding of that severity or worse is allowed (and always re-evaluates).

AWS access as usual (credentials, AWS_REGION); AWS_ENDPOINT_URL or --endpoint-url for the local sandbox.

Examples:
  ecr-sentinel scan-gate --repository orders-api-dev --tag 1.4.2 --wait 300
  ecr-sentinel scan-gate --repository orders-api-dev --digest sha256:… --threshold HIGH --json`;

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
    .option('-c, --config <file>', 'configuration file (policy and exceptions)', DEFAULT_CONFIG_PATH)
    .option('--stage <stage>', 'deployed stage whose verdicts to read (table ecr-sentinel-STAGE)', 'dev')
    .option('--table <name>', 'verdict table name (default: ecr-sentinel-STAGE)')
    .option('--region <region>', 'AWS region (default: AWS_REGION or us-east-1)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. the sandbox http://127.0.0.1:4566')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', HELP)
    .action(async (options: ScanGateOptions) => (await import('./cli-actions.ts')).scanGateCommand(options));
}
