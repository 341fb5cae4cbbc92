/**
 * The CLI as a process runs it: what bin/ecr-sentinel.js loads, from source (through tsx) or bundled
 * (`npm run build`: dist/cli/ecr-sentinel.js, which `node` also runs directly).
 */
import { main } from './main.ts';

// The lockfile pins SDK versions that support Node 20; their notice about releases from 2027 is noise here.
// SDK clients read it when constructed, and every command loads its clients after this line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await main(process.argv);
