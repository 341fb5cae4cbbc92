import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli } from '../support/cli.ts';
import { pushImage, sampleImage } from '../support/images.ts';
import { awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';

/**
 * Colour only for a person at a terminal (src/shared/cli-terminal.ts), through the real bin: piped (as
 * runCli runs it, and as every script does) nothing has an escape code or a carriage return; on a terminal (a
 * pseudo-terminal from Python's pty module: Python is a prerequisite of the sandbox) `--help` has its titles
 * in bold, unless NO_COLOR says no; FORCE_COLOR forces colour even piped.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape codes are what is looked for
const ESCAPE = /\u001b\[/;

/** `ecr-sentinel ARGS` on a pseudo-terminal: what it printed (the terminal's \r\n line ends as \n). */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'python3',
      [
        '-c',
        'import pty, sys; status = pty.spawn(sys.argv[1:]); sys.exit(status >> 8)',
        process.execPath,
        join(PROJECT_ROOT, 'bin/ecr-sentinel.js'),
        ...args,
      ],
      { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...env } },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: stdout.replace(/\r\n/g, '\n') });
      },
    );
  });
}

const PIPED = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm-256color' };

describe('escape codes and progress', () => {
  it.each([
    ['--help', ['--help']],
    ['a command’s --help', ['cleanup', 'plan', '--help']],
    ['a usage error', ['audit', '--bogus']],
    ['a missing config', ['report', '--out', '/tmp/x.html', '--config', '/nonexistent/sentinel.config.yml']],
  ])('piped, %s is plain text: no escape code, no carriage return', async (_what, args) => {
    const result = await runCli(args, { env: PIPED });

    expect(`${result.stdout}${result.stderr}`).not.toMatch(ESCAPE);
    expect(`${result.stdout}${result.stderr}`).not.toContain('\r');
  });

  it('piped with FORCE_COLOR=1, --help is coloured (the one rule, not whether it is piped)', async () => {
    const result = await runCli(['audit', '--help'], { env: { ...PIPED, FORCE_COLOR: '1' } });

    expect(result.stdout).toContain('\u001b[1mUsage:\u001b[22m');
  });

  it('on a terminal --help has its titles in bold; with NO_COLOR=1 not', async () => {
    const [coloured, plain] = await Promise.all([
      onTerminal(['audit', '--help']),
      onTerminal(['audit', '--help'], { NO_COLOR: '1' }),
    ]);

    expect(coloured.code).toBe(0);
    expect(coloured.output).toContain('\u001b[1mUsage:\u001b[22m');
    expect(coloured.output).toContain('\u001b[1mOptions:\u001b[22m');
    expect(plain.code).toBe(0);
    expect(plain.output).not.toMatch(ESCAPE);
    expect(plain.output).toContain('Usage: ecr-sentinel audit [options]');
  });

  it('cleanup apply draws its progress bar on a terminal only; piped, its output is lines', async () => {
    // Prepare: two repositories of three images each; the policy keeps the newest, so apply deletes two.
    const dir = await mkdtemp(join(tmpdir(), 'terminal-output-'));
    const config = join(dir, 'sentinel.config.yml');
    await writeFile(
      config,
      `version: 1
cleanup:
  maxDeletions: { images: 100, percent: 100 }
  defaults:
    policy:
      rules:
        - rulePriority: 1
          selection: { tagStatus: any, countType: imageCountMoreThan, countNumber: 1 }
          action: { type: expire }
    protect: { minAgeDays: 0, inUse: { ecs: false, lambda: false, inspector: false }, promoted: false }
`,
    );
    const ecr = new ECRClient(awsClientConfig());
    const [onTty, piped] = [uniqueName('progress-tty'), uniqueName('progress-pipe')];
    try {
      for (const repositoryName of [onTty, piped]) {
        await ecr.send(new CreateRepositoryCommand({ repositoryName }));
        for (const tag of ['a1', 'a2', 'a3'])
          await pushImage(ecr, repositoryName, sampleImage(`${repositoryName}-${tag}`), tag);
      }
    } finally {
      ecr.destroy();
    }
    const env = { AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1' };
    const args = (repositoryName: string) => [
      'cleanup',
      'apply',
      '--repository',
      repositoryName,
      '--config',
      config,
      '--table',
      uniqueName('no-table'),
      '--endpoint-url',
      sandboxUrl(),
      '--yes',
    ];

    // Act
    const [terminal, pipe] = await Promise.all([
      onTerminal(args(onTty), { ...env, NO_COLOR: '1' }),
      runCli(args(piped), { env: { ...PIPED, ...env } }),
    ]);

    // Assess: the bar, redrawn in place (NO_COLOR is about colour, not progress), ends at 2/2.
    expect(terminal.code, terminal.output).toBe(0);
    expect(terminal.output).toMatch(new RegExp(`\\r${onTty} \\[#{30}\\] 2/2\\n`));
    expect(pipe.code, pipe.stderr).toBe(0);
    expect(pipe.stdout).toContain(`${piped}: deleted 2 of 2`);
    expect(`${pipe.stdout}${pipe.stderr}`).not.toContain('\r');
    expect(`${pipe.stdout}${pipe.stderr}`).not.toContain('[####');
  }, 90_000);
});
