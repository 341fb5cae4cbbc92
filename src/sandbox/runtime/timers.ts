/**
 * The timers the runtime starts while it runs — async retry delays, polling back-off, the schedule ticker — held in
 * one place so that stopping the runtime clears every one: a timer left behind keeps the process alive after its
 * work has ended.
 */
export class Timers {
  /** Pending timeouts, each with what clearing it does to the promise waiting on it. */
  private readonly pending = new Map<NodeJS.Timeout, () => void>();
  private readonly intervals = new Set<NodeJS.Timeout>();

  /**
   * Resolves after `ms`; never, when {@link clear} comes first. What waits on it is abandoned at stop: an async
   * retry still waiting when the runtime stops is not run (the runtime no longer invokes anything).
   */
  delay(ms: number): Promise<void> {
    return this.timeout(ms, false);
  }

  /** Resolves after `ms`, or as soon as {@link clear} is called: a wait that stopping ends early. */
  wait(ms: number): Promise<void> {
    return this.timeout(ms, true);
  }

  /** Calls `tick` every `ms` until {@link clear}; it never keeps the process alive on its own. */
  every(ms: number, tick: () => void): void {
    const interval = setInterval(tick, ms);
    interval.unref();
    this.intervals.add(interval);
  }

  /** Clears every timer started so far. */
  clear(): void {
    for (const interval of this.intervals) clearInterval(interval);
    this.intervals.clear();
    const cleared = [...this.pending];
    this.pending.clear();
    for (const [timer, onClear] of cleared) {
      clearTimeout(timer);
      onClear();
    }
  }

  private timeout(ms: number, resolveOnClear: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.set(timer, resolveOnClear ? resolve : () => {});
    });
  }
}

/**
 * Resolves when `work` settles or after `ms`, whichever comes first, and clears its timer either way (a bounded
 * wait whose timer outlives it would hold the process open for the rest of `ms`).
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work.then(noop, noop), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
