import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { functionAccount, functionWhere } from '../../src/shared/lambda/function-account.ts';
import { InvalidEventError, parseEvent, parseMessageBody } from '../../src/shared/lambda/parse-event.ts';

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

describe('parseMessageBody (an SQS message body)', () => {
  const message = z.object({ runId: z.string(), repositoryName: z.string().min(1) });

  it('returns the message when the body is JSON of its schema', () => {
    expect(parseMessageBody('{"runId":"r1","repositoryName":"orders-api"}', message)).toEqual({
      runId: 'r1',
      repositoryName: 'orders-api',
    });
  });

  it('names what is wrong: not JSON, or each field at fault, bounded', () => {
    expect(parseMessageBody('{"runId":', message)).toBe('the message body is not JSON');
    expect(parseMessageBody('{"runId":1}', message)).toMatch(/^runId: .*; repositoryName: /);
    const many = z.array(z.string());
    const problems = parseMessageBody(JSON.stringify(Array.from({ length: 500 }, (_, i) => i)), many);
    expect(typeof problems === 'string' && problems.split('; ')).toHaveLength(20);
  });
});

describe('functionAccount', () => {
  it('reads the account from a function ARN, qualified or not', () => {
    expect(functionAccount('arn:aws:lambda:eu-west-1:123456789012:function:ecr-sentinel-dev-x')).toBe(
      '123456789012',
    );
    expect(functionAccount('arn:aws:lambda:eu-west-1:123456789012:function:x:live')).toBe('123456789012');
  });

  it('refuses an ARN without an account id, naming it', () => {
    expect(() => functionAccount('arn:aws:lambda:eu-west-1::function:x')).toThrow(
      /arn:aws:lambda:eu-west-1::function:x/,
    );
    expect(() => functionAccount('not an arn')).toThrow(/not an arn/);
  });
});

describe('functionWhere', () => {
  it('names the account, Region and stage, leaving out an unset stage', () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:x';
    expect(functionWhere(arn, 'eu-west-1', 'prod')).toEqual({
      accountId: '123456789012',
      region: 'eu-west-1',
      stage: 'prod',
    });
    expect(functionWhere(arn, 'eu-west-1', undefined)).toEqual({
      accountId: '123456789012',
      region: 'eu-west-1',
    });
  });
});
