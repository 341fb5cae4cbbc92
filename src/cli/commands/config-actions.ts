/** What `ecr-sentinel config validate` does (declared in config.ts). */
import { boundedProblems } from '../../config/limits.ts';
import { ConfigError, formatProblems, loadConfig } from '../../config/load.ts';
import { EXIT } from '../../shared/cli.ts';
import { applicationRepositories } from '../../shared/environments.ts';

/** `config validate [FILE]`: every problem with its line and key path (exit 1), or a summary (exit 0). */
export async function validateCommand(file: string, options: { json?: boolean }): Promise<void> {
  try {
    const parsed = await loadConfig(file);
    const repositories = applicationRepositories(parsed.environments, parsed.applications);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ valid: true, file, config: parsed, repositories }, null, 2)}\n`,
      );
    } else {
      const order = parsed.environments
        .map((e) => `${e.name}${e.requiresApproval ? ' (approval)' : ''}`)
        .join(' -> ');
      process.stdout.write(
        `${file} is valid.\n  environments: ${order}\n  repositories: ${repositories.length}` +
          `${repositories.length ? ` (${repositories.map((r) => r.repositoryName).join(', ')})` : ''}\n`,
      );
    }
    process.exitCode = EXIT.ok;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (options.json) {
      const { shown, omitted } = boundedProblems(error.problems);
      process.stdout.write(
        `${JSON.stringify({ valid: false, file, problems: shown, omittedProblems: omitted }, null, 2)}\n`,
      );
    } else {
      process.stderr.write(`${file} is not valid:\n${formatProblems(error.problems)}\n`);
    }
    // A file that is not there was never checked: a missing prerequisite, as README's exit codes say.
    process.exitCode = error.unreadable ? EXIT.usage : EXIT.failed;
  }
}
