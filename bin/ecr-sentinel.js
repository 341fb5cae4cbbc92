#!/usr/bin/env node
// The CLI is TypeScript. `npm run build` (run by `npm ci` and `npm pack`) bundles it into dist/cli, which starts
// in a fraction of the time. In a checkout, when that bundle is missing or older than any file under src/, tsx
// compiles the sources on the fly instead, so an edit is never run stale and there is no build step between
// editing and running. The installed package (npm install ecr-sentinel) ships the bundle and no src/: the
// bundle is the CLI, and tsx is never loaded but by the local Lambda runtime.
import { pathToFileURL } from 'node:url';
import { BUNDLE_ENTRY, bundleIsFresh, ENTRY_SOURCE, isSourceCheckout } from './cli-bundle.js';

const checkout = isSourceCheckout();
const args = process.argv.slice(2);
const [command] = args;
const help = args.includes('--help') || args.includes('-h');
// The local Lambda runtime (`sandbox` unless --no-runtime or --serverless-file, and `demo`) runs ecr-sentinel's
// own handlers/*.ts, which import src/: the package leaves both out (package.json `files`).
const runsOwnHandlers =
  command === 'demo' ||
  (command === 'sandbox' &&
    !args.includes('--no-runtime') &&
    !args.some((arg) => arg === '--serverless-file' || arg.startsWith('--serverless-file=')));

if (!checkout && runsOwnHandlers && !help) {
  const message =
    `${command} runs ecr-sentinel's Lambda functions from their TypeScript sources, which the installed ` +
    'package does not ship: run it from a clone of the repository (npm ci, then npx ecr-sentinel ' +
    `${command})${command === 'sandbox' ? ', or run `ecr-sentinel sandbox --no-runtime` (AWS without the functions)' : ''}`;
  process.stderr.write(`ecr-sentinel: ${message}\n`);
  if (args.includes('--json'))
    process.stdout.write(
      `${JSON.stringify({ error: { type: 'SourceCheckoutRequired', message } }, null, 2)}\n`,
    );
  process.exitCode = 2;
} else if (bundleIsFresh()) {
  await import(pathToFileURL(BUNDLE_ENTRY).href);
} else if (checkout) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(ENTRY_SOURCE).href);
} else {
  process.stderr.write(`ecr-sentinel: ${BUNDLE_ENTRY} is missing: reinstall the package\n`);
  process.exitCode = 2;
}
