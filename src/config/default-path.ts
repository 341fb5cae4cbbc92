/**
 * Where the configuration is read from when no path is given. A module of its own so that commands can show it
 * in `--help` without loading the schema (every capability's zod fragments) that `load.ts` brings.
 */
export const DEFAULT_CONFIG_PATH = 'sentinel.config.yml';
