import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventEntry } from './contracts.ts';

/**
 * Forwards the emulator's events to moto's default event bus in order, batched (at most 10 per PutEvents),
 * without ever blocking the ECR request that emitted them.
 */
export class EventForwarder {
  private queue: EventEntry[] = [];
  private draining: Promise<void> | undefined;
  /** Entries moto accepted / failed (for health). */
  sent = 0;
  failed = 0;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly log: (message: string) => void,
  ) {}

  emit(entries: EventEntry[]): void {
    if (entries.length === 0) return;
    this.queue.push(...entries);
    if (!this.draining) {
      this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 10);
        try {
          const result = await this.client.send(
            new PutEventsCommand({ Entries: batch.map((entry) => ({ ...entry, EventBusName: 'default' })) }),
          );
          const failedCount = result.FailedEntryCount ?? 0;
          this.failed += failedCount;
          this.sent += batch.length - failedCount;
          if (failedCount > 0) {
            const reasons = (result.Entries ?? []).filter((e) => e.ErrorCode).map((e) => e.ErrorCode);
            this.log(
              `events: moto rejected ${failedCount} of ${batch.length} entries (${reasons.join(', ')})`,
            );
          }
        } catch (error) {
          this.failed += batch.length;
          this.log(
            `events: PutEvents to moto failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** Resolve once every event emitted so far has been sent (or failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Drop pending events (reset) and wait for the batch in flight. */
  async discard(): Promise<void> {
    this.queue = [];
    await this.flush();
  }
}
