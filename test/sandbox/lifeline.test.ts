import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { livePpid, watchParent } from '../../src/sandbox/lifeline.ts';

/** The lifeline's two signs, each on its own; the whole story (a SIGKILLed parent) is exit-with-parent.int.test.ts. */

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchParent', () => {
  it('calls back once when stdin ends', async () => {
    const stdin = new PassThrough();
    const calls: string[] = [];
    watchParent({ stdin, parentPid: 1, currentParentPid: () => 1, onParentGone: (why) => calls.push(why) });
    stdin.write('ignored');
    await tick(10);
    expect(calls).toEqual([]);
    stdin.end();
    await tick(10);
    expect(calls).toEqual(['stdin closed']);
  });

  it('calls back once when the parent process changes', async () => {
    let ppid = 4242;
    const calls: string[] = [];
    watchParent({
      stdin: new PassThrough(),
      parentPid: 4242,
      currentParentPid: () => ppid,
      intervalMs: 5,
      onParentGone: (why) => calls.push(why),
    });
    await tick(30);
    expect(calls).toEqual([]);
    ppid = 1;
    await tick(30);
    expect(calls).toEqual(['parent process 4242 is gone']);
  });

  it('calls back no more once stopped (a sandbox stopped by a signal)', async () => {
    const stdin = new PassThrough();
    const calls: string[] = [];
    const stop = watchParent({
      stdin,
      parentPid: 1,
      currentParentPid: () => 2,
      intervalMs: 5,
      onParentGone: (why) => calls.push(why),
    });
    stop();
    stdin.end();
    await tick(30);
    expect(calls).toEqual([]);
  });

  it('reads the live parent pid, which is the process.ppid of a process not re-parented', () => {
    expect(livePpid() ?? process.ppid).toBe(process.ppid);
  });
});
