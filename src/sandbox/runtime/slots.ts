/** A counting semaphore: how many invocations of one function run at once (Lambda's concurrency, locally). */
export class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  get free(): number {
    return this.limit - this.used;
  }
  async acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  /** Resolves once at least one slot is free (without taking it). */
  async whenFree(): Promise<void> {
    while (this.used >= this.limit)
      await new Promise<void>((resolve) =>
        this.waiting.push(() => {
          this.used--;
          resolve();
        }),
      );
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}
