/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** A check ran and failed (invalid config, failing gate). */
  failed: 1,
  /** Bad arguments, or something the command needs is unavailable. */
  usage: 2,
} as const;
