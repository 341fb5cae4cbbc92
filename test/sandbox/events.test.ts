import type { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { EventForwarder } from '../../src/sandbox/events.ts';

describe('event forwarding', () => {
  function fakeClient(fail = false) {
    const batches: number[][] = [];
    const client = {
      send: async (command: PutEventsCommand) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (fail) throw new Error('moto down');
        const entries = command.input.Entries ?? [];
        batches.push(entries.map((e) => JSON.parse(e.Detail ?? '{}').n));
        expect(entries.every((e) => e.EventBusName === 'default')).toBe(true);
        return { FailedEntryCount: 0, Entries: [] };
      },
    } as unknown as EventBridgeClient;
    return { client, batches };
  }
  const entries = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      Source: 'aws.ecr',
      DetailType: 'ECR Image Action',
      Detail: JSON.stringify({ n: from + i }),
      Resources: [],
      Time: new Date(),
    }));

  it('sends in order, at most 10 per PutEvents, and flush waits for all of them', async () => {
    // Prepare
    const { client, batches } = fakeClient();
    const forwarder = new EventForwarder(client, () => {});
    // Act
    forwarder.emit(entries(0, 12));
    forwarder.emit(entries(12, 13));
    expect(batches).toEqual([]); // never sent on the emitting request's stack
    await forwarder.flush();
    // Assess
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, n) => n));
    expect(forwarder.sent).toBe(25);
    expect(forwarder.pending).toBe(0);
  });

  it('logs and counts a failed batch and carries on', async () => {
    const { client } = fakeClient(true);
    const lines: string[] = [];
    const forwarder = new EventForwarder(client, (line) => lines.push(line));
    forwarder.emit(entries(0, 3));
    await forwarder.flush();
    expect(forwarder.failed).toBe(3);
    expect(lines.join('\n')).toContain('moto down');
  });
});
