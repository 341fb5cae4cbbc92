/** What `ecr-sentinel config validate` and `config schema` do (declared in config.ts). */
import { writeFile } from 'node:fs/promises';
import { configJsonSchema } from '../../config/json-schema.ts';
import { boundedProblems } from '../../config/limits.ts';
import { type ConfigProblem, checkConfigFile, formatProblems } from '../../config/load.ts';
import { EXIT, UsageError } from '../../shared/cli.ts';
import { systemClock } from '../../shared/clock.ts';
import { applicationRepositories } from '../../shared/environments.ts';

/** `config validate` options, as config.ts declares them. */
export interface ValidateOptions {
  json?: boolean;
  strict?: boolean;
  now?: string;
}

/** `{line, column, path, message}`: the same keys in every entry, null where a position is unknown. */
function located(problems: readonly ConfigProblem[]) {
  return problems.map((p) => ({
    line: p.line ?? null,
    column: p.column ?? null,
    path: p.path,
    message: p.message,
  }));
}

function nowFrom(given: string | undefined): Date {
  if (given === undefined) return systemClock.now();
  const now = new Date(given);
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now: expected an ISO 8601 time, got "${given}"`);
  return now;
}

/**
 * `config validate [FILE]`: every error and warning, sorted by line, in one pass. Exit 1 on an error (or a
 * warning with `--strict`), 2 when the file cannot be read, else 0 with a summary.
 */
export async function validateCommand(file: string, options: ValidateOptions): Promise<void> {
  const check = await checkConfigFile(file, nowFrom(options.now));
  const failed = check.errors.length > 0 || (options.strict === true && check.warnings.length > 0);
  if (options.json) {
    const errors = boundedProblems(check.errors);
    const warnings = boundedProblems(check.warnings);
    const repositories = check.config
      ? applicationRepositories(check.config.environments, check.config.applications)
      : undefined;
    process.stdout.write(
      `${JSON.stringify(
        {
          valid: check.errors.length === 0,
          file,
          errors: located(errors.shown),
          warnings: located(warnings.shown),
          ...(errors.omitted + warnings.omitted > 0 && {
            omittedErrors: errors.omitted,
            omittedWarnings: warnings.omitted,
          }),
          ...(check.config && { config: check.config, repositories }),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (check.errors.length > 0) {
      // A file that is not there is not "not valid": it was never checked.
      const verdict = check.unreadable ? 'cannot be read' : 'is not valid';
      process.stderr.write(`${file} ${verdict}:\n${formatProblems(check.errors)}\n`);
    } else if (check.config) {
      const { environments, applications } = check.config;
      const repositories = applicationRepositories(environments, applications);
      const order = environments
        .map((e) => `${e.name}${e.requiresApproval ? ' (approval)' : ''}`)
        .join(' -> ');
      process.stdout.write(
        `${file} is valid.\n  environments: ${order}\n  repositories: ${repositories.length}` +
          `${repositories.length ? ` (${repositories.map((r) => r.repositoryName).join(', ')})` : ''}\n`,
      );
    }
    if (check.warnings.length > 0) {
      const n = check.warnings.length;
      process.stderr.write(
        `${file}: ${n} warning${n === 1 ? '' : 's'}${options.strict ? ' (--strict: failing)' : ''}:\n` +
          `${formatProblems(check.warnings)}\n`,
      );
    }
  }
  // A file that is not there was never checked: a missing prerequisite, as README's exit codes say.
  process.exitCode = check.unreadable ? EXIT.usage : failed ? EXIT.failed : EXIT.ok;
}

/** `config schema [--out FILE]`: the JSON Schema of sentinel.config.yml, on stdout or into FILE. */
export async function schemaCommand(options: { out?: string }): Promise<void> {
  const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
  if (options.out) {
    await writeFile(options.out, text);
    process.stderr.write(`wrote the JSON Schema of sentinel.config.yml to ${options.out}\n`);
  } else process.stdout.write(text);
  process.exitCode = EXIT.ok;
}
