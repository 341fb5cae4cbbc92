/** The time source use cases read; handlers pass {@link systemClock}, tests a fixed one. */
export interface Clock {
  now(): Date;
}

/**
 * What answers {@link systemClock} instead of the wall clock: a function returning the time, or undefined for
 * the wall clock. Kept on `globalThis` under a registered symbol, because the one process may hold this module
 * more than once (the bundled CLI next to handlers loaded from source, a test runner's module graph next to
 * handlers imported by URL) and every copy must read the same source.
 */
type TimeSource = () => Date | undefined;
const SOURCE = Symbol.for('ecr-sentinel.time-source');
const holder = globalThis as typeof globalThis & { [SOURCE]?: TimeSource };

/**
 * Wall-clock time, for handlers and commands: `new Date()` unless a time source is installed. The sandbox's local
 * Lambda runtime installs one that answers, inside an invocation, with the sandbox clock (`POST /_sandbox/clock`),
 * so the functions it runs see the time the sandbox was set to. In AWS nothing is installed.
 */
export const systemClock: Clock = { now: () => holder[SOURCE]?.() ?? new Date() };

/**
 * Make {@link systemClock} answer with `source` (which may return undefined for "the wall clock, here"), until
 * the returned function is called; that restores the source installed before.
 */
export function installTimeSource(source: TimeSource): () => void {
  const previous = holder[SOURCE];
  holder[SOURCE] = source;
  return () => {
    if (holder[SOURCE] === source) holder[SOURCE] = previous;
  };
}
