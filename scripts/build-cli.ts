/**
 * `npm run build`: the CLI bundled with esbuild into dist/cli (ESM, Node 20), so that it starts without compiling
 * TypeScript. Code splitting keeps each command's implementation (and its SDK clients) in chunks of their own,
 * loaded when that command runs, as from source. bin/ecr-sentinel.js runs the bundle while it is fresh.
 * `--outdir DIR` builds elsewhere (a test does), two levels below the root like dist/cli.
 */
import { mkdir, rename, rm, utimes } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_DIR, BUNDLE_ENTRY, ENTRY_SOURCE, ROOT } from '../bin/cli-bundle.js';

/**
 * zod re-exports its ~40 message locales as a namespace (`z.locales`), so a bundle keeps them all (~370 KB that
 * every command validating anything compiles at start), though zod uses English unless told otherwise and this
 * project never does. The namespace keeps English only.
 */
const englishOnlyZodLocales: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'zod-english-only', pluginData: args.resolveDir }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: args.pluginData as string,
      loader: 'js',
    }));
  },
};

/**
 * Build the bundle into a fresh directory, then put it in place of `outdir` (readers never see half of one).
 * @returns how many JavaScript files it has, their size and how long the build took
 */
async function buildCli(outdir: string = BUNDLE_DIR): Promise<{ files: number; bytes: number; ms: number }> {
  // src/shared/project-root.ts finds the root as `../..` of its own URL, from a chunk as from its source file.
  if (relative(ROOT, outdir).split(sep).length !== 2 || relative(ROOT, outdir).startsWith('..'))
    throw new Error(`--outdir ${outdir}: must be two levels below ${ROOT}, as dist/cli is`);
  // The bundle counts as built when its build started: a source saved during the build makes it stale.
  const started = new Date();
  const staging = `${outdir}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [{ in: ENTRY_SOURCE, out: basename(BUNDLE_ENTRY, '.js') }],
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Chunks next to the entry, so each is two levels below the root (see above).
    chunkNames: '[name]-[hash]',
    // The ES module builds first (for Node, esbuild's default is `main`, the SDK's CommonJS builds): only those
    // tree-shake, so a chunk holds the SDK commands it sends and not every client its imports name.
    mainFields: ['module', 'main'],
    // tsx is loaded at run time by the commands that import TypeScript (src/cli/typescript.ts): keep it a package.
    external: ['tsx', 'tsx/*'],
    // Error classes are reported by name (`{"error": {"type"}}`): renaming them to avoid collisions must not show.
    keepNames: true,
    // Node parses every module a command loads (~1 MB of zod, yaml, commander and ours for an offline plan):
    // minified, each command starts ~50 ms sooner (measured). Names stay (keepNames); the linked source map maps
    // a stack trace back to the sources.
    minify: true,
    // Bundled CommonJS packages (commander, yaml) call require() for Node's own modules; ESM has no require.
    banner: {
      js: "import { createRequire as __sentinelCreateRequire } from 'node:module'; const require = __sentinelCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [englishOnlyZodLocales],
  });
  await mkdir(dirname(outdir), { recursive: true });
  const old = `${outdir}.${process.pid}.old`;
  await rename(outdir, old).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(staging, outdir);
  await rm(old, { recursive: true, force: true });
  await utimes(join(outdir, basename(BUNDLE_ENTRY)), started, started);
  const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
  return {
    files: outputs.length,
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    ms: Date.now() - started.getTime(),
  };
}

const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = values.outdir === undefined ? BUNDLE_DIR : resolve(values.outdir);
const built = await buildCli(outdir);
// On stderr, as esbuild reports: `npm pack --json` runs this (prepare) and its stdout must stay the JSON.
process.stderr.write(
  `${relative(ROOT, join(outdir, basename(BUNDLE_ENTRY)))}: ${built.files} files, ` +
    `${(built.bytes / 1024 / 1024).toFixed(1)} MiB, ${built.ms} ms\n`,
);
