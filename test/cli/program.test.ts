import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { AWS_OPTIONS, reflow, TABLE_OPTIONS } from '../../src/shared/cli-options.ts';
import { PROJECT_ROOT } from '../../src/shared/project-root.ts';

/** Every command that runs something (no subcommands), by its full name, e.g. `cleanup plan`. */
function leaves(command: Command, prefix = ''): Map<string, Command> {
  const found = new Map<string, Command>();
  for (const sub of command.commands) {
    const name = `${prefix}${sub.name()}`;
    if (sub.commands.length === 0) found.set(name, sub);
    else for (const [n, c] of leaves(sub, `${name} `)) found.set(n, c);
  }
  return found;
}

/** The commands that call AWS: each takes --region, --profile and --endpoint-url (README, The command line). */
const AWS_FACING = [
  'scan-gate',
  'promote',
  'approve',
  'reject',
  'promotions',
  'status',
  'cleanup plan',
  'cleanup apply',
  'audit',
  'repo ensure',
  'report',
];

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

  it('every AWS-facing command takes --region, --profile and --endpoint-url, declared once: the same flags and help, in that order', () => {
    const commands = leaves(buildProgram());
    const expected = Object.values(AWS_OPTIONS).map(({ flags, description }) => ({ flags, description }));
    for (const name of AWS_FACING) {
      const command = commands.get(name);
      expect(command, name).toBeDefined();
      const aws = (command?.options ?? [])
        .filter((o) => ['--region', '--profile', '--endpoint-url'].includes(o.long ?? ''))
        .map(({ flags, description }) => ({ flags, description }));
      expect(aws, name).toEqual(expected);
      // What --help prints: the three, one after the other.
      const help = command?.helpInformation() ?? '';
      const at = ['--region <region>', '--profile <name>', '--endpoint-url <url>'].map((flags) =>
        help.indexOf(flags),
      );
      expect(
        at.every((i) => i > 0),
        `${name}:\n${help}`,
      ).toBe(true);
      expect(
        [...at].sort((a, b) => a - b),
        name,
      ).toEqual(at);
    }
  });

  it('no other command takes --region or --profile (none calls AWS; invoke names the sandbox with --endpoint-url)', () => {
    const others = [...leaves(buildProgram())].filter(([name]) => !AWS_FACING.includes(name));
    expect(others.map(([name]) => name).sort()).toEqual(
      ['config schema', 'config validate', 'demo', 'invoke', 'sandbox'].sort(),
    );
    for (const [name, command] of others) {
      const longs = command.options.map((o) => o.long);
      expect(longs, name).not.toContain('--region');
      expect(longs, name).not.toContain('--profile');
    }
    // invoke's sandbox endpoint has the AWS option's name (its old --endpoint is still taken, not shown).
    const invoke = leaves(buildProgram()).get('invoke');
    expect(invoke?.options.find((o) => o.long === '--endpoint-url')).toBeDefined();
    expect(invoke?.helpInformation()).not.toMatch(/--endpoint </);
  });

  it('the same names for the same things: -c, --config; --stage with --table (default dev); --json wherever results are printed', () => {
    for (const [name, command] of leaves(buildProgram())) {
      const option = (long: string) => command.options.find((o) => o.long === long);
      const config = option('--config');
      if (config) expect(config.short, name).toBe('-c');
      const table = option('--table');
      if (table) {
        expect(table.flags, name).toBe(TABLE_OPTIONS.table.flags);
        expect(option('--stage')?.defaultValue, name).toBe(TABLE_OPTIONS.stage.default);
      }
      if (name !== 'sandbox' && name !== 'config schema') expect(option('--json'), name).toBeDefined();
    }
  });

  it('reports commander’s own usage errors in the one style of every error: ecr-sentinel: …', async () => {
    let err = '';
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      err += String(text);
      return true;
    });
    try {
      await expect(
        buildProgram().parseAsync(['node', 'ecr-sentinel', 'audit', '--bogus']),
      ).rejects.toMatchObject({ exitCode: 1 });
    } finally {
      write.mockRestore();
    }
    expect(err).toMatch(/^ecr-sentinel: unknown option '--bogus'\n/);
  });

  it('wraps every command’s help to the width commander uses (80 when piped), not by hand', () => {
    for (const [name, command] of leaves(buildProgram())) {
      let out = '';
      command.configureOutput({ writeOut: (text) => (out += text) });
      command.outputHelp();
      // Indented lines (examples, lists) are kept as written; prose is the help's to wrap.
      const long = out.split('\n').filter((line) => !/^\s/.test(line) && line.length > 80);
      expect(long, name).toEqual([]);
    }
  });
});

describe('reflow', () => {
  it('joins each run of unindented lines and wraps it at the width; blank and indented lines stay as written', () => {
    const text =
      'Exit codes: 0 pass,\n1 fail.\n\nExamples:\n  ecr-sentinel audit --json\nA verylongword here';

    expect(reflow(text, 12)).toBe(
      'Exit codes:\n0 pass, 1\nfail.\n\nExamples:\n  ecr-sentinel audit --json\nA\nverylongword\nhere',
    );
  });
});
