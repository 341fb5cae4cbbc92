/** The checkout's root, or the installed package's (node_modules/ecr-sentinel). */
export declare const ROOT: string;
/** What the bundle is built from: the CLI's entry module, under src/. */
export declare const ENTRY_SOURCE: string;
/** The bundle's directory (dist/cli). */
export declare const BUNDLE_DIR: string;
/** The bundle's entry: `node dist/cli/ecr-sentinel.js ARGS` is the CLI. Its mtime is when its build started. */
export declare const BUNDLE_ENTRY: string;
/** Whether this is a source checkout (src/ is there) rather than the installed package (the bundle only). */
export declare function isSourceCheckout(): boolean;
/**
 * Whether the bundle exists and nothing it is built from (src/, the lockfile) changed since its build started;
 * in an installed package (no src/), whether it exists.
 */
export declare function bundleIsFresh(): boolean;
