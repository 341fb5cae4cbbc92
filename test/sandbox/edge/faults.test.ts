import { describe, expect, it } from 'vitest';
import { FaultRegistry, parseFaultRule } from '../../../src/sandbox/edge/faults.ts';

/** Which of `count` matching requests the registry fails (1-based). */
function failed(faults: FaultRegistry, count: number, action = 'UploadLayerPart'): number[] {
  const result: number[] = [];
  for (let n = 1; n <= count; n++) if (faults.pick('ecr', action)) result.push(n);
  return result;
}

describe('fault rules that count', () => {
  it.each([
    [{ nth: 3 }, [3]],
    [{ times: 2 }, [1, 2]],
    [{ nth: 2, times: 3 }, [2, 3, 4]],
    [{ nth: 1 }, [1]],
    [{}, [1, 2, 3, 4, 5, 6]],
  ])('%j fails requests %j of six', (counting, expected) => {
    const faults = new FaultRegistry();
    faults.add(parseFaultRule({ service: 'ecr', action: 'UploadLayerPart', error: 'X', ...counting }));
    expect(failed(faults, 6)).toEqual(expected);
  });

  it('counts only the requests a rule matches, and shows seen and fired', () => {
    // Prepare
    const faults = new FaultRegistry();
    const added = faults.add(
      parseFaultRule({ service: 'ecr', action: 'UploadLayerPart', error: 'X', nth: 2 }),
    );
    // Act
    failed(faults, 2, 'PutImage');
    const fails = failed(faults, 3);
    // Assess
    expect(added).toMatchObject({ nth: 2, seen: 0, fired: 0 });
    expect(fails).toEqual([2]);
    expect(faults.list()).toEqual([expect.objectContaining({ id: added.id, seen: 3, fired: 1 })]);
  });

  it('counts a request as seen by every rule it matches, even one an earlier rule failed', () => {
    const faults = new FaultRegistry();
    faults.add(parseFaultRule({ service: 'ecr', error: 'First', times: 1 }));
    faults.add(parseFaultRule({ service: 'ecr', error: 'Second', nth: 2 }));
    const errors = [1, 2, 3].map(() => faults.pick('ecr', 'PutImage')?.error);
    expect(errors).toEqual(['First', 'Second', undefined]);
    expect(faults.list().map((r) => [r.seen, r.fired])).toEqual([
      [3, 1],
      [3, 1],
    ]);
  });

  it('applies the rate to the requests it may fail, counting only those it fails against times', () => {
    const faults = new FaultRegistry();
    faults.add(parseFaultRule({ service: 'ecr', error: 'X', rate: 0.5, times: 1 }));
    const dice = [0.9, 0.1, 0.1];
    const picked = dice.map((roll) => faults.pick('ecr', 'PutImage', () => roll) !== undefined);
    expect(picked).toEqual([false, true, false]);
  });

  it.each([
    [{ nth: 0 }, '"nth" must be a positive integer, got 0'],
    [{ nth: 1.5 }, '"nth"'],
    [{ nth: '3' }, '"nth"'],
    [{ times: -1 }, '"times" must be a positive integer, got -1'],
    [{ times: null }, '"times"'],
  ])('rejects %j naming the field', (counting, message) => {
    expect(() => parseFaultRule({ service: 'ecr', error: 'X', ...counting })).toThrow(message);
  });
});
