import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { InvalidEventError, parseEvent } from '../../src/shared/lambda/parse-event.ts';

const schema = z.object({ id: z.string().max(64), detail: z.record(z.string(), z.number()) });
const handler = middy<z.output<typeof schema>, unknown, Error, Context>()
  .use(parseEvent(schema))
  .handler(async () => 'ok');

async function rejection(event: unknown): Promise<InvalidEventError> {
  try {
    await handler(event as z.output<typeof schema>, {} as Context);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('the event was accepted');
}

describe('parseEvent', () => {
  it('names the bad field', async () => {
    const error = await rejection({ id: 'e-1', detail: { a: 'x' } });
    expect(error.message).toContain('invalid event e-1: detail.a:');
    expect(error.retryable).toBe(false);
  });

  it('keeps the error small whatever the event: a 300 KB id, long keys and many problems (the id is one of them)', async () => {
    const detail = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`${'k'.repeat(5_000)}${i}`, 'not a number']),
    );
    const error = await rejection({ id: 'x'.repeat(300_000), detail });
    expect(error.message.length).toBeLessThan(10_000);
    expect(error.eventId?.length).toBeLessThan(200);
    expect(error.problems).toHaveLength(21);
    expect(error.problems.at(-1)).toBe('and 481 more problems');
  });
});
