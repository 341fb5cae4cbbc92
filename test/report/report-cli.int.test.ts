import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportSchema } from '../../src/report/domain/model.ts';
import { runCli } from '../support/cli.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';
import { createSentinelTable } from '../support/table.ts';

/**
 * `ecr-sentinel report` as a user runs it, on the shared sandbox: each format written, and every bad input named
 * with exit code 2 before anything is read (the browser test checks what the HTML shows).
 */

const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };
let dir = '';
let configFile = '';
const table = uniqueName('report-cli');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-cli-'));
  configFile = join(dir, 'sentinel.config.yml');
  await writeFile(
    configFile,
    'version: 1\nexceptions:\n  - { cve: CVE-2026-1, repositories: ["*"], expires: 2099-01-01, owner: a@example.com, reason: r }\n',
  );
  const dynamo = new DynamoDBClient(awsClientConfig());
  await createSentinelTable(dynamo, table);
  dynamo.destroy();
});

function report(...args: string[]) {
  return runCli(['report', '--config', configFile, '--endpoint-url', sandboxUrl(), ...args], { env });
}

describe('ecr-sentinel report', () => {
  it('writes the JSON report in its documented shape and prints where, with --json', async () => {
    const out = join(dir, 'report.json');

    const { code, stdout, stderr } = await report(
      '--format',
      'json',
      '--out',
      out,
      '--table',
      table,
      '--json',
    );

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      out,
      format: 'json',
      counts: { openExceptions: 1, promotions: 0 },
    });
    const written = reportSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    expect(written.exceptions.open.map((e) => e.cve)).toEqual(['CVE-2026-1']);
  });

  it('writes Markdown tables and says so in one line', async () => {
    const out = join(dir, 'report.md');

    const { code, stdout } = await report('--format', 'md', '--out', out, '--table', table);

    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^wrote ${out} \\(md, .*\\): .* 1 open exceptions`));
    const text = await readFile(out, 'utf8');
    expect(text).toMatch(/^# ECR audit report/);
    expect(text).toMatch(/^\| CVE \| repositories \| expires \|/m);
  });

  it.each([
    [['--format', 'pdf', '--out', 'x.pdf'], /--format: unknown format "pdf" \(expected html, json, md\)/],
    [
      ['--out', '/nonexistent-dir/report.html'],
      /--out: cannot write \/nonexistent-dir\/report\.html: .*ENOENT/,
    ],
    [['--out', '/'], /--out: cannot write \/: it is a directory/],
  ])('refuses %j with exit 2, naming the bad input', async (args, message) => {
    const { code, stderr } = await report(...args, '--table', table);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('prints the error as JSON with --json', async () => {
    const { code, stdout } = await report('--format', 'pdf', '--out', join(dir, 'x'), '--json');

    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      error: { type: 'UsageError', message: '--format: unknown format "pdf" (expected html, json, md)' },
    });
  });

  it('names a table that does not exist', async () => {
    const { code, stderr } = await report('--out', join(dir, 'missing.html'), '--table', 'no-such-table');

    expect(code).toBe(2);
    expect(stderr).toMatch(/table no-such-table not found .*--table/);
  });
});
