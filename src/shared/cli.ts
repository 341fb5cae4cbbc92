/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** A check ran and failed (invalid config, failing gate). */
  failed: 1,
  /** Bad arguments, or something the command needs is unavailable. */
  usage: 2,
} as const;

/**
 * Report a usage error the one way every command does: `ecr-sentinel: <message>` on stderr and exit code
 * {@link EXIT.usage}. The message names the bad option or the missing dependency; the command then returns.
 */
export function usageError(message: string): void {
  process.stderr.write(`ecr-sentinel: ${message}\n`);
  process.exitCode = EXIT.usage;
}
