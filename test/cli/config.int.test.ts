import { mkdtemp, writeFile } from 'node:fs/promises';
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

  it('prints each problem with line and key path and exits 1', async () => {
    const file = await configFile('version: 1\nenvironments:\n  - name: dev\n    requiresApproval: maybe\n');

    const result = await runCli(['config', 'validate', file]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line 4: environments\[0\]\.requiresApproval: .*expected boolean/);
  });

  it('answers --json with the problems as data', async () => {
    const file = await configFile('version: 2\n');

    const result = await runCli(['config', 'validate', file, '--json']);

    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout) as { valid: boolean; problems: Array<{ path: string }> };
    expect(parsed.valid).toBe(false);
    expect(parsed.problems.map((p) => p.path)).toEqual(['version']);
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
