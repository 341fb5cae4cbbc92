import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cfnLint } from './cfn-lint.ts';
import { packagedService } from './packaged.ts';

describe('serverless package (offline) and cfn-lint', () => {
  it('packages every function and produces a template cfn-lint finds no errors in', async () => {
    const out = await packagedService();

    const files = await readdir(out);
    expect(files).toContain('onImagePushed.zip');
    const template = join(out, 'cloudformation-template-update-stack.json');
    const lint = await cfnLint(template);
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
