import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';

/**
 * The official SARIF 2.1.0 JSON schema (OASIS, `sarif-schema-2.1.0.json`, JSON Schema draft-07), as the npm
 * package @datadog/datadog-ci-plugin-sarif ships it for its own validation: read from node_modules, never copied
 * into this repository. Its package exports only package.json, so the schema is found next to it.
 */
const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('@datadog/datadog-ci-plugin-sarif/package.json'));
export const SARIF_SCHEMA = JSON.parse(
  readFileSync(join(packageDir, 'dist/json-schema/sarif-schema-2.1.0.json'), 'utf8'),
) as { $id: string; title: string };

// ajv-formats is CommonJS (module.exports is the plugin): required as such, no default-export interop.
const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validate = ajv.compile(SARIF_SCHEMA);

/** Every way `log` breaks the schema (formats such as uri and date-time included), as `path: message`; [] if valid. */
export function sarifSchemaErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
}
