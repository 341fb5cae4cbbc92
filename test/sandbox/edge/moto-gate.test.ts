import { describe, expect, it } from 'vitest';
import { isExclusiveDynamoRequest, MotoGate } from '../../../src/sandbox/edge/moto-gate.ts';

/** A piece of work that records when it ran and finishes when told. */
function work(log: string[], name: string) {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    run: async () => {
      log.push(`${name}+`);
      await done;
      log.push(`${name}-`);
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the moto gate', () => {
  it('runs shared work together, exclusive work alone, first come first served', async () => {
    // Prepare
    const gate = new MotoGate();
    const log: string[] = [];
    const [a, b, tx, c] = ['a', 'b', 'tx', 'c'].map((name) => work(log, name)) as [
      ReturnType<typeof work>,
      ReturnType<typeof work>,
      ReturnType<typeof work>,
      ReturnType<typeof work>,
    ];

    // Act
    const running = [
      gate.run(false, a.run),
      gate.run(false, b.run),
      gate.run(true, tx.run),
      gate.run(false, c.run),
    ];
    await tick();
    const whileShared = [...log];
    a.finish();
    b.finish();
    await tick();
    const whileExclusive = [...log];
    tx.finish();
    await tick();
    c.finish();
    await Promise.all(running);

    // Assert
    expect(whileShared).toEqual(['a+', 'b+']);
    expect(whileExclusive).toEqual(['a+', 'b+', 'a-', 'b-', 'tx+']);
    expect(log).toEqual(['a+', 'b+', 'a-', 'b-', 'tx+', 'tx-', 'c+', 'c-']);
  });

  it('lets the next one in when work fails', async () => {
    const gate = new MotoGate();
    await expect(gate.run(true, () => Promise.reject(new Error('moto down')))).rejects.toThrow('moto down');
    await expect(gate.run(true, () => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('holds DynamoDB writes and transactions exclusively, reads and other services shared', () => {
    expect(isExclusiveDynamoRequest('dynamodb', 'TransactWriteItems')).toBe(true);
    expect(isExclusiveDynamoRequest('dynamodb', 'TransactGetItems')).toBe(true);
    expect(isExclusiveDynamoRequest('dynamodb', 'PutItem')).toBe(true);
    expect(isExclusiveDynamoRequest('dynamodb', 'UpdateItem')).toBe(true);
    expect(isExclusiveDynamoRequest('dynamodb', 'GetItem')).toBe(false);
    expect(isExclusiveDynamoRequest('dynamodb', 'Query')).toBe(false);
    expect(isExclusiveDynamoRequest('sqs', 'TransactWriteItems')).toBe(false);
  });
});
