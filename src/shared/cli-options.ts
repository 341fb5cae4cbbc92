/**
 * The options several commands share, declared once so that every command names and explains them alike
 * (README, The command line). A declaration module: commander and nothing else, so `--help` stays cheap
 * (test/architecture/cli-laziness.test.ts). What the AWS options mean at run time is in cli.ts
 * (`awsClientBase`).
 */
import { type Command, Option } from 'commander';

/** The sandbox endpoint the help texts give as an example of `--endpoint-url`. */
export const SANDBOX_ENDPOINT_EXAMPLE = 'http://127.0.0.1:4566';

/** Flags and descriptions of the AWS options, as `--help` shows them on every AWS-facing command. */
export const AWS_OPTIONS = {
  region: {
    flags: '--region <region>',
    description: "AWS Region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region)",
  },
  profile: {
    flags: '--profile <name>',
    description: 'AWS profile for credentials and Region (default: AWS_PROFILE, else default)',
  },
  endpointUrl: {
    flags: '--endpoint-url <url>',
    description: `AWS endpoint, e.g. the sandbox ${SANDBOX_ENDPOINT_EXAMPLE} (default: AWS_ENDPOINT_URL)`,
  },
} as const;

/** How an AWS-facing command finds AWS, for its `--help` (the rules: `awsClientBase` in cli.ts). */
export const AWS_ACCESS_HELP = `AWS access as the AWS CLI finds it: credentials and settings of --profile (else AWS_PROFILE, else the
default profile); the Region from --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region
(none of them: an error, never a Region picked silently); --endpoint-url (or AWS_ENDPOINT_URL) for the local
sandbox, e.g. ${SANDBOX_ENDPOINT_EXAMPLE}.`;

/** One AWS option as a commander option, for a command declared as one chain (`.addOption(awsOption('region'))`). */
export function awsOption(name: keyof typeof AWS_OPTIONS): Option {
  return new Option(AWS_OPTIONS[name].flags, AWS_OPTIONS[name].description);
}

/** Add `--region`, `--profile` and `--endpoint-url` (in this order) to an AWS-facing command. */
export function withAwsOptions(command: Command): Command {
  return command
    .addOption(awsOption('region'))
    .addOption(awsOption('profile'))
    .addOption(awsOption('endpointUrl'));
}

/** Flags and descriptions of the options naming the deployed table (`commandTableName` in cli.ts). */
export const TABLE_OPTIONS = {
  stage: {
    flags: '--stage <stage>',
    description: 'deployed stage whose table to use (ecr-sentinel-STAGE)',
    default: 'dev',
  },
  table: { flags: '--table <name>', description: 'table name (default: ecr-sentinel-STAGE)' },
} as const;

/** One of `--stage` (default `dev`) and `--table` as a commander option, for a command declared as one chain. */
export function tableOption(name: keyof typeof TABLE_OPTIONS): Option {
  const option = new Option(TABLE_OPTIONS[name].flags, TABLE_OPTIONS[name].description);
  return name === 'stage' ? option.default(TABLE_OPTIONS.stage.default) : option;
}

/** Add `--stage` and `--table` to a command that reads or writes the deployed table. */
export function withTableOptions(command: Command): Command {
  return command.addOption(tableOption('stage')).addOption(tableOption('table'));
}

/**
 * Add `-c, --config <file>`: every command that reads sentinel.config.yml takes it so. `what` says what the
 * command uses of it; `defaultPath` is src/config/default-path.ts's (src/shared imports no src/config).
 */
export function withConfigOption(command: Command, what: string, defaultPath: string): Command {
  return command.option('-c, --config <file>', `configuration file (${what})`, defaultPath);
}

/**
 * The text after a command's help (`addHelpText('after', helpAfter(TEXT))`), reflowed when it is printed to the
 * width commander wraps the options to (the terminal's, else 80): help is wrapped by the terminal, not by hand.
 */
export function helpAfter(text: string): () => string {
  return () => reflow(text, (process.stdout.isTTY ? process.stdout.columns : undefined) || 80);
}

/**
 * `text` with each run of unindented lines joined into one paragraph and wrapped at `width` columns (a word
 * longer than that stays whole); blank and indented lines (examples, lists, tables) are kept as written.
 */
export function reflow(text: string, width: number): string {
  const out: string[] = [];
  let prose: string[] = [];
  const flush = () => {
    if (prose.length === 0) return;
    let line = '';
    for (const word of prose.join(' ').split(/ +/)) {
      if (line !== '' && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line);
    prose = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /^\s/.test(line)) {
      flush();
      out.push(line);
    } else prose.push(line.trim());
  }
  flush();
  return out.join('\n');
}
