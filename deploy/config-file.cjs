// sentinel.config.yml as serverless.yml's ${file(./deploy/*.cjs)} functions read it: which file, parsed, and the
// error that names it. Before anything is read from it, the whole file is checked by `ecr-sentinel config
// validate` (validate-config.cjs): an invalid file stops packaging with the located problems the command prints.
// The checks below only guard the shapes these files rely on.
//
// Which config: $SENTINEL_CONFIG (relative to the current directory) or sentinel.config.yml next to
// serverless.yml.
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');
const { validateConfig } = require('./validate-config.cjs');

function configPath() {
  const given = process.env.SENTINEL_CONFIG;
  return given ? path.resolve(given) : path.resolve(__dirname, '..', 'sentinel.config.yml');
}

function fail(file, message) {
  throw new Error(`${file}: ${message} (check it with: npx ecr-sentinel config validate)`);
}

/** `{ file, config }`: the parsed configuration (a plain object; `{}` for an empty file). */
function readConfig() {
  const file = configPath();
  validateConfig(file);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    fail(
      file,
      `cannot read the ecr-sentinel configuration: ${error.code === 'ENOENT' ? 'file not found' : error.message}`,
    );
  }
  let config;
  try {
    config = parse(text);
  } catch (error) {
    fail(file, `invalid YAML: ${String(error.message).split('\n')[0]}`);
  }
  return { file, config: config && typeof config === 'object' ? config : {} };
}

module.exports = { configPath, fail, readConfig };
