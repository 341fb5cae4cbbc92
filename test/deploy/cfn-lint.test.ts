import { describe, expect, it } from 'vitest';
import { cfnLint } from './cfn-lint.ts';

describe('cfnLint (the deploy tests run cfn-lint through it)', () => {
  it('fails naming cfn-lint and how to install it when the command is missing, instead of passing', async () => {
    await expect(cfnLint('template.json', 'cfn-lint-not-installed-here')).rejects.toThrow(
      /cfn-lint could not be run \("cfn-lint-not-installed-here": ENOENT\).*pip install cfn-lint/,
    );
  });
});
