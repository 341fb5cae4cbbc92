import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY, ENTRY_SOURCE, ROOT } from '../../bin/cli-bundle.js';

/**
 * The prebuilt CLI (`npm run build`) is the same program as the sources tsx runs: it builds, and each command
 * here prints the same output with the same exit code either way. Built into a directory of its own (two levels
 * below the root, as dist/cli) so a bundle someone is using is not touched.
 */

const outdir = join(ROOT, 'dist', `cli-test-${process.pid}`);
let dir = '';
let configFile = '';
let policyFile = '';
let snapshotFile = '';

function run(
  nodeArgs: string[],
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const bundled = (args: string[], env?: NodeJS.ProcessEnv) =>
  run([join(outdir, basename(BUNDLE_ENTRY))], args, env);
const fromSource = (args: string[], env?: NodeJS.ProcessEnv) =>
  run(['--import', 'tsx', ENTRY_SOURCE], args, env);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-bundle-'));
  configFile = join(dir, 'sentinel.config.yml');
  policyFile = join(dir, 'policy.json');
  snapshotFile = join(dir, 'orders-api-dev.json');
  await writeFile(
    configFile,
    'version: 1\ncleanup:\n  defaults:\n    protect:\n      minAgeDays: 3\n      keepTagPatterns: [release-*]\n',
  );
  await writeFile(
    policyFile,
    JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    }),
  );
  await writeFile(
    snapshotFile,
    JSON.stringify({
      imageDetails: [1, 2, 3].map((n) => ({
        registryId: '123456789012',
        repositoryName: 'orders-api-dev',
        imageDigest: `sha256:${String(n).repeat(64)}`,
        imageTags: n === 1 ? ['release-1'] : [`v${n}`],
        imageSizeInBytes: n * 1024 * 1024,
        imagePushedAt: `2026-0${n}-01T10:00:00+00:00`,
        imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      })),
    }),
  );
  const build = await run(['--import', 'tsx', 'scripts/build-cli.ts', '--outdir', outdir], []);
  // One line, what was built (on stderr, as `npm pack --json` needs its stdout): no warning.
  expect(build.stderr).toMatch(/^dist\/cli-test-\d+\/ecr-sentinel\.js: \d+ files, [\d.]+ MiB, \d+ ms\n$/);
  expect(build.stdout).toBe('');
  expect(build.code).toBe(0);
}, 180_000);

afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the prebuilt CLI bundle', () => {
  it('builds an entry node runs, dated when its build started', async () => {
    // Assess
    const entry = await stat(join(outdir, basename(BUNDLE_ENTRY)));
    expect(entry.isFile()).toBe(true);
    expect(entry.mtimeMs).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['--help', ['--help']],
    ['cleanup plan --help', ['cleanup', 'plan', '--help']],
    // Shows the defaults src/shared/project-root.ts finds from its own location, bundled or not.
    ['sandbox --help', ['sandbox', '--help']],
    ['an unknown command', ['no-such-command']],
    ['a bad option value', ['cleanup', 'plan', '--limit', 'x']],
  ])('prints what the sources print for %s', async (_, args) => {
    // Act
    const [fromBundle, source] = await Promise.all([bundled(args), fromSource(args)]);

    // Assess
    expect(fromBundle).toEqual(source);
  });

  it.each([
    ['as text', []],
    ['as JSON', ['--json']],
  ])('plans offline %s exactly as the sources do, with no AWS at all', async (_, format) => {
    // Prepare
    const args = [
      'cleanup',
      'plan',
      '--config',
      configFile,
      '--snapshot',
      snapshotFile,
      '--policy',
      `file://${policyFile}`,
      '--now',
      '2026-11-27T12:00:00Z',
      ...format,
    ];
    // No credentials and an endpoint nothing listens on: any AWS call would fail the command.
    const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };

    // Act
    const [fromBundle, source] = await Promise.all([bundled(args, env), fromSource(args, env)]);

    // Assess
    expect(fromBundle).toEqual(source);
    expect(fromBundle.code).toBe(0);
    expect(fromBundle.stdout).toContain('orders-api-dev');
  });

  it('reports an error as the sources do (message, JSON error, exit code)', async () => {
    // Prepare
    const args = [
      'cleanup',
      'plan',
      '--snapshot',
      join(dir, 'missing.json'),
      '--config',
      configFile,
      '--json',
    ];

    // Act
    const [fromBundle, source] = await Promise.all([bundled(args), fromSource(args)]);

    // Assess
    expect(fromBundle).toEqual(source);
    expect(fromBundle.code).toBe(2);
  });

  it('validates a configuration as the sources do (the schema and YAML parser bundled)', async () => {
    // Act
    const [fromBundle, source] = await Promise.all([
      bundled(['config', 'validate', configFile, '--json']),
      fromSource(['config', 'validate', configFile, '--json']),
    ]);

    // Assess
    expect(fromBundle).toEqual(source);
    expect(JSON.parse(fromBundle.stdout)).toMatchObject({ valid: true });
  });

  it('reports an invalid configuration in the same words (zod’s English messages, bundled without the other locales)', async () => {
    // Prepare
    const invalid = join(dir, 'invalid.config.yml');
    await writeFile(
      invalid,
      'version: 2\nenvironments: [{ name: 7 }]\ncleanup: { maxDeletions: { images: -1 } }\n',
    );

    // Act
    const [fromBundle, source] = await Promise.all([
      bundled(['config', 'validate', invalid]),
      fromSource(['config', 'validate', invalid]),
    ]);

    // Assess
    expect(fromBundle).toEqual(source);
    expect(fromBundle.code).toBe(1);
    expect(fromBundle.stderr).toMatch(/expected/i);
  });
});
