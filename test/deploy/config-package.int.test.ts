import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/cli.ts';

const run = promisify(execFile);

type Outcome = { code: number; output: string };

/** `serverless package` in `cwd` with SENTINEL_CONFIG=config; exit code and everything it printed. */
async function packageWith(cwd: string, config: string, out: string): Promise<Outcome> {
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SENTINEL_CONFIG: config };
  return run('npx', ['serverless', 'package', '--stage', 'ci', '--package', out], { cwd, env }).then(
    (r) => ({ code: 0, output: `${r.stdout}${r.stderr}` }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      output: `${e.stdout}${e.stderr}`,
    }),
  );
}

/**
 * A copy of the service to package in: serverless-esbuild works in `.esbuild/` of the service directory, which
 * the other deploy tests' packaging (test/deploy/packaged.ts) uses at the same time in the checkout.
 */
async function serviceCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-service-'));
  for (const entry of ['bin', 'deploy', 'handlers', 'src']) {
    await cp(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
  }
  for (const file of ['serverless.yml', 'package.json', 'tsconfig.json', 'sentinel.config.yml']) {
    await cp(join(PROJECT_ROOT, file), join(dir, file));
  }
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('serverless package and sentinel.config.yml', () => {
  it('refuses an invalid configuration with the located problems config validate prints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-bad-config-'));
    const config = join(dir, 'sentinel.config.yml');
    await writeFile(
      config,
      'version: 1\nenvironments:\n  - name: dev\n    requiresAproval: true\nscanGate:\n  defaults:\n    alertOn: chnage\n',
    );

    const result = await packageWith(PROJECT_ROOT, config, join(dir, 'out'));

    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`${config} is not valid:`);
    expect(result.output).toContain(
      '  line 4: environments[0].requiresAproval: unknown key "requiresAproval"; did you mean "requiresApproval"?',
    );
    expect(result.output).toContain(
      '  line 7: scanGate.defaults.alertOn: expected one of "change", "always", found text "chnage"; did you mean "change"?',
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
  }, 120_000);

  it('packages the file SENTINEL_CONFIG names into the functions and into the email subscriptions, and says which', async () => {
    const service = await serviceCopy();
    const elsewhere = await mkdtemp(join(tmpdir(), 'sentinel-other-config-'));
    const config = join(elsewhere, 'prod.sentinel.yml');
    const text = `${await readFile(join(PROJECT_ROOT, 'sentinel.config.yml'), 'utf8')}`.replace(
      'platform-alerts@example.com',
      'prod-oncall@example.com',
    );
    await writeFile(config, text);
    const out = join(elsewhere, 'out');
    await mkdir(out);

    const result = await packageWith(service, config, out);

    expect(result.code, result.output).toBe(0);
    const sha = createHash('sha256').update(text).digest('hex').slice(0, 12);
    expect(result.output).toMatch(
      new RegExp(
        `packaging configuration ${config.replace(/[.]/g, '\\.')} \\(sha256 ${sha}\\) into [^\\n]*onScanCompleted`,
      ),
    );
    const zipped = await run('unzip', [
      '-p',
      join(out, 'onScanCompleted.zip'),
      '.sentinel-package/sentinel.config.yml',
    ]);
    expect(zipped.stdout).toBe(text);
    const listing = await run('unzip', ['-Z1', join(out, 'onScanCompleted.zip')]);
    expect(listing.stdout.split('\n')).not.toContain('sentinel.config.yml');
    const template = JSON.parse(
      await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const fn = template.Resources.OnScanCompletedLambdaFunction?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(fn.Environment.Variables.SENTINEL_CONFIG).toBe('.sentinel-package/sentinel.config.yml');
    const emails = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.Protocol === 'email')
      .map((r) => r.Properties.Endpoint);
    expect(emails).toEqual(['prod-oncall@example.com']);
    expect(existsSync(join(service, '.sentinel-package'))).toBe(false);
  }, 300_000);
});
