/**
 * Where the sandbox listens unless told otherwise. A module of its own so that `ecr-sentinel sandbox --help` can
 * show them without loading the sandbox (its SDK clients, emulator and runtime) that `server.ts` brings.
 */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4566;
