/**
 * Invoking functions as Lambda does, on top of the in-process {@link Invoker}: every invocation counted and kept in
 * the history, and asynchronous invocations retried (maximumRetryAttempts) and then sent to the function's
 * onFailure destination with Lambda's destination record.
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionModel } from './config.ts';
import type { InvocationError, InvocationResult, Invoker } from './invoker.ts';
import type { ResourceRegistry } from './resources.ts';
import type { Timers } from './timers.ts';

export interface FunctionStats {
  invocations: number;
  errors: number;
  retries: number;
  failuresSentToDestination: number;
}

/** One finished invocation, kept in the runtime's history (newest last). */
export interface InvocationRecord {
  function: string;
  requestId?: string;
  /** What triggered it: `source detail-type` for EventBridge, `aws:sns` / `aws:sqs`, or `direct`. */
  trigger: string;
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  at: string;
}

/** How many invocations the history keeps. */
const HISTORY_LIMIT = 1000;

function triggerOf(event: unknown): string {
  const e = event as {
    source?: unknown;
    'detail-type'?: unknown;
    Records?: Array<{ EventSource?: unknown; eventSource?: unknown }>;
  };
  if (typeof e?.source === 'string') return `${e.source} ${String(e['detail-type'])}`;
  const record = e?.Records?.[0];
  if (record) return String(record.EventSource ?? record.eventSource);
  return 'direct';
}

export interface InvocationsOptions {
  functions: readonly FunctionModel[];
  invoker: Invoker;
  clients: { sqs: SQSClient; sns: SNSClient };
  /** Where an onFailure queue declared in serverless.yml finds its URL. */
  registry: ResourceRegistry;
  /** Delays before async retries; the last one repeats. */
  retryDelaysMs: readonly number[];
  timers: Timers;
  /** True once the runtime is stopping: a failed async invocation goes to its destination without retrying. */
  isStopped: () => boolean;
  now: () => Date;
  log: (line: string) => void;
}

export class Invocations {
  private readonly counters: Record<string, FunctionStats> = {};
  private readonly records: InvocationRecord[] = [];

  constructor(private readonly options: InvocationsOptions) {
    for (const fn of options.functions) {
      this.counters[fn.key] = { invocations: 0, errors: 0, retries: 0, failuresSentToDestination: 0 };
    }
  }

  /** One invocation, counted and recorded in the history. Never throws. */
  async invoke(fn: FunctionModel, event: unknown, requestId?: string): Promise<InvocationResult> {
    const counters = this.counters[fn.key] as FunctionStats;
    counters.invocations++;
    const outcome = await this.options.invoker.invoke(fn, event, requestId);
    if (!outcome.ok) counters.errors++;
    this.records.push({
      function: fn.key,
      requestId,
      trigger: triggerOf(event),
      ok: outcome.ok,
      ...(outcome.ok ? { result: outcome.result } : { error: outcome.error }),
      at: this.options.now().toISOString(),
    });
    if (this.records.length > HISTORY_LIMIT) this.records.splice(0, this.records.length - HISTORY_LIMIT);
    return outcome;
  }

  /** Async Lambda semantics: the attempt, up to maximumRetryAttempts retries, then the onFailure destination. */
  async invokeAsync(fn: FunctionModel, event: unknown): Promise<void> {
    const { retryDelaysMs, timers, isStopped } = this.options;
    const requestId = randomUUID();
    let attempts = 0;
    for (;;) {
      attempts++;
      const outcome = await this.invoke(fn, event, requestId);
      if (outcome.ok) return;
      if (attempts > fn.maximumRetryAttempts || isStopped()) {
        await this.sendToDestination(fn, event, requestId, outcome.error, attempts);
        return;
      }
      (this.counters[fn.key] as FunctionStats).retries++;
      await timers.delay(retryDelaysMs[attempts - 1] ?? retryDelaysMs[retryDelaysMs.length - 1] ?? 0);
    }
  }

  /** The record Lambda sends to an onFailure destination, sent to its queue or topic. */
  private async sendToDestination(
    fn: FunctionModel,
    event: unknown,
    requestId: string,
    error: InvocationError,
    attempts: number,
  ): Promise<void> {
    const { clients, registry, now, log } = this.options;
    const destination = fn.onFailure;
    if (!destination) {
      log(
        `[${fn.key}] async invocation ${requestId} failed after ${attempts} attempts; no onFailure destination`,
      );
      return;
    }
    const record = {
      version: '1.0',
      timestamp: now().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${fn.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: error,
    };
    try {
      if (destination.type === 'sqs') {
        const name = destination.arn.split(':').pop() as string;
        const url =
          [...registry.declarations.keys()]
            .map((id) => registry.physical(id))
            .find((physical) => physical.arn === destination.arn)?.url ??
          (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
        await clients.sqs.send(
          new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(record) }),
        );
      } else {
        await clients.sns.send(
          new PublishCommand({ TopicArn: destination.arn, Message: JSON.stringify(record) }),
        );
      }
      (this.counters[fn.key] as FunctionStats).failuresSentToDestination++;
      log(`[${fn.key}] async invocation ${requestId} failed ${attempts} times; sent to ${destination.arn}`);
    } catch (sendError) {
      log(
        `[${fn.key}] could not send failure of ${requestId} to ${destination.arn}: ${(sendError as Error).message}`,
      );
    }
  }

  /** The most recent invocations, oldest first (a copy). */
  history(): InvocationRecord[] {
    return this.records.slice();
  }

  /** Counters per function key (a copy). */
  stats(): Record<string, FunctionStats> {
    return JSON.parse(JSON.stringify(this.counters)) as Record<string, FunctionStats>;
  }
}
