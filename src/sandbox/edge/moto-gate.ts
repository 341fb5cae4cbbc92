/**
 * moto runs DynamoDB's TransactWriteItems on its shared tables with a deep copy of them for rollback, while other
 * requests (served on other threads) change them: the copy then fails with "dictionary changed size during
 * iteration" and moto answers an HTML 500 — where DynamoDB would answer, or cancel with TransactionConflict.
 * The edge therefore lets a transaction reach moto only alone, and other DynamoDB requests only while none is
 * in flight (a readers-writer gate, first come first served). moto answers after it has handled the request,
 * so the gate is held until the answer's headers arrive.
 */

interface Waiter {
  exclusive: boolean;
  start: () => void;
}

/** A first-come-first-served readers-writer gate around requests to moto. */
export class MotoGate {
  private shared = 0;
  private exclusive = false;
  private readonly waiting: Waiter[] = [];

  /** Run `work` alone (`exclusive`) or alongside other non-exclusive work. */
  async run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || !this.admits(exclusive)) {
      await new Promise<void>((start) => this.waiting.push({ exclusive, start }));
    } else {
      this.enter(exclusive);
    }
    try {
      return await work();
    } finally {
      if (exclusive) this.exclusive = false;
      else this.shared--;
      this.wake();
    }
  }

  private admits(exclusive: boolean): boolean {
    return exclusive ? !this.exclusive && this.shared === 0 : !this.exclusive;
  }

  private enter(exclusive: boolean): void {
    if (exclusive) this.exclusive = true;
    else this.shared++;
  }

  private wake(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0] as Waiter;
      if (!this.admits(next.exclusive)) return;
      this.waiting.shift();
      this.enter(next.exclusive);
      next.start();
    }
  }
}

/** DynamoDB actions moto must run alone. */
export function isDynamoTransaction(service: string, action: string): boolean {
  return service === 'dynamodb' && (action === 'TransactWriteItems' || action === 'TransactGetItems');
}
