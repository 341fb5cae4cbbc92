import { describe, expect, it } from 'vitest';
import { type ChangeDeps, checkChange, complianceMessages, startSweep } from '../../src/compliance/check.ts';
import type { ComplianceQueue, RepositoryLister } from '../../src/compliance/check-ports.ts';
import type { ComplianceMessage } from '../../src/compliance/events.ts';

function queue(): ComplianceQueue & { sent: ComplianceMessage[] } {
  const sent: ComplianceMessage[] = [];
  return {
    sent,
    async send(messages) {
      sent.push(...messages);
    },
  };
}

const lister = (count: number): RepositoryLister => ({
  names: async () => Array.from({ length: count }, (_, i) => `repo-${String(i).padStart(3, '0')}`),
});

describe('fanning compliance checks out', () => {
  it('batches 25 repositories per message, the registry in the first only', () => {
    const messages = complianceMessages(
      { trigger: { kind: 'sweep', id: 'run-1' }, enforce: true },
      Array.from({ length: 60 }, (_, i) => `r${i}`),
      true,
    );

    expect(messages.map((m) => [m.repositoryNames.length, m.registry])).toEqual([
      [25, true],
      [25, false],
      [10, false],
    ]);
  });

  it('still checks the registry when there is no repository', () => {
    expect(complianceMessages({ trigger: { kind: 'sweep', id: 'run-1' }, enforce: true }, [], true)).toEqual([
      {
        version: 1,
        trigger: { kind: 'sweep', id: 'run-1' },
        enforce: true,
        repositoryNames: [],
        registry: true,
      },
    ]);
  });

  it("queues every repository's scanning check when the registry's scanning rules change and there are many", async () => {
    const sent = queue();
    // Only the listing and the queue are reached above the inline limit.
    const deps = { lister: lister(60), queue: sent } as unknown as ChangeDeps;

    const outcome = await checkChange(
      deps,
      {
        kind: 'check',
        call: 'PutRegistryScanningConfiguration',
        trigger: { kind: 'cloudtrail', id: 'e1', eventName: 'PutRegistryScanningConfiguration' },
        target: { scope: 'every-repository' },
      },
      { controls: ['scanning'], enforce: false },
    );

    expect(outcome).toEqual({ triggerId: 'e1', queued: 3, repositories: 60 });
    expect(sent.sent.every((m) => m.controls?.join() === 'scanning' && !m.enforce && !m.registry)).toBe(true);
    expect(sent.sent.flatMap((m) => m.repositoryNames)).toHaveLength(60);
  });

  it('sweeps the repositories asked for, or every one, enforcing what the config says', async () => {
    const sent = queue();

    const asked = await startSweep(
      { lister: lister(3), queue: sent },
      { runId: 'run-2', repositories: ['b', 'a', 'b'] },
    );
    const all = await startSweep({ lister: lister(3), queue: sent }, { runId: 'run-3' });

    expect(asked).toEqual({ runId: 'run-2', repositories: 2, messages: 1 });
    expect(all).toEqual({ runId: 'run-3', repositories: 3, messages: 1 });
    expect(sent.sent[0]).toMatchObject({ repositoryNames: ['a', 'b'], registry: true, enforce: true });
  });
});
