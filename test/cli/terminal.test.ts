import { describe, expect, it } from 'vitest';
import { colourEnabled, isTerminal, progressBar, styles } from '../../src/shared/cli-terminal.ts';

/**
 * Colours and progress only for a person at a terminal (src/shared/cli-terminal.ts): NO_COLOR
 * (https://no-color.org), FORCE_COLOR, TERM=dumb and pipes decide, the same way for every command.
 */

/** A stream that records what is written; `isTTY` as a terminal (true) or a pipe (undefined). */
function stream(tty: boolean) {
  const written: string[] = [];
  return { isTTY: tty ? true : undefined, written, write: (text: string) => written.push(text) };
}

describe('colour', () => {
  it.each([
    ['a terminal', true, {}, true],
    ['a pipe', false, {}, false],
    ['a terminal with NO_COLOR=1', true, { NO_COLOR: '1' }, false],
    ['a terminal with NO_COLOR empty (the spec: set and not empty)', true, { NO_COLOR: '' }, true],
    ['a terminal with TERM=dumb', true, { TERM: 'dumb' }, false],
    ['a pipe with FORCE_COLOR=1', false, { FORCE_COLOR: '1' }, true],
    ['a pipe with FORCE_COLOR empty', false, { FORCE_COLOR: '' }, true],
    ['a terminal with FORCE_COLOR=0', true, { FORCE_COLOR: '0' }, false],
    ['a terminal with FORCE_COLOR=false', true, { FORCE_COLOR: 'false' }, false],
    [
      'a pipe with FORCE_COLOR=1 and NO_COLOR=1 (forcing wins, as in Node)',
      false,
      { FORCE_COLOR: '1', NO_COLOR: '1' },
      true,
    ],
  ])('on %s: %s', (_what, tty, env, expected) => {
    expect(colourEnabled(stream(tty), env)).toBe(expected);
  });

  it('styles are plain text when colour is off and SGR sequences when on', () => {
    expect(styles(stream(false), {}).red('FAIL')).toBe('FAIL');
    expect(styles(stream(true), { NO_COLOR: '1' }).bold('x')).toBe('x');
    expect(styles(stream(true), {}).red('FAIL')).toBe('\u001b[31mFAIL\u001b[39m');
  });
});

describe('progress', () => {
  it('is none when the stream is piped or TERM is dumb, whatever the colour settings', () => {
    expect(progressBar('orders-api', stream(false), { FORCE_COLOR: '1' })).toBeUndefined();
    expect(progressBar('orders-api', stream(true), { TERM: 'dumb' })).toBeUndefined();
    expect(isTerminal(stream(true), { NO_COLOR: '1' })).toBe(true);
  });

  it('on a terminal redraws one line in place and ends it once, at the total', () => {
    const out = stream(true);
    const bar = progressBar('orders-api', out, {});

    bar?.update(0, 4);
    bar?.update(2, 4);
    bar?.update(4, 4);
    bar?.update(4, 4);

    expect(out.written).toEqual([
      `\rorders-api [${'.'.repeat(30)}] 0/4`,
      `\rorders-api [${'#'.repeat(15)}${'.'.repeat(15)}] 2/4`,
      `\rorders-api [${'#'.repeat(30)}] 4/4`,
      '\n',
    ]);
  });
});
