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
        throw new InvalidEventError(
          typeof raw?.id === 'string' ? raw.id : undefined,
          result.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`),
          { cause: result.error },
        );
      }
      request.event = result.data;
    },
  };
}
