/** The time source use cases read; handlers pass {@link systemClock}, tests a fixed one. */
export interface Clock {
  now(): Date;
}

/** Wall-clock time, for handlers and commands. */
export const systemClock: Clock = { now: () => new Date() };
