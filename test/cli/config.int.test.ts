import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-cli-'));
  const file = join(dir, 'sentinel.config.yml');
  await writeFile(file, text);
  return file;
}

describe('ecr-sentinel config validate', () => {
  it('accepts the example configuration and lists its repositories', async () => {
    const result = await runCli(['config', 'validate']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sentinel.config.yml is valid');
    expect(result.stdout).toContain('dev -> staging -> prod (approval)');
    expect(result.stdout).toContain('orders-api-prod');
  });

  it('prints each problem with line and key path, sorted by line, in its own words, and exits 1', async () => {
    const file = await configFile(
      'version: 1\nenvironments:\n  - name: dev\n    requiresApproval: maybe\n    requiresAproval: true\nscanGat: {}\n',
    );

    const result = await runCli(['config', 'validate', file]);

    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').slice(1, 4)).toEqual([
      '  line 4: environments[0].requiresApproval: expected true or false, found text "maybe"',
      '  line 5: environments[0].requiresAproval: unknown key "requiresAproval"; did you mean "requiresApproval"?',
      '  line 6: scanGat: unknown key "scanGat"; did you mean "scanGate"?',
    ]);
    expect(result.stderr).not.toMatch(/Invalid input|received/);
  });

  it('answers --json with errors and warnings as {line, column, path, message}', async () => {
    const file = await configFile('version: 2\nalerts:\n  emial: []\n');

    const result = await runCli(['config', 'validate', file, '--json']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      valid: false,
      file,
      errors: [
        {
          line: 1,
          column: 1,
          path: 'version',
          message: 'expected 1 (the only configuration version so far)',
        },
        { line: 3, column: 3, path: 'alerts.emial', message: 'unknown key "emial"; did you mean "email"?' },
      ],
      warnings: [],
    });
  });

  it('warns about what is legal but surely wrong: exit 0, or 1 with --strict', async () => {
    const file = await configFile(
      [
        'version: 1',
        'applications: [{ name: orders-api }]',
        'repositoryGroups:',
        '  - { name: services, repositories: ["Orders-*"] }',
        'exceptions:',
        '  - { cve: CVE-2024-1, repositories: ["orders-api-*"], expires: 2026-12-01, owner: a@example.com, reason: r }',
        '',
      ].join('\n'),
    );
    const now = ['--now', '2026-11-28T00:00:00Z'];

    const [plain, strict, json] = await Promise.all([
      runCli(['config', 'validate', file, ...now]),
      runCli(['config', 'validate', file, ...now, '--strict']),
      runCli(['config', 'validate', file, ...now, '--json']),
    ]);

    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('is valid');
    expect(plain.stderr).toContain(': 3 warnings:');
    expect(plain.stderr).toContain(
      'line 4: repositoryGroups[0].repositories[0]: "Orders-*" can never match: has upper case letters; ECR repository names are lower case',
    );
    expect(plain.stderr).toContain(
      'line 6: exceptions[0].expires: exception for CVE-2024-1 expires in 4 days (applies through 2026-12-01, UTC)',
    );
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('(--strict: failing)');
    const parsed = JSON.parse(json.stdout) as {
      valid: boolean;
      errors: unknown[];
      warnings: Array<{ line: number; path: string }>;
    };
    expect(json.code).toBe(0);
    expect(parsed.valid).toBe(true);
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings.map((w) => [w.line, w.path])).toEqual([
      [4, 'repositoryGroups[0].repositories'],
      [4, 'repositoryGroups[0].repositories[0]'],
      [6, 'exceptions[0].expires'],
    ]);
  });

  it('refuses a --now that is not a time with exit 2', async () => {
    const result = await runCli(['config', 'validate', '--now', 'tomorrow']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--now: expected an ISO 8601 time/);
  });

  it('prints the JSON Schema of the file, or writes it with --out', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'sentinel-schema-')), 'schema.json');

    const [printed, written] = await Promise.all([
      runCli(['config', 'schema']),
      runCli(['config', 'schema', '--out', out]),
    ]);

    expect(printed.code).toBe(0);
    const schema = JSON.parse(printed.stdout) as { $schema: string; properties: Record<string, unknown> };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['scanGate', 'cleanup', 'compliance']),
    );
    expect(written.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(printed.stdout);
  });

  it('refuses an alias bomb and an oversized file as invalid (exit 1), briefly, and a missing file with 2', async () => {
    const levels = Array.from(
      { length: 9 },
      (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`,
    );
    const bomb = await configFile(
      `version: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${levels.join('\n')}\n`,
    );
    const oversized = await configFile(`version: 1\n${'k: v\n'.repeat(300_000)}`);

    const [bombed, tooBig, missing] = await Promise.all([
      runCli(['config', 'validate', bomb]),
      runCli(['config', 'validate', oversized]),
      runCli(['config', 'validate', `${bomb}.absent`]),
    ]);

    expect(bombed.code).toBe(1);
    expect(bombed.stderr).toMatch(/line 5: a3\[7\]: too many alias expansions \(YAML anchors, at \*a2\)/);
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toMatch(/file is 1\.43 MB \(1500011 bytes\); a configuration may be at most 1 MB/);
    expect(tooBig.stderr.length).toBeLessThan(1000);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/absent[\s\S]*file not found/);
  });

  it('exits 2 and names the command for an unknown command', async () => {
    const result = await runCli(['config', 'frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/frobnicate/);
  });

  it('explains itself with --help', async () => {
    const result = await runCli(['config', 'validate', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--json/);
  });
});
