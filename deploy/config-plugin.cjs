// One configuration for the whole deployment: the file serverless.yml's variables read (email subscriptions, the
// Slack parameter, promotion roles: config-file.cjs, `SENTINEL_CONFIG` or the service's sentinel.config.yml) is
// the file packaged into the functions that read it at run time, and the command says which file that is.
//
//   plugins:
//     - ./deploy/config-plugin.cjs   # before serverless-esbuild: its packaging hook must see our changes
//     - serverless-esbuild
//
// Functions that need the configuration list it in `package.patterns: [sentinel.config.yml]` and read
// `SENTINEL_CONFIG` (default sentinel.config.yml, relative to the task root). When SENTINEL_CONFIG names another
// file, that file is copied to STAGED (inside the service directory: serverless-esbuild copies pattern files from
// there, and a path outside it would leave the zip), the pattern is pointed at the copy, and the functions get
// SENTINEL_CONFIG=STAGED. The copy is made once, so the zips hold the same bytes whose hash is printed; the user's
// own sentinel.config.yml is never written.
//
// The sandbox's local runtime loads no plugins; it sets SENTINEL_CONFIG on the functions to its --config itself.
'use strict';

const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { configPath } = require('./config-file.cjs');
const { validateConfig } = require('./validate-config.cjs');

/** The pattern (and default SENTINEL_CONFIG) of the functions that read the configuration. */
const BUNDLED = 'sentinel.config.yml';
/** Where another file is staged, relative to the service directory (and to the task root in the zip). */
const STAGED_DIR = '.sentinel-package';
const STAGED = `${STAGED_DIR}/sentinel.config.yml`;

class SentinelConfigPlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    const stage = () => this.stage();
    const unstage = () => this.unstage();
    this.hooks = {
      'before:package:createDeploymentArtifacts': stage,
      'after:package:createDeploymentArtifacts': unstage,
      'before:deploy:function:packageFunction': stage,
      'after:deploy:function:packageFunction': unstage,
    };
  }

  serviceDir() {
    return this.serverless.serviceDir || this.serverless.config.servicePath;
  }

  stage() {
    const file = configPath();
    // Variables already validated it in this process (kept); this covers a serverless.yml that reads none.
    validateConfig(file);
    const bytes = readFileSync(file);
    const readers = [];
    const own = path.resolve(this.serviceDir(), BUNDLED) === file;
    for (const [name, fn] of Object.entries(this.serverless.service.functions || {})) {
      const patterns = fn.package?.patterns;
      if (!Array.isArray(patterns) || !patterns.includes(BUNDLED)) continue;
      readers.push(name);
      if (own) continue;
      fn.package.patterns = patterns.map((p) => (p === BUNDLED ? STAGED : p));
      fn.environment = { ...fn.environment, SENTINEL_CONFIG: STAGED };
    }
    if (!own) {
      mkdirSync(path.join(this.serviceDir(), STAGED_DIR), { recursive: true });
      writeFileSync(path.join(this.serviceDir(), STAGED), bytes);
    }
    const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    const message =
      `ecr-sentinel: packaging configuration ${file} (sha256 ${sha}) into ${readers.join(', ') || 'no function'}` +
      `${own ? '' : ` as ${STAGED}`}; set SENTINEL_CONFIG to package another file`;
    if (this.log) this.log.notice(message);
    else process.stderr.write(`${message}\n`);
  }

  unstage() {
    rmSync(path.join(this.serviceDir(), STAGED_DIR), { recursive: true, force: true });
  }
}

module.exports = SentinelConfigPlugin;
