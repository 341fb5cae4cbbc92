import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../../src/config/json-schema.ts';
import { sentinelConfigSchema } from '../../src/config/schema.ts';

type JsonSchema = {
  $schema?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
};

async function validator() {
  // ajv comes with osls (it validates serverless.yml); strict off: zod writes annotations ajv does not know.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(configJsonSchema());
}

describe('the JSON Schema of sentinel.config.yml', () => {
  it('is draft 2020-12, closed at the top, with every section of the zod schema', () => {
    const schema = configJsonSchema() as JsonSchema;

    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version']);
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(
      Object.keys(sentinelConfigSchema.shape).sort(),
    );
  });

  it('accepts the shipped sentinel.config.yml', async () => {
    const validate = await validator();
    const config: unknown = parse(await readFile('sentinel.config.yml', 'utf8'));

    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['a misspelt key', { version: 1, scanGat: {} }, ''],
    [
      'a wrong type',
      { version: 1, environments: [{ name: 'dev', requiresApproval: 'maybe' }] },
      '/environments/0/requiresApproval',
    ],
    ['another version', { version: 2 }, '/version'],
    ['an unknown nested key', { version: 1, alerts: { emial: [] } }, '/alerts'],
    [
      'a bad choice',
      { version: 1, scanGate: { defaults: { alertOn: 'sometimes' } } },
      '/scanGate/defaults/alertOn',
    ],
  ])('rejects %s where config validate does', async (_, config, at) => {
    const validate = await validator();

    expect(validate(config)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain(at);
    expect(sentinelConfigSchema.safeParse(config).success).toBe(false);
  });

  it(`is committed up to date as ${CONFIG_SCHEMA_FILE} (regenerate: npx ecr-sentinel config schema --out ${CONFIG_SCHEMA_FILE})`, async () => {
    const committed = await readFile(CONFIG_SCHEMA_FILE, 'utf8');

    // Compared as data: biome formats the committed copy (its layout is not the generator's).
    expect(JSON.parse(committed)).toEqual(configJsonSchema());
  });
});
