// Packaging refuses an invalid sentinel.config.yml with exactly what `ecr-sentinel config validate` says: the
// deploy side runs that command, so there is one validation (src/config/) and one wording of its problems.
//
// Why a child process (`node bin/ecr-sentinel.js config validate FILE`) rather than loading src/config/ here:
// - this file is CommonJS, required synchronously by osls and by the sandbox's local runtime (which resolves
//   `${file(...)}` functions synchronously); src/config/ is TypeScript ES modules, which CommonJS cannot load
//   synchronously on Node 20 without a loader hook in the host process;
// - a loader hook (tsx's require hook) or the prebuilt bundle (dist/cli, ES modules too, and possibly stale) would
//   change or depend on how the host process loads modules; bin/ecr-sentinel.js already chooses between a fresh
//   bundle and tsx, so the child always runs the current sources, whatever state dist/ is in;
// - the child's exit code and stderr are the CLI's own contract (README: 0 valid, 1 invalid, 2 unreadable).
// It costs one `node` start per configuration file and process (the result is kept), ~0.3 s from the bundle.
'use strict';

const { spawnSync } = require('node:child_process');
const { statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'ecr-sentinel.js');

/**
 * Per file version (path, size, modification time): its check's outcome, so the several `${file(...)}` variables
 * of one packaging validate it once, while a long-lived process (the sandbox) sees a changed file checked again.
 */
const checked = new Map();

function versionOf(file) {
  try {
    const stats = statSync(file);
    return `${file}\0${stats.size}\0${stats.mtimeMs}`;
  } catch {
    return `${file}\0missing`;
  }
}

/**
 * Validate `file` as `ecr-sentinel config validate FILE` does; throw an Error carrying its located problems when
 * the file is invalid or unreadable. Warnings do not stop packaging: they are printed on stderr.
 * @param {string} file absolute path of the configuration
 */
function validateConfig(file) {
  const version = versionOf(file);
  let outcome = checked.get(version);
  if (!outcome) {
    const child = spawnSync(process.execPath, [BIN, 'config', 'validate', file], {
      cwd: ROOT,
      encoding: 'utf8',
      // tsx compiling the sources on a loaded machine takes seconds; a hung child must not hang a deploy.
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    outcome = {
      status: child.status,
      stderr: String(child.stderr || '').trim(),
      error: child.error,
    };
    checked.set(version, outcome);
    if (outcome.status === 0 && outcome.stderr) process.stderr.write(`${outcome.stderr}\n`);
  }
  if (outcome.status === 0) return;
  if (outcome.error || outcome.status === null) {
    throw new Error(
      `cannot check ${file} with ecr-sentinel config validate: ${outcome.error ? outcome.error.message : 'killed'}`,
    );
  }
  const error = new Error(
    `${outcome.stderr || `${file} is not valid`}\n(the same as: npx ecr-sentinel config validate ${file})`,
  );
  // osls prints a failed file function's stack; for a problem in the user's file, where in our code it was found
  // is noise between the located problems and the command that lists them.
  error.stack = error.message;
  throw error;
}

module.exports = { validateConfig };
