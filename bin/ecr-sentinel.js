#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so there is no build step between `npm ci` and use.
import { register } from 'tsx/esm/api';

// The lockfile pins SDK versions that support Node 20; its notice about releases from 2027 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
