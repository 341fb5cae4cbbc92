import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import type { EventEntry, RegistryRef } from './contracts.ts';

/**
 * Forwards the emulator's events to moto's default event bus in order, batched (at most 10 per PutEvents),
 * without ever blocking the ECR request that emitted them. Events of another account's or Region's registry go
 * to that account's default bus in that Region, through `clientFor`; without it they are dropped (counted as
 * failed).
 */
export class EventForwarder {
  private queue: EventEntry[] = [];
  /** The registry each queued entry comes from (undefined: the sandbox's own), index for index. */
  private origins: Array<RegistryRef | undefined> = [];
  private draining: Promise<void> | undefined;
  /** Entries moto accepted / failed (for health). */
  sent = 0;
  failed = 0;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly log: (message: string) => void,
    private readonly clientFor?: (origin: RegistryRef) => EventBridgeClient,
  ) {}

  emit(entries: EventEntry[], origin?: RegistryRef): void {
    if (entries.length === 0) return;
    this.queue.push(...entries);
    for (let i = 0; i < entries.length; i++) this.origins.push(origin);
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
        // A batch holds consecutive entries of one registry: each goes to its own account's bus.
        const origin = this.origins[0];
        let size = 1;
        while (size < 10 && size < this.queue.length && sameRegistry(this.origins[size], origin)) size++;
        const batch = this.queue.splice(0, size);
        this.origins.splice(0, size);
        const client = origin === undefined ? this.client : this.clientFor?.(origin);
        if (!client) {
          this.failed += batch.length;
          continue;
        }
        try {
          const result = await client.send(
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
    this.origins = [];
    await this.flush();
  }
}

function sameRegistry(a: RegistryRef | undefined, b: RegistryRef | undefined): boolean {
  return (
    a === b || (a !== undefined && b !== undefined && a.accountId === b.accountId && a.region === b.region)
  );
}

/**
 * EventBridge clients for moto in any account and Region: moto serves the account an `x-moto-account-id`
 * header names (checked with moto 5.2.1), and the Region of the request's signature.
 */
export class AccountEventClients {
  private readonly clients = new Map<string, EventBridgeClient>();

  constructor(private readonly config: EventBridgeClientConfig) {}

  clientFor(origin: RegistryRef): EventBridgeClient {
    const key = `${origin.accountId}/${origin.region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new EventBridgeClient({ ...this.config, region: origin.region });
      client.middlewareStack.add(
        (next) => (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers) request.headers['x-moto-account-id'] = origin.accountId;
          return next(args);
        },
        { step: 'build', name: 'motoAccountId' },
      );
      this.clients.set(key, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}
