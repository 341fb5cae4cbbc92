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
