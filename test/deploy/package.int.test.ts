import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/cli.ts';

const run = promisify(execFile);

describe('serverless package (offline) and cfn-lint', () => {
  it('packages every function and produces a template cfn-lint finds no errors in', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sentinel-package-'));

    await run('npx', ['serverless', 'package', '--stage', 'ci', '--package', out], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
    });

    const files = await readdir(out);
    expect(files).toContain('onImagePushed.zip');
    const template = join(out, 'cloudformation-template-update-stack.json');
    const lint = await run('cfn-lint', ['--format', 'parseable', template]).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    // cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational.
    expect(lint.code & 2, lint.stdout).toBe(0);
    const resources = (
      JSON.parse(await readFile(template, 'utf8')) as { Resources: Record<string, { Type: string }> }
    ).Resources;
    const types = Object.values(resources).map((r) => r.Type);
    expect(types).toEqual(
      expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::Events::Rule', 'AWS::Lambda::EventInvokeConfig']),
    );
  }, 180_000);
});
