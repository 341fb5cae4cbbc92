import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

/**
 * With --json a bad command line is a JSON error on stdout too (issue 12: a pipeline parsing stdout must not get
 * plain text), whether commander refuses it or the command's own checks do; the text stays on stderr, exit 2.
 */
describe('usage errors with --json', () => {
  it.each([
    ['an unknown option (commander)', ['cleanup', 'plan', '--bogus', '--json'], "unknown option '--bogus'"],
    [
      'a missing required option (commander)',
      ['scan-gate', '--json'],
      "required option '-r, --repository <name>' not specified",
    ],
    [
      "a value the command's own checks refuse",
      ['scan-gate', '--repository', 'BAD', '--tag', 'x', '--json'],
      '--repository: "BAD" is not a valid ECR repository name',
    ],
  ])('%s', async (_what, args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({ error: { type: 'UsageError', message } });
    expect(result.stderr).toContain(message);
  });

  it('without --json the error is text on stderr alone', async () => {
    const result = await runCli(['cleanup', 'plan', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("unknown option '--bogus'");
  });
});
