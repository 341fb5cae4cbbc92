/**
 * moto serves requests on several threads and locks nothing:
 * - it runs DynamoDB's TransactWriteItems with a deep copy of the shared tables for rollback while other requests
 *   change them; the copy then fails with "dictionary changed size during iteration" and moto answers an HTML 500
 *   — where DynamoDB would answer, or cancel with TransactionConflict;
 * - a conditional PutItem / UpdateItem / DeleteItem checks its condition and then writes, so two concurrent ones
 *   can both pass a condition only one of them may (DynamoDB applies each write atomically): two copies of one
 *   event both claimed "the" alert. An UpdateItem's ADD is a read-modify-write the same way.
 * The edge therefore lets a DynamoDB write reach moto only alone, and reads only while no write is in flight (a
 * readers-writer gate, first come first served). moto answers after it has handled the request, so the gate is
 * held until the answer's headers arrive.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
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

/** DynamoDB actions moto must run alone: every write (see the module comment) and transactions. */
const EXCLUSIVE_DYNAMODB_ACTIONS: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'TransactGetItems',
]);

/** Whether the request must reach moto alone. */
export function isExclusiveDynamoRequest(service: string, action: string): boolean {
  return service === 'dynamodb' && EXCLUSIVE_DYNAMODB_ACTIONS.has(action);
}
