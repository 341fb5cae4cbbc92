/**
 * What `/_sandbox/idle` (the runtime's `idle()`) waits on: the runtime's own work in progress — invocations,
 * message batches, delete flushes — counted here, together with the queues it polls being empty.
 */

/** How often idle() looks again. */
const CHECK_EVERY_MS = 25;

export class WorkTracker {
  private busy = 0;
  /** Changes whenever counted work starts or ends, so idle() notices work that came and went between looks. */
  private generation = 0;

  /** Runs `work` counted as in progress. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    this.generation++;
    try {
      return await work();
    } finally {
      this.busy--;
      this.generation++;
    }
  }

  /** Counts something in progress until the returned function is called (work not wrapped in a promise). */
  hold(): () => void {
    this.busy++;
    return () => {
      this.busy--;
    };
  }

  /**
   * Resolves once nothing is in progress and `queuesEmpty()` holds on two looks in a row with no work in
   * between; a message in flight between a queue and us would otherwise pass for idle.
   * @throws Error when that does not happen within `timeoutMs`
   */
  async idle(timeoutMs: number, queuesEmpty: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let clean = 0;
    let seen = -1;
    while (Date.now() < deadline) {
      if (this.busy === 0) {
        const before = this.generation;
        const empty = await queuesEmpty();
        if (empty && this.busy === 0 && this.generation === before) {
          clean = seen === this.generation ? clean + 1 : 1;
          seen = this.generation;
          if (clean >= 2) return;
        } else clean = 0;
      } else clean = 0;
      await new Promise<void>((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
    }
    throw new Error(`local Lambda runtime not idle after ${timeoutMs} ms (${this.busy} tasks running)`);
  }
}
