import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { RegistryRef } from '../../src/sandbox/contracts.ts';
import { EventForwarder } from '../../src/sandbox/events.ts';

describe('event forwarding per registry', () => {
  /** A client that records the `n` of each entry it is sent, under `name`. */
  function recorder(sent: Array<[string, number[]]>, name: string) {
    return {
      send: async (command: PutEventsCommand) => {
        const entries = command.input.Entries ?? [];
        sent.push([name, entries.map((e) => JSON.parse(e.Detail ?? '{}').n)]);
        return { FailedEntryCount: 0, Entries: [] };
      },
    } as unknown as EventBridgeClient;
  }
  const entries = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      Source: 'aws.ecr',
      DetailType: 'ECR Image Action',
      Detail: JSON.stringify({ n: from + i }),
      Resources: [],
      Time: new Date(),
    }));
  const SOURCE: RegistryRef = { accountId: '111111111111', region: 'us-east-1' };
  const WEST: RegistryRef = { accountId: '111111111111', region: 'eu-west-1' };

  it('sends each registry’s events through its own client, in order, never mixing two in a batch', async () => {
    // Prepare
    const sent: Array<[string, number[]]> = [];
    const forwarder = new EventForwarder(
      recorder(sent, 'home'),
      () => {},
      (origin) => recorder(sent, `${origin.accountId}/${origin.region}`),
    );
    // Act
    forwarder.emit(entries(0, 2));
    forwarder.emit(entries(2, 12), SOURCE);
    forwarder.emit(entries(14, 1), { ...SOURCE });
    forwarder.emit(entries(15, 1), WEST);
    forwarder.emit(entries(16, 1));
    await forwarder.flush();
    // Assess
    expect(sent).toEqual([
      ['home', [0, 1]],
      ['111111111111/us-east-1', [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
      ['111111111111/us-east-1', [12, 13, 14]],
      ['111111111111/eu-west-1', [15]],
      ['home', [16]],
    ]);
    expect(forwarder.sent).toBe(17);
  });

  it('counts events of another registry as failed when it has no way to reach that account', async () => {
    const sent: Array<[string, number[]]> = [];
    const forwarder = new EventForwarder(recorder(sent, 'home'), () => {});
    forwarder.emit(entries(0, 3), SOURCE);
    forwarder.emit(entries(3, 1));
    await forwarder.flush();
    expect(sent).toEqual([['home', [3]]]);
    expect([forwarder.sent, forwarder.failed]).toEqual([1, 3]);
  });
});
