/**
 * `ecr-sentinel demo` (what `npm start` runs): the command as `--help` shows it. What it does is in
 * demo-actions.ts, loaded when it runs: the sandbox, the scenario and its report.
 */
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/default-path.ts';

/** The options of `demo`, as commander parses them. */
export interface DemoOptions {
  config: string;
  port: string;
  json?: boolean;
}

/** `ecr-sentinel demo` (what `npm start` runs). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Boot the local sandbox, create the repositories of the configuration, push three small images\n' +
        'through the layer APIs, scan them, print what ECR holds and the ECR events that reached EventBridge,\n' +
        'promote one image dev → staging → prod (approved by a second person) and print what runs where,\n' +
        'then stop everything. Needs Python 3 with moto[server] (see README).',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .option('--port <port>', 'sandbox port (default: a free one, so a running sandbox is not disturbed)', '0')
    .option('--json', 'print the report as JSON')
    .action(async (options: DemoOptions) => (await import('./demo-actions.ts')).demoCommand(options));
}
