import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';

/** The program's own answers, parsed without running a command. */
describe('ecr-sentinel program', () => {
  it('--version prints package.json version and ends with exit code 0', async () => {
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    let out = '';
    const program = buildProgram().configureOutput({ writeOut: (text) => (out += text) });
    await expect(program.parseAsync(['node', 'ecr-sentinel', '--version'])).rejects.toMatchObject({
      exitCode: 0,
    });
    expect(out.trim()).toBe(version);
  });

  it('scan-gate --threshold takes a severity in any case', () => {
    const scanGate = buildProgram().commands.find((c: Command) => c.name() === 'scan-gate');
    const threshold = scanGate?.options.find((o) => o.long === '--threshold');
    expect(threshold?.parseArg?.('high', undefined)).toBe('HIGH');
    expect(threshold?.parseArg?.('Critical', undefined)).toBe('CRITICAL');
  });
});
