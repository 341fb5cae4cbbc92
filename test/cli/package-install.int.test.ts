import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../bin/cli-bundle.js';
import { pushImage, sampleImage } from '../support/images.ts';
import { admin, awsClientConfig, sandboxUrl, uniqueName } from '../support/sandbox.ts';

/**
 * The package as npm publishes it, installed where there is no clone (README, The scan gate in CI): `npm pack`
 * (which builds the bundle, `prepare`), then `npm install <tarball>` into an empty project, whose
 * node_modules/.bin/ecr-sentinel answers --version and --help, validates a configuration, and gates images on the
 * sandbox with only the permissions of docs/scan-gate-ci-policy.json (the sandbox holds its credentials to that
 * policy) — without ever loading tsx: every run here has a module hook that fails an import of tsx.
 *
 * Packed from a copy of the checkout (its node_modules linked), so the build `npm pack` runs writes no dist/cli
 * that another test or a person is running.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const PACKAGE = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

/** Top-level entries of the checkout that are no part of it (installed, built, or tools' state). */
const NOT_COPIED = new Set(['node_modules', 'dist', 'coverage']);

let dir = '';
let app = '';
let tarball = '';
let contents: string[] = [];
let tarballBytes = 0;
let noTsx = '';

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(new Error(`${file} not found on PATH: this test packs and installs the package with npm`));
          return;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** npm, failing with what it printed. */
async function npm(args: string[], cwd: string): Promise<Run> {
  const result = await run('npm', args, { cwd });
  if (result.code !== 0)
    throw new Error(`npm ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result;
}

/** The installed `ecr-sentinel`, with the hook that fails any import of tsx. */
const installed = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(join(app, 'node_modules', '.bin', 'ecr-sentinel'), args, {
    cwd: app,
    env: { NODE_OPTIONS: `--import=${pathToFileURL(noTsx).href}`, ...env },
  });

/**
 * A lockfile for the empty project: the checkout's, without its development packages, and the tarball. The npm
 * cache `npm ci` fills holds every package's tarball but not the registry metadata an install without a lock
 * resolves versions with, so `npm install --offline` needs the versions pinned; these are the ones the checkout
 * runs and bundles. An entry the tarball's dependencies don't find fails the install (nothing to fetch offline).
 */
async function appLockfile(tarballSpec: string): Promise<unknown> {
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const root = lock.packages[''] as {
    license: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
    engines: Record<string, string>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'ci-job', version: '1.0.0', dependencies: { [PACKAGE.name]: tarballSpec } },
    [`node_modules/${PACKAGE.name}`]: {
      version: PACKAGE.version,
      resolved: tarballSpec,
      license: root.license,
      dependencies: root.dependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && !entry.dev) packages[path] = entry;
  }
  return { name: 'ci-job', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/** The sandbox's account and Region, which the CI policy's placeholders become here. */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** A stage with no deployed table: the gate judges scans itself. */
const STAGE = 'nothing-deployed';

/** docs/scan-gate-ci-policy.json for the sandbox's account, Region and {@link STAGE}, less `without`. */
function ciPolicy(without?: string): unknown {
  const text = readFileSync(join(ROOT, 'docs', 'scan-gate-ci-policy.json'), 'utf8')
    .replaceAll('REGION', REGION)
    .replaceAll('ACCOUNT_ID', ACCOUNT)
    .replaceAll('STAGE', STAGE);
  const policy = JSON.parse(text) as { Statement: { Action: string | string[] }[] };
  policy.Statement = policy.Statement.map((statement) => ({
    ...statement,
    Action: [statement.Action].flat().filter((action) => action !== without),
  })).filter((statement) => statement.Action.length > 0);
  return policy;
}

/**
 * A CI job's role: credentials of its own that the sandbox holds to `policy` (as it holds a local function to
 * its execution role), refusing what the policy doesn't allow as AWS does.
 * @returns the job's environment and the name its refusals are listed under
 */
async function ciRole(name: string, policy: unknown): Promise<{ name: string; env: NodeJS.ProcessEnv }> {
  const unique = uniqueName(name);
  const accessKeyId = `ASIACI${randomBytes(8).toString('hex').toUpperCase()}`;
  const registered = await admin('POST', 'iam/principals', {
    accessKeyId,
    principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/ecr-sentinel-scan-gate/${unique}`,
    accountId: ACCOUNT,
    function: unique,
    policies: [{ where: 'docs/scan-gate-ci-policy.json', document: policy }],
  });
  expect(registered.status).toBe(201);
  return {
    name: unique,
    env: {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_REGION: REGION,
    },
  };
}

