import * as z from 'zod';
import { sentinelConfigSchema } from './schema.ts';

/** Where the published schema is referred to from a configuration file (README: the yaml-language-server hint). */
export const CONFIG_SCHEMA_FILE = 'sentinel.config.schema.json';

/**
 * The JSON Schema (draft 2020-12) of sentinel.config.yml, generated from the zod schema the loader uses, so an
 * editor (the YAML language server) completes and checks the same keys `config validate` does. It describes
 * the file as written (`io: 'input'`): keys with defaults are optional. What JSON Schema cannot say (checks
 * across sections, such as a group name that must exist) is left to `config validate`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(sentinelConfigSchema, {
    target: 'draft-2020-12',
    io: 'input',
    // A transform or custom check has no JSON Schema form; it accepts what the rest of the schema allows.
    unrepresentable: 'any',
  });
  return {
    $schema: schema.$schema,
    title: 'ecr-sentinel configuration (sentinel.config.yml)',
    ...schema,
  };
}
