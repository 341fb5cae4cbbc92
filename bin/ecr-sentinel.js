#!/usr/bin/env node
// The CLI is TypeScript. `npm run build` (run by `npm ci`) bundles it into dist/cli, which starts in a fraction
// of the time; when that bundle is missing or older than any file under src/, tsx compiles the sources on the
// fly instead, so an edit is never run stale and there is no build step between editing and running.
import { pathToFileURL } from 'node:url';
import { BUNDLE_ENTRY, bundleIsFresh, ENTRY_SOURCE } from './cli-bundle.js';

if (bundleIsFresh()) {
  await import(pathToFileURL(BUNDLE_ENTRY).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(ENTRY_SOURCE).href);
}
