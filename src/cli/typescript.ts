/**
 * TypeScript at run time for the commands that need it: the local Lambda runtime (sandbox, demo) imports
 * serverless.yml's handlers, which are handlers/*.ts. Run from source the CLI is itself loaded through tsx, so
 * nothing is to be done; run from the prebuilt bundle (dist/cli), tsx is registered here, by those commands only,
 * so that no other command pays for it.
 */

let loading: Promise<void> | undefined;

/** Make `import('….ts')` work in this process (once; a no-op when this code already runs as TypeScript). */
export function loadTypeScript(): Promise<void> {
  // Under tsx this module is the .ts file itself; bundled, it is part of a .js chunk in dist/cli.
  if (import.meta.url.endsWith('.ts')) return Promise.resolve();
  loading ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return loading;
}
