/**
 * Firing the functions' `schedule` events against the sandbox clock, as EventBridge's scheduled rules would: each
 * schedule's next firing (from schedule.ts, which parses the expressions) compared with `now()` on a tick, and the
 * scheduled event — or the schedule's `input` — invoked asynchronously.
 */
import { type EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import type { EventModel, FunctionModel } from './config.ts';
import { nextFiring } from './schedule.ts';
import { scheduledEvent } from './shapes.ts';
import type { Timers } from './timers.ts';

export type ScheduleEvent = Extract<EventModel, { kind: 'schedule' }>;

export interface SchedulerOptions {
  events: EventBridgeClient;
  region: string;
  accountId: string;
  /** The sandbox clock. */
  now: () => Date;
  /** How often schedules compare `now()` with their next firing. */
  tickMs: number;
  timers: Timers;
  /** Invokes `fn` asynchronously with `payload` (a firing is not awaited, as EventBridge does not wait). */
  fire: (fn: FunctionModel, payload: unknown) => void;
  debug: (line: string) => void;
}

export class Scheduler {
  private readonly schedules: Array<{ fn: FunctionModel; event: ScheduleEvent; next?: Date }> = [];

  constructor(private readonly options: SchedulerOptions) {}

  /** Declares a function's schedule: its rule in moto (for the record; moto never fires it) and its firings here. */
  async add(fn: FunctionModel, event: ScheduleEvent): Promise<void> {
    try {
      await this.options.events.send(
        new PutRuleCommand({
          Name: event.ruleName,
          ScheduleExpression: event.expression,
          State: event.enabled ? 'ENABLED' : 'DISABLED',
        }),
      );
    } catch (error) {
      this.options.debug(`schedule rule ${event.ruleName} not created in moto: ${(error as Error).message}`);
    }
    this.schedules.push({ fn, event });
  }

  /** Starts the clock: every enabled schedule fires at its first firing after now and on from there. */
  start(): void {
    const { now, tickMs, timers } = this.options;
    const start = now();
    for (const entry of this.schedules) entry.next = nextFiring(entry.event.schedule, start);
    if (!this.schedules.some((entry) => entry.event.enabled)) return;
    timers.every(tickMs, () => {
      const current = now();
      for (const entry of this.schedules) {
        if (!entry.event.enabled || !entry.next || current < entry.next) continue;
        entry.next = nextFiring(entry.event.schedule, current);
        this.fire(entry.fn, entry.event);
      }
    });
  }

  /** Fires a schedule now: its `input`, or the scheduled event EventBridge sends. */
  fire(fn: FunctionModel, event: ScheduleEvent): void {
    const payload =
      event.input !== undefined
        ? typeof event.input === 'string'
          ? JSON.parse(event.input)
          : event.input
        : this.scheduledEvent(event.ruleName);
    this.options.fire(fn, payload);
  }

  /** The `Scheduled Event` EventBridge sends for the rule named `ruleName`, timed by the sandbox clock. */
  scheduledEvent(ruleName: string): ReturnType<typeof scheduledEvent> {
    const { region, accountId, now } = this.options;
    return scheduledEvent({
      ruleArn: `arn:aws:events:${region}:${accountId}:rule/${ruleName}`,
      account: accountId,
      region,
      time: now(),
    });
  }
}
