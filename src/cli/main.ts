import { Command, CommanderError } from 'commander';
import { registerCleanupCommands } from '../cleanup/cli.ts';
import { registerComplianceCommands } from '../compliance/cli.ts';
import { registerPromotionCommands } from '../promotion/cli.ts';
import { registerReportCommand } from '../report/cli.ts';
import { registerScanGateCommand } from '../scan-gate/cli.ts';
import { EXIT, writeJson } from '../shared/cli.ts';
import { ansiStyles, colourEnabled } from '../shared/cli-terminal.ts';
import { packageVersion } from '../shared/project-root.ts';
import { registerConfigCommand } from './commands/config.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerInvokeCommand } from './commands/invoke.ts';
import { registerSandboxCommand } from './commands/sandbox.ts';

/**
 * Build the `ecr-sentinel` program; commands set `process.exitCode` or return through {@link main}. Each command
 * is registered from its declaration (names, options, help) and imports its implementation when it runs, so
 * building the program and `--help` load commander and little else (test/architecture/cli-laziness.test.ts).
 */
export function buildProgram(): Command {
  const program = new Command('ecr-sentinel')
    .description(
      'Event-driven automation around Amazon ECR: scan gate, promotions, cleanup and compliance.\n' +
        'Every command accepts --help; commands that print results accept --json.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    // Set before the commands are registered, so that each inherits it: commander's own usage errors in the
    // one style of every command's errors (`ecr-sentinel: …`), and colour by the CLI's one rule.
    .configureOutput({
      outputError: (text, write) => write(text.replace(/^error: /, 'ecr-sentinel: ')),
      getOutHasColors: () => colourEnabled(process.stdout),
      getErrHasColors: () => colourEnabled(process.stderr),
    })
    // Help titles in bold; commander strips the codes where the colour rule says no (piped, NO_COLOR).
    .configureHelp({ styleTitle: (title) => ansiStyles().bold(title) })
    .exitOverride();
  registerConfigCommand(program);
  registerSandboxCommand(program);
  registerScanGateCommand(program);
  registerPromotionCommands(program);
  registerCleanupCommands(program);
  registerComplianceCommands(program);
  registerReportCommand(program);
  registerInvokeCommand(program);
  registerDemoCommand(program);
  return program;
}

/**
 * Run the CLI and return its exit code: 0 success, 1 a failed check, 2 bad usage or an unavailable dependency.
 * @param argv full process argv (node, script, ...args)
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through exitOverride with exit code 0.
      if (error.exitCode === 0) return EXIT.ok;
      // Commander has printed its message on stderr; a --json caller also gets it as every command's errors are.
      if (argv.includes('--json'))
        writeJson({ error: { type: 'UsageError', message: error.message.replace(/^error: /, '') } });
      return EXIT.usage;
    }
    process.stderr.write(`ecr-sentinel: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
}
