/** The checkout's root. */
export declare const ROOT: string;
/** What the bundle is built from: the CLI's entry module, under src/. */
export declare const ENTRY_SOURCE: string;
/** The bundle's directory (dist/cli). */
export declare const BUNDLE_DIR: string;
/** The bundle's entry: `node dist/cli/ecr-sentinel.js ARGS` is the CLI. Its mtime is when its build started. */
export declare const BUNDLE_ENTRY: string;
/** Whether the bundle exists and nothing it is built from (src/, the lockfile) changed since its build started. */
export declare function bundleIsFresh(): boolean;