async function denialsOf(role: { name: string }): Promise<{ action: string; resource: string }[]> {
  const response = await admin('GET', 'iam/denials');
  return (response.body as { denials: { function: string; action: string; resource: string }[] }).denials
    .filter((denial) => denial.function === role.name)
    .map(({ action, resource }) => ({ action, resource }));
}

/** A repository named -dev (the example config's dev policy: no CRITICAL) with one image, tagged v1. */
async function image(options: { scanOnPush: boolean; findings?: unknown[] }): Promise<string> {
  const ecr = new ECRClient(awsClientConfig());
  try {
    const repositoryName = `${uniqueName('pkg')}-dev`;
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName,
        imageScanningConfiguration: { scanOnPush: options.scanOnPush },
      }),
    );
    if (options.findings) {
      const entry = { repositoryName, imageTag: 'v1', findings: options.findings };
      expect((await admin('POST', 'findings', entry)).status).toBe(201);
    }
    await pushImage(ecr, repositoryName, sampleImage(repositoryName), 'v1');
    return repositoryName;
  } finally {
    ecr.destroy();
  }
}

/** The installed `ecr-sentinel scan-gate` on image v1 of `repositoryName`, as `role`, with JSON out. */
const gate = (role: { env: NodeJS.ProcessEnv }, repositoryName: string, wait: string) =>
  installed(
    [
      'scan-gate',
      '--endpoint-url',
      sandboxUrl(),
      '--stage',
      STAGE,
      '--repository',
      repositoryName,
      '--tag',
      'v1',
      '--wait',
      wait,
      '--json',
    ],
    role.env,
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'package-install-'));
  // Fails an import of tsx, by name or by a path into its package, in the process it is loaded into.
  noTsx = join(dir, 'no-tsx.mjs');
  await writeFile(
    join(dir, 'no-tsx-hooks.mjs'),
    [
      'export async function resolve(specifier, context, next) {',
      "  if (specifier === 'tsx' || specifier.startsWith('tsx/')) throw new Error('tsx loaded: ' + specifier);",
      '  const resolved = await next(specifier, context);',
      "  if (resolved.url.includes('/node_modules/tsx/')) throw new Error('tsx loaded: ' + resolved.url);",
      '  return resolved;',
      '}',
    ].join('\n'),
  );
  await writeFile(
    noTsx,
    "import { register } from 'node:module';\nregister('./no-tsx-hooks.mjs', import.meta.url);\n",
  );

  await run('npm', ['--version'], { cwd: dir });
  const checkout = join(dir, 'checkout');
  await mkdir(checkout);
  for (const entry of await readdir(ROOT)) {
    if (NOT_COPIED.has(entry) || entry.startsWith('.')) continue;
    await cp(join(ROOT, entry), join(checkout, entry), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  const out = join(dir, 'out');
  await mkdir(out);
  // --json: what npm packed, on a stdout the build (`prepare`) leaves alone.
  const packed = await npm(['pack', '--json', '--pack-destination', out], checkout);
  const [report] = JSON.parse(packed.stdout) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  tarball = join(out, report?.filename ?? 'no tarball');
  contents = report?.files.map((file) => file.path) ?? [];
  tarballBytes = report?.size ?? 0;

  app = join(dir, 'ci-job');
  await mkdir(app);
  const spec = `file:${tarball}`;
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'ci-job',
      version: '1.0.0',
      private: true,
      dependencies: { [PACKAGE.name]: spec },
    }),
  );
  await writeFile(join(app, 'package-lock.json'), JSON.stringify(await appLockfile(spec), null, 2));
  await npm(['install', '--offline', '--no-audit', '--no-fund', tarball], app);
  await cp(join(ROOT, 'sentinel.config.yml'), join(app, 'sentinel.config.yml'));
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the package npm installs', () => {
  it('holds the bin, the bundle, the license and the schema, and none of the sources, tests or benchmarks', async () => {
    // Assess
    expect(contents).toEqual(
      expect.arrayContaining([
        'package.json',
        'LICENSE',
        'README.md',
        'bin/ecr-sentinel.js',
        'bin/cli-bundle.js',
        'dist/cli/ecr-sentinel.js',
        'sentinel.config.schema.json',
      ]),
    );
    const topLevel = new Set(contents.map((path) => path.split('/')[0]));
    for (const absent of ['src', 'test', 'bench', 'handlers', 'scripts', 'events', 'node_modules'])
      expect(topLevel, absent).not.toContain(absent);
    expect(
      contents.filter((path) => path.endsWith('.map') || (path.endsWith('.ts') && !path.endsWith('.d.ts'))),
    ).toEqual([]);
    const manifest = JSON.parse(
      await readFile(join(app, 'node_modules', PACKAGE.name, 'package.json'), 'utf8'),
    ) as { private?: boolean; bin?: Record<string, string> };
    expect(manifest.private).toBeUndefined();
    // What `npx ecr-sentinel@…` downloads before its dependencies (~0.6 MB when this was written).
    expect(tarballBytes).toBeLessThan(2 * 1024 * 1024);
    expect(manifest.bin).toEqual({ 'ecr-sentinel': 'bin/ecr-sentinel.js' });
  });

  it('fails a process that imports tsx (the guard every run here has)', async () => {
    // Act
    const result = await run(
      process.execPath,
      ['--import', pathToFileURL(noTsx).href, '--input-type=module', '-e', "await import('tsx/esm/api')"],
      { cwd: app },
    );

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('tsx loaded: tsx/esm/api');
  });

  it('prints its version and its commands', async () => {
    // Act
    const [version, help] = await Promise.all([installed(['--version']), installed(['--help'])]);

    // Assess
    expect(version).toEqual({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^\s+scan-gate /m);
    expect(help.stdout).toMatch(/^\s+config /m);
  });

  it('validates a configuration file', async () => {
    // Prepare
    await writeFile(join(app, 'invalid.yml'), 'version: 2\n');

    // Act
    const [valid, invalid] = await Promise.all([
      installed(['config', 'validate', 'sentinel.config.yml', '--json']),
      installed(['config', 'validate', 'invalid.yml']),
    ]);

    // Assess
    expect(valid.code, valid.stderr).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ valid: true });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('version');
  });

  it('gates images with only the CI policy’s permissions: exit 0 PASS, 1 FAIL, 2 no scan; nothing refused', async () => {
    // Prepare
    const critical = { name: 'CVE-2024-0001', severity: 'CRITICAL', package: 'openssl', version: '3.0.1' };
    const [clean, vulnerable, unscanned] = await Promise.all([
      image({ scanOnPush: true }),
      image({ scanOnPush: true, findings: [critical] }),
      image({ scanOnPush: false }),
    ]);
    const role = await ciRole('ci-policy', ciPolicy());

    // Act
    const [pass, fail, none] = await Promise.all([
      gate(role, clean, '30'),
      gate(role, vulnerable, '30'),
      gate(role, unscanned, '1'),
    ]);

    // Assess: refusals first, as a refused call fails the gate (exit 2, no verdict) and this names it.
    expect(await denialsOf(role)).toEqual([]);
    expect(pass.code, pass.stderr).toBe(0);
    expect(JSON.parse(pass.stdout)).toMatchObject({ outcome: 'PASS', repositoryName: clean });
    expect(fail.code, fail.stderr).toBe(1);
    expect(JSON.parse(fail.stdout)).toMatchObject({
      outcome: 'FAIL',
      verdict: { blocking: { ids: ['CVE-2024-0001'] } },
    });
    expect(none.code, none.stderr).toBe(2);
    expect(JSON.parse(none.stdout)).toMatchObject({ repositoryName: unscanned });
  }, 90_000);

  it('needs the verdict table’s statement even where no pipeline is deployed', async () => {
    // Prepare
    const repositoryName = await image({ scanOnPush: true });
    const role = await ciRole('ci-policy-without-table', ciPolicy('dynamodb:GetItem'));

    // Act
    const result = await gate(role, repositoryName, '30');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('dynamodb:GetItem');
    expect((await denialsOf(role)).map((denial) => denial.action)).toEqual(['dynamodb:GetItem']);
  }, 60_000);

  it('says that the demo and the sandbox with its functions need the source checkout', async () => {
    // Act
    const [demo, sandbox] = await Promise.all([installed(['demo', '--json']), installed(['sandbox'])]);

    // Assess
    expect(demo.code).toBe(2);
    expect(demo.stderr).toMatch(/^ecr-sentinel: demo runs .* from a clone of the repository/);
    expect(JSON.parse(demo.stdout)).toMatchObject({ error: { type: 'SourceCheckoutRequired' } });
    expect(sandbox.code).toBe(2);
    expect(sandbox.stderr).toContain('sandbox --no-runtime');
  });
});
