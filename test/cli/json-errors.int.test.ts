import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      'a bad --region (the AWS options are checked as every option is)',
      ['audit', '--region', 'EU WEST', '--json'],
      '--region: "EU WEST" is not an AWS Region name such as eu-west-1',
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

  it.each([
    ['cleanup plan', ['cleanup', 'plan']],
    ['audit', ['audit']],
    ['repo ensure', ['repo', 'ensure', 'orders-api-dev']],
    ['report', ['report', '--out', join(tmpdir(), 'report.html')]],
    ['promotions', ['promotions']],
    ['status', ['status', 'orders-api']],
    ['promote', ['promote', 'orders-api', '1.0.0', 'staging']],
    ['demo', ['demo']],
  ])(
    '%s with a config file that is not there: "not found" (not "not valid"), exit 2, also as JSON',
    async (_what, args) => {
      const missing = join(tmpdir(), 'no-such-dir', 'sentinel.config.yml');
      const message = `--config ${missing}: not found`;

      const result = await runCli([...args, '--config', missing, '--json'], {
        env: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
      });

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`ecr-sentinel: ${message}\n`);
      expect(JSON.parse(result.stdout)).toEqual({ error: { type: 'UsageError', message } });
    },
  );
});
