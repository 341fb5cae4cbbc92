/** Records, newest last (the email and Slack outboxes, the findings log). */
export class Outbox<T> {
  private items: T[] = [];
  add(item: T): void {
    this.items.push(item);
  }
  list(): T[] {
    return [...this.items];
  }
  clear(): void {
    this.items = [];
  }
}
