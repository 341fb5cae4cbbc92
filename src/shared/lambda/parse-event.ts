import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { SentinelError } from '../errors.ts';

/** An event that does not have the shape the function handles: final, retrying will not fix it. */
export class InvalidEventError extends SentinelError {
  constructor(
    readonly eventId: string | undefined,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    // Not retryable: the same event fails the same way (Lambda's retries then put it on the onFailure queue).
    super(`invalid event${eventId ? ` ${eventId}` : ''}: ${problems.join('; ')}`, {
      retryable: false,
      cause: options?.cause,
    });
    this.name = 'InvalidEventError';
  }
}

/** Bounds on what an invalid event puts in its error: EventBridge ids are UUIDs, field paths are short. */
const MAX_ID_CHARS = 128;
const MAX_PROBLEMS = 20;
const MAX_PROBLEM_CHARS = 300;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/**
 * An SQS message's body as `schema` reads it, or what is wrong with it (for the log line: the handler reports the
 * message failed, and after the queue's maxReceiveCount SQS moves it to the dead-letter queue with its payload).
 */
export function parseMessageBody<S extends z.ZodType>(body: string, schema: S): z.output<S> | string {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return 'the message body is not JSON';
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, MAX_PROBLEMS)
    .map((i) => clip(`${clip(i.path.join('.'), 200) || '(message)'}: ${i.message}`, MAX_PROBLEM_CHARS));
  return problems.join('; ');
}

/**
 * Validate the event with a zod schema (in place of Powertools' parser middleware, whose error only says
 * "Failed to parse schema") so the error, the log line and the onFailure record name the bad fields.
 */
export function parseEvent<S extends z.ZodType>(
  schema: S,
): MiddlewareObj<z.output<S>, unknown, Error, Context> {
  return {
    before: async (request) => {
      const result = schema.safeParse(request.event);
      if (!result.success) {
        const raw = request.event as { id?: unknown } | undefined;
        // A hostile event must not make the error, the log line and the onFailure record as large as itself.
        const problems = result.error.issues
          .slice(0, MAX_PROBLEMS)
          .map((i) => clip(`${clip(i.path.join('.'), 200) || '(event)'}: ${i.message}`, MAX_PROBLEM_CHARS));
        if (result.error.issues.length > MAX_PROBLEMS) {
          problems.push(`and ${result.error.issues.length - MAX_PROBLEMS} more problems`);
        }
        throw new InvalidEventError(
          typeof raw?.id === 'string' ? clip(raw.id, MAX_ID_CHARS) : undefined,
          problems,
          {
            cause: result.error,
          },
        );
      }
      request.event = result.data;
    },
  };
}
