import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (or installed package) root: where serverless.yml, handlers/ and the example config live. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The serverless.yml shipped with ecr-sentinel: its functions, their events and resources. */
export const SERVERLESS_FILE = fileURLToPath(new URL('../../serverless.yml', import.meta.url));

/** The example sentinel.config.yml shipped with ecr-sentinel, for commands given no configuration of their own. */
export const CONFIG_FILE = fileURLToPath(new URL('../../sentinel.config.yml', import.meta.url));

/** The version package.json says (one home: npm publishes that one); `--version` and SARIF's tool version. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
