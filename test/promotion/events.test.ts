import { describe, expect, it } from 'vitest';
import { promoteImageEventSchema } from '../../src/promotion/events.ts';

const ID = '01JDX3Q4RZ8W8V5K2M7N9P0QRS';

function issues(value: unknown): string[] {
  const result = promoteImageEventSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('promoteImage requests', () => {
  it('take a direct invocation', () => {
    expect(
      promoteImageEventSchema.parse({
        action: 'promote',
        app: 'orders-api',
        version: '1.4.2',
        to: 'prod',
        by: 'alice',
      }),
    ).toEqual({ action: 'promote', app: 'orders-api', version: '1.4.2', to: 'prod', by: 'alice' });
    expect(
      promoteImageEventSchema.parse({ action: 'reject', id: ID, by: 'bob', reason: ' freeze ' }),
    ).toEqual({
      action: 'reject',
      id: ID,
      by: 'bob',
      reason: 'freeze',
    });
  });

  it('take the EventBridge events, the action from the detail-type', () => {
    const event = (detailType: string, detail: object) => ({
      version: '0',
      id: 'e1',
      source: 'ecr-sentinel',
      'detail-type': detailType,
      account: '123456789012',
      region: 'us-east-1',
      time: '2026-11-27T10:00:00Z',
      resources: [],
      detail,
    });
    expect(promoteImageEventSchema.parse(event('Promotion Approved', { id: ID, by: 'bob' }))).toEqual({
      action: 'approve',
      id: ID,
      by: 'bob',
    });
    expect(
      promoteImageEventSchema.parse(
        event('Promotion Requested', {
          app: 'orders-api',
          version: '1.4.2',
          to: 'staging',
          from: 'dev',
          by: 'ci',
        }),
      ),
    ).toMatchObject({ action: 'promote', from: 'dev' });
    expect(issues(event('Promotion Completed', {}))).toEqual([
      'detail-type: Invalid option: expected one of "Promotion Requested"|"Promotion Approved"',
    ]);
    expect(issues({ ...event('Promotion Requested', {}), source: 'aws.ecr' })).toEqual([
      'source: Invalid input: expected "ecr-sentinel"',
    ]);
  });

  it('name the field that is wrong', () => {
    expect(issues({ action: 'approve', id: 'nope', by: 'bob' })).toEqual([
      'id: expected a promotion id (26 characters, e.g. 01JDX3…)',
    ]);
    expect(issues({ action: 'promote', app: 'Orders API', version: '1', to: 'prod', by: 'a' })).toEqual([
      'app: expected a valid ECR repository name part (lower case, digits, . _ - /)',
    ]);
    expect(issues({ action: 'promote', app: 'a', version: '1', to: 'prod', by: 'a', extra: 1 })).toEqual([
      ': Unrecognized key: "extra"',
    ]);
    expect(issues({ action: 'reject', id: ID, by: 'b' })).toEqual([
      'reason: Invalid input: expected string, received undefined',
    ]);
    expect(issues({ action: 'delete' })).toHaveLength(1);
  });
});
