import { execFile } from 'node:child_process';

/** How to get cfn-lint, named by every failure to run it (README "Prerequisites"). */
export const CFN_LINT_INSTALL =
  'install it with: python3 -m pip install cfn-lint (check: cfn-lint --version)';

export interface CfnLintResult {
  /** cfn-lint's exit code, a bit field: 2 errors, 4 warnings, 8 informational. */
  code: number;
  stdout: string;
}

/**
 * Run cfn-lint on a template (`--format parseable`). A missing cfn-lint fails (it is a prerequisite of the
 * deploy tests): without this, execFile's `code: 'ENOENT'` would read as "no error bits set" and pass.
 * @throws Error naming cfn-lint and how to install it when it can't be run
 */
export function cfnLint(template: string, command = 'cfn-lint'): Promise<CfnLintResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      ['--format', 'parseable', template],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout });
        if (typeof error.code === 'number')
          return resolve({ code: error.code, stdout: `${stdout}${stderr}` });
        reject(
          new Error(
            `cfn-lint could not be run ("${command}": ${error.code ?? error.message}); the deploy tests need it: ${CFN_LINT_INSTALL}`,
            { cause: error },
          ),
        );
      },
    );
  });
}
