// Where `npm run build` (scripts/build-cli.ts) puts the CLI bundle, and whether it may be run: one home for the
// bin, the build script and the tests. Plain JavaScript, as the bin loads it before anything can compile.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root, or the installed package's (node_modules/ecr-sentinel). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the bundle is built from: the CLI's entry module, under src/. */
export const ENTRY_SOURCE = join(ROOT, 'src', 'cli', 'entry.ts');

/**
 * The bundle's directory. Its chunks sit two levels below the root, as src/shared/project-root.ts does, so that
 * module's `new URL('../..', import.meta.url)` names the same root bundled or not.
 */
export const BUNDLE_DIR = join(ROOT, 'dist', 'cli');

/** The bundle's entry: `node dist/cli/ecr-sentinel.js ARGS` is the CLI. Its mtime is when its build started. */
export const BUNDLE_ENTRY = join(BUNDLE_DIR, 'ecr-sentinel.js');

/** Besides src/: the lockfile, which says what the bundled packages are. */
const INPUT_FILES = [join(ROOT, 'package-lock.json')];

/**
 * Whether this is a source checkout (src/ is there) rather than the package npm installs, which ships the bundle
 * and not the sources (package.json `files`): installed, the bundle is the CLI.
 */
export function isSourceCheckout() {
  return existsSync(ENTRY_SOURCE);
}

/**
 * Whether the bundle exists and nothing it is built from changed since its build started: no file or directory
 * under src/ (a directory's mtime moves when a file in it is added, removed or renamed) and not the lockfile.
 * Without src/ (an installed package) there is nothing to compare with, and an existing bundle is fresh.
 * About 250 stat calls in a checkout; see README (The command line) for what it costs.
 * @returns false when the bundle is missing or older than a source, so that edited code never runs stale
 */
export function bundleIsFresh() {
  const built = statSync(BUNDLE_ENTRY, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  if (!isSourceCheckout()) return true;
  for (const file of INPUT_FILES) {
    if ((statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > built) return false;
  }
  return !newerThan(join(ROOT, 'src'), built);
}

/** Whether `dir`, or anything under it, was modified after `time` (ms since the epoch). */
function newerThan(dir, time) {
  if (statSync(dir).mtimeMs > time) return true;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? newerThan(path, time) : statSync(path).mtimeMs > time) return true;
  }
  return false;
}
